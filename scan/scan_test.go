package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// collect is a Sink that keeps every finding.
type collect struct{ fs []report.Finding }

func (c *collect) Write(f *report.Finding) error { c.fs = append(c.fs, *f); return nil }

func (c *collect) keys() []string {
	var out []string
	for _, f := range c.fs {
		out = append(out, fmt.Sprintf("%s %s %s#%d", f.RuleID, f.EventID, f.SourceURI, f.RecordIndex))
	}
	sort.Strings(out)
	return out
}

func builtinSet(t testing.TB) *rule.Set {
	t.Helper()
	rules, err := rule.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set, err := rule.NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func writeTree(t *testing.T, tree gen.Tree) (dir string, src reader.Source) {
	t.Helper()
	dir = t.TempDir()
	if err := gen.WriteTree(dir, tree.Files); err != nil {
		t.Fatal(err)
	}
	src, err := reader.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, src
}

func TestRunAccountsForEverything(t *testing.T) {
	tree := gen.Sample()
	_, src := writeTree(t, tree)
	var sink collect
	sum, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: builtinSet(t), Workers: 2}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	o := sum.Objects
	if o.Listed != int64(len(tree.Files)) {
		t.Errorf("listed %d, want %d", o.Listed, len(tree.Files))
	}
	if o.Skipped["digest file"] != 1 || o.SkippedTotal() != 1 {
		t.Errorf("skipped %v, want one digest file", o.Skipped)
	}
	if o.Scanned != int64(len(tree.Files))-1 || o.Failed != 0 {
		t.Errorf("scanned %d failed %d", o.Scanned, o.Failed)
	}
	if o.Listed != o.Scanned+o.Failed+o.SkippedTotal() {
		t.Error("objects do not add up")
	}
	r := sum.Records
	if r.Read == 0 || r.Read != r.Evaluated+r.OutsideWindow+r.Malformed || r.OutsideWindow != 0 {
		t.Errorf("records: %+v", r)
	}
	if sum.Findings != int64(len(tree.Hits)) || len(sink.fs) != len(tree.Hits) {
		t.Errorf("findings %d (sink %d), want %d", sum.Findings, len(sink.fs), len(tree.Hits))
	}
	var byRule int64
	for _, c := range sum.FindingsByRule {
		byRule += c.Count
	}
	if byRule != sum.Findings {
		t.Errorf("findings by rule add up to %d, not %d", byRule, sum.Findings)
	}
	if !sum.Complete || sum.BytesRead <= sum.BytesCompressed || sum.BytesCompressed == 0 {
		t.Errorf("complete %v, bytes %d compressed → %d", sum.Complete, sum.BytesCompressed, sum.BytesRead)
	}
}

// TestRunSameFindingsWhateverTheWorkers: parallelism changes the order of
// findings, never the set.
func TestRunSameFindingsWhateverTheWorkers(t *testing.T) {
	_, src := writeTree(t, gen.Sample())
	set := builtinSet(t)
	var want []string
	for _, w := range []struct{ workers, conc int }{{1, 1}, {2, 3}, {4, 64}} {
		var sink collect
		if _, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: set, Workers: w.workers, Concurrency: w.conc}, &sink); err != nil {
			t.Fatal(err)
		}
		got := sink.keys()
		if want == nil {
			want = got
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("workers %d, concurrency %d: findings differ:\n%v\n%v", w.workers, w.conc, got, want)
		}
	}
	if len(want) == 0 {
		t.Error("no findings")
	}
}

func TestRunWindow(t *testing.T) {
	_, src := writeTree(t, gen.Sample())
	var sink collect
	since := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	sum, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: builtinSet(t), Filter: reader.Filter{Since: since}}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.fs) != 1 || !sink.fs[0].EventTime.After(since) {
		t.Fatalf("want the one finding of the 25th, got %v", sink.keys())
	}
	if sum.Records.Evaluated != 1 || sum.Records.Read != sum.Records.Evaluated+sum.Records.OutsideWindow+sum.Records.Malformed {
		t.Errorf("records: %+v", sum.Records)
	}
}

func TestRunBrokenObjects(t *testing.T) {
	tree := gen.Broken()
	_, src := writeTree(t, tree)
	var sink collect
	sum, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: builtinSet(t)}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Objects.Failed != 4 || len(sum.Failures) != 4 || sum.Objects.Scanned != 1 {
		t.Errorf("failed %d (%v), scanned %d", sum.Objects.Failed, sum.Failures, sum.Objects.Scanned)
	}
	for _, f := range sum.Failures {
		if f.URI == "" || f.Reason == "" {
			t.Errorf("failure without uri or reason: %+v", f)
		}
	}
	if len(sink.fs) != len(tree.Hits) {
		t.Errorf("findings %v, want %d", sink.keys(), len(tree.Hits))
	}
}

type failingSink struct{ err error }

func (f failingSink) Write(*report.Finding) error { return f.err }

func TestRunStopsOnSinkError(t *testing.T) {
	_, src := writeTree(t, gen.Sample())
	boom := errors.New("disk full")
	sum, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: builtinSet(t)}, failingSink{boom})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if sum == nil || sum.Complete {
		t.Error("a scan stopped by its writer must not be complete")
	}
}

func TestRunCancelled(t *testing.T) {
	_, src := writeTree(t, gen.Sample())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum, err := Run(ctx, Config{Sources: []reader.Source{src}, Rules: builtinSet(t)}, &collect{})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if sum.Complete {
		t.Error("summary of a cancelled scan says complete")
	}
}
