package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
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
					k++
					rs = append(rs, aggMixRecord(id, first.Add(time.Duration(j)*13*time.Second), k))
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
	// 180 objects: after the 20th is committed, more are left than the
	// pipeline holds (results waiting for the writer, objects in flight),
	// so that the cancel leaves some unread.
	tree := huntTree(3, 30)
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

// shardHunt runs shard i of n of the hunt over src, staging to stage, and
// returns its per-record findings and result; mod, when not nil, changes
// its config.
func shardHunt(t *testing.T, src reader.Source, stage StageDir, i, n int, mod func(*HuntConfig)) ([]report.Finding, *Result) {
	t.Helper()
	var out huntWriter
	hc := huntConfig(t, reader.Shard(src, reader.ShardSpec{Index: i, Count: n}), &out)
	hc.Stage = stage
	hc.StageHeader = StageHeader{Shard: i, Shards: n, Sources: []string{"tree"}}
	if mod != nil {
		mod(&hc)
	}
	res, err := Hunt(context.Background(), hc)
	if err != nil {
		t.Fatalf("shard %d/%d: %v", i, n, err)
	}
	if !out.closed {
		t.Fatalf("shard %d/%d: output not closed", i, n)
	}
	return out.fs, res
}

// historySince starts the window of withHistory: in the middle of alice's
// burst of the tree's second day, so that the combinations of its first
// minutes, read as history, are not new in the window.
var historySince = time.Date(2026, 11, 11, 1, 10, 0, 0, time.UTC)

// withHistory makes a hunt start at historySince, the day before read as
// new_terms history from the hunt's own sources.
func withHistory(hc *HuntConfig) {
	hc.Filter.Since = historySince
	hc.History = &History{Sources: hc.Sources, Filter: reader.Filter{Since: historySince.AddDate(0, 0, -1), Until: historySince}, Name: "history 1d"}
}

// TestHuntShardsReduce: three shards and Reduce give the rows of one
// unsharded hunt, also with a history pre-scan; the shards write no
// aggregate finding themselves.
func TestHuntShardsReduce(t *testing.T) {
	tree := huntTree(4, 6)
	_, src := writeTree(t, tree)
	for _, c := range []struct {
		name string
		mod  func(*HuntConfig)
	}{{"plain", nil}, {"history", withHistory}} {
		t.Run(c.name, func(t *testing.T) {
			var whole huntWriter
			hc := huntConfig(t, src, &whole)
			if c.mod != nil {
				c.mod(&hc)
			}
			all, err := Hunt(context.Background(), hc)
			if err != nil {
				t.Fatal(err)
			}
			if len(whole.fs) == 0 {
				t.Fatal("the unsharded hunt found nothing")
			}
			stage := LocalStage(filepath.Join(t.TempDir(), "stage"))
			const n = 3
			var got []report.Finding
			var scanned int64
			for i := range n {
				fs, res := shardHunt(t, src, stage, i, n, c.mod)
				if res.Summary.Objects.Scanned == 0 {
					t.Fatalf("shard %d/%d read nothing: the split proves little", i, n)
				}
				scanned += res.Summary.Objects.Scanned
				for id := range perRule(fs) {
					if id != "ck-query" {
						t.Errorf("shard %d/%d wrote findings of aggregate rule %s", i, n, id)
					}
				}
				got = append(got, fs...)
			}
			if scanned != all.Summary.Objects.Scanned {
				t.Errorf("the shards read %d objects, the unsharded hunt %d", scanned, all.Summary.Objects.Scanned)
			}
			var agg huntWriter
			res, err := Reduce(context.Background(), ReduceConfig{Dir: stage, Rules: ckAggSet(t), WorkDir: t.TempDir(), Output: &agg})
			if err != nil {
				t.Fatal(err)
			}
			if !agg.closed || !res.Written {
				t.Errorf("reduce: output closed %t, written %t", agg.closed, res.Written)
			}
			got = append(got, agg.fs...)
			diffRows(t, "shards+reduce", rows(got), rows(whole.fs))
			if res.Summary.Objects.Scanned != scanned || res.Summary.Findings != int64(len(agg.fs)) {
				t.Errorf("reduce summary: %d objects scanned, %d findings; want %d and %d",
					res.Summary.Objects.Scanned, res.Summary.Findings, scanned, len(agg.fs))
			}
			if hc.History == nil {
				return
			}
			for what, spans := range map[string][]report.HistorySpan{"hunt": all.Summary.NewTerms, "reduce": res.Summary.NewTerms} {
				if len(spans) == 0 || spans[0].Source != hc.History.Name || !spans[0].HistoryFrom.Equal(hc.History.Filter.Since) {
					t.Errorf("%s: new_terms history %+v, want it from %s at %s", what, spans, hc.History.Name, hc.History.Filter.Since)
				}
			}
			// The history was read: with the same span but nothing in it,
			// the terms it holds are new in the window's first hour.
			var bare huntWriter
			empty := huntConfig(t, src, &bare)
			withHistory(&empty)
			empty.History.Sources = nil
			if _, err := Hunt(context.Background(), empty); err != nil {
				t.Fatal(err)
			}
			if with, without := perRule(whole.fs)["ck-new-terms"], perRule(bare.fs)["ck-new-terms"]; with >= without {
				t.Errorf("%d new_terms findings with the history read, %d with an empty one: the history made no difference", with, without)
			}
		})
	}

	// A stage missing a shard is refused, the output aborted.
	partial := LocalStage(filepath.Join(t.TempDir(), "partial"))
	shardHunt(t, src, partial, 0, 3, nil)
	var refused huntWriter
	if res, err := Reduce(context.Background(), ReduceConfig{Dir: partial, Rules: ckAggSet(t), Output: &refused}); !errors.Is(err, ErrStageIncomplete) || res != nil || !refused.aborted {
		t.Errorf("reduce of 1 shard of 3: %v, result %v, aborted %t; want ErrStageIncomplete, nil, aborted", err, res, refused.aborted)
	}
}

