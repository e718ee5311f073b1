package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// huntWriter is a report.Writer that keeps every finding and says whether
// it was closed or aborted.
type huntWriter struct {
	collect
	closed, aborted bool
}

func (w *huntWriter) Close() error { w.closed = true; return nil }
func (w *huntWriter) Abort() error { w.aborted = true; return nil }

// huntTree spreads ckAggTree's mix of records over days × 2 accounts (one
// identity of each a day, objects three minutes apart), so that a sharded
// hunt's account-region-day units fall to every shard, and aggregates
// (bursts, sequences, new IPs) cross objects and shards.
func huntTree(days, perDay int) gen.Tree {
	var tree gen.Tree
	users := []gen.Identity{
		gen.IAMUser("111122223333", "alice", "AKIAEXAMPLEALICE0001"),
		gen.AssumedRole("444455556666", "deployer", "ci", "ASIAEXAMPLEDEPLOY01"),
	}
	k := 0
	for d := range days {
		for u, id := range users {
			start := time.Date(2026, 11, 10+d, 1+u, 0, 0, 0, time.UTC)
			for i := range perDay {
				first := start.Add(time.Duration(i) * 3 * time.Minute)
				var rs []gen.Record
				for j := range 12 {
					at := first.Add(time.Duration(j) * 13 * time.Second)
					k++
					var r gen.Record
					switch {
					case k%5 == 0:
						r = gen.Event(id, at, "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", "", "")
						r.SourceIPAddress = fmt.Sprintf("198.51.100.%d", k%2)
						if k%45 == 0 {
							r.SourceIPAddress = fmt.Sprintf("203.0.113.%d", k%200)
						}
					case k%3 == 0:
						r = gen.Event(id, at, "us-east-1", "s3.amazonaws.com", "GetObject", fmt.Sprintf(`{"bucketName":"b","key":"k%d"}`, k), "")
						r.SourceIPAddress = fmt.Sprintf("192.0.2.%d", k%7/5)
					case k%11 == 0:
						r = gen.Event(id, at, "us-east-1", "s3.amazonaws.com", "ListBuckets", "", "")
					case k%13 == 0:
						r = gen.Event(id, at, "us-east-1", "s3.amazonaws.com", "DeleteBucket", `{"bucketName":"b"}`, "")
					default:
						r = gen.Event(id, at, "us-east-1", "ec2.amazonaws.com", "DescribeInstances", "", "")
					}
					rs = append(rs, r)
				}
				key := gen.LogKey("", id.AccountID, "us-east-1", first.Add(8*time.Minute), fmt.Sprintf("H%03d%03d%09d", d, u, i))
				tree.Files = append(tree.Files, gen.File{Key: key, Body: gen.Gzip(gen.LogFile(rs...))})
			}
		}
	}
	return tree
}

// huntConfig is a hunt over src with the ckAgg rules, its window starting
// at the tree's first day plus an hour (new_terms history before it).
func huntConfig(t *testing.T, src reader.Source, out report.Writer) HuntConfig {
	return HuntConfig{Config: Config{Sources: []reader.Source{src}, Rules: ckAggSet(t), Workers: 2, Concurrency: 4,
		Filter:   reader.Filter{Since: time.Date(2026, 11, 10, 1, 30, 0, 0, time.UTC)},
		Ingested: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), WorkDir: t.TempDir()}, Output: out}
}

// perRule counts findings by rule id.
func perRule(fs []report.Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.RuleID]++
	}
	return m
}

// diffRows reports the first row of got not in want and of want not in got.
func diffRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("%s: %d findings, want %d", what, len(got), len(want))
	for _, r := range got {
		if !slices.Contains(want, r) {
			t.Errorf("%s: extra %s", what, r)
			break
		}
	}
	for _, r := range want {
		if !slices.Contains(got, r) {
			t.Errorf("%s: missing %s", what, r)
			break
		}
	}
}