// TestReduceNamesFailedObjects: an object a shard cannot read is named in
// reduce's summary, with the shard and the reason, in the text and JSON.
func TestReduceNamesFailedObjects(t *testing.T) {
	tree := huntTree(2, 3)
	bad := gen.LogKey("", "111122223333", "us-east-1", time.Date(2026, 11, 11, 5, 0, 0, 0, time.UTC), "C0rruptC0rruptC0")
	tree.Files = append(tree.Files, gen.File{Key: bad, Body: append([]byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff}, "not deflate"...)})
	_, src := writeTree(t, tree)
	stage := LocalStage(filepath.Join(t.TempDir(), "stage"))
	const n = 2
	var failed []report.ObjectFailure
	shardOf := -1
	for i := range n {
		_, res := shardHunt(t, src, stage, i, n, nil)
		if len(res.Summary.Failures) > 0 {
			shardOf = i
		}
		failed = append(failed, res.Summary.Failures...)
	}
	if len(failed) != 1 || !strings.HasSuffix(filepath.ToSlash(failed[0].URI), bad) {
		t.Fatalf("the shards failed %+v, want %s alone", failed, bad)
	}
	var agg huntWriter
	res, err := Reduce(context.Background(), ReduceConfig{Dir: stage, Rules: ckAggSet(t), WorkDir: t.TempDir(), Output: &agg})
	if err != nil {
		t.Fatal(err)
	}
	sum := res.Summary
	want := fmt.Sprintf("%d/%d", shardOf, n)
	if sum.Objects.Failed != 1 || len(sum.Failures) != 1 || sum.Failures[0].URI != failed[0].URI ||
		sum.Failures[0].Reason != failed[0].Reason || sum.Failures[0].Shard != want {
		t.Fatalf("reduce: %d failed, failures %+v; want %s from shard %s", sum.Objects.Failed, sum.Failures, failed[0].URI, want)
	}
	var text, js bytes.Buffer
	if err := sum.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if line := fmt.Sprintf("shard %s: %s: %s", want, failed[0].URI, failed[0].Reason); !strings.Contains(text.String(), line) {
		t.Errorf("text summary lacks %q:\n%s", line, text.String())
	}
	if err := sum.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), fmt.Sprintf(`"shard": %q`, want)) && !strings.Contains(js.String(), fmt.Sprintf(`"shard":%q`, want)) {
		t.Errorf("JSON summary lacks the failure's shard %s:\n%s", want, js.String())
	}
}