// TestHuntFindings: Hunt, driven by its Config alone, writes the
// pipeline's findings (aggregates included) to its output, closes it, and
// accounts for every object.
func TestHuntFindings(t *testing.T) {
	tree := huntTree(3, 8)
	_, src := writeTree(t, tree)
	hc := huntConfig(t, src, nil)
	var direct collect
	if _, err := Run(context.Background(), hc.Config, &direct); err != nil {
		t.Fatal(err)
	}
	for id, n := range perRule(direct.fs) {
		t.Logf("%s: %d", id, n)
	}
	for _, id := range []string{"ck-new-terms", "ck-threshold", "ck-sequence", "ck-query"} {
		if perRule(direct.fs)[id] == 0 {
			t.Fatalf("the tree gives no finding of %s: the comparison proves little", id)
		}
	}
	var out huntWriter
	hc.Output = &out
	res, err := Hunt(context.Background(), hc)
	if err != nil {
		t.Fatal(err)
	}
	if !out.closed || out.aborted || !res.Written {
		t.Errorf("output closed %t, aborted %t, written %t; want closed and written", out.closed, out.aborted, res.Written)
	}
	diffRows(t, "hunt", rows(out.fs), rows(direct.fs))
	sum := res.Summary
	if sum.Objects.Scanned != int64(len(tree.Files)) || sum.Findings != int64(len(direct.fs)) || !sum.Complete {
		t.Errorf("summary: %d objects scanned, %d findings, complete %t; want %d, %d, true",
			sum.Objects.Scanned, sum.Findings, sum.Complete, len(tree.Files), len(direct.fs))
	}
	// Output order: by event time first.
	for i := 1; i < len(out.fs); i++ {
		if out.fs[i].EventTime.Before(out.fs[i-1].EventTime) {
			t.Fatalf("finding %d at %s before finding %d at %s: not in output order", i, out.fs[i].EventTime, i-1, out.fs[i-1].EventTime)
		}
	}
}

// TestHuntResume: a checkpointed hunt interrupted part-way saves its
// progress and aborts its output; resumed, it reads only what is left and
// writes the findings of an uninterrupted hunt, each once.
func TestHuntResume(t *testing.T) {
	tree := huntTree(3, 8)
	_, src := writeTree(t, tree)
	var clean huntWriter
	if _, err := Hunt(context.Background(), huntConfig(t, src, &clean)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m := Manifest{Sources: []string{"tree"}}
	ck, err := OpenCheckpoint(dir, m, CheckpointOptions{BatchObjects: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var first huntWriter
	hc := huntConfig(t, src, &first)
	hc.Checkpoint = ck
	var notices []string
	hc.Notice = func(msg string) { notices = append(notices, msg) }
	hc.Progress = func(p Progress) {
		if p.Done >= 20 {
			cancel()
		}
	}
	res, err := Hunt(ctx, hc)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("run 1: %v, want interrupted", err)
	}
	if !first.aborted || first.closed || res.Written || !res.Summary.Interrupted {
		t.Errorf("run 1: output aborted %t, closed %t, written %t, interrupted %t; want aborted, interrupted",
			first.aborted, first.closed, res.Written, res.Summary.Interrupted)
	}
	if !slices.ContainsFunc(notices, func(s string) bool { return strings.Contains(s, "progress saved") }) {
		t.Errorf("run 1: notices %q do not say progress was saved", notices)
	}
	ck.Close()

	ck, err = OpenCheckpoint(dir, m, CheckpointOptions{Resume: true, BatchObjects: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	done := ck.Done()
	if done < 20 || done >= len(tree.Files) {
		t.Fatalf("run 2: %d objects done before it, want at least 20 and fewer than %d", done, len(tree.Files))
	}
	counted := reader.WithCounts(src)
	var second huntWriter
	hc = huntConfig(t, counted, &second)
	hc.Checkpoint = ck
	res, err = Hunt(context.Background(), hc)
	if err != nil {
		t.Fatal(err)
	}
	if opens := counted.Opens(); opens != int64(len(tree.Files)-done) {
		t.Errorf("run 2 opened %d objects, want the %d left", opens, len(tree.Files)-done)
	}
	if !second.closed || !res.Written {
		t.Errorf("run 2: output closed %t, written %t", second.closed, res.Written)
	}
	diffRows(t, "resumed", rows(second.fs), rows(clean.fs))
	if s := res.Summary; s.Objects.Scanned != int64(len(tree.Files)) || s.Findings != int64(len(clean.fs)) {
		t.Errorf("run 2 summary: %d objects scanned, %d findings; want the totals %d and %d",
			s.Objects.Scanned, s.Findings, len(tree.Files), len(clean.fs))
	}
}
