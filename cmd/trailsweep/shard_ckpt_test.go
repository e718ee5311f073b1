package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/scan"
)

// countOpens is a Source that counts the objects opened.
type countOpens struct {
	reader.Source
	n *atomic.Int64
}

func (c *countOpens) Open(ctx context.Context, o reader.Object) (io.ReadCloser, error) {
	c.n.Add(1)
	return c.Source.Open(ctx, o)
}

// stageOf reads shard i of n's stage file in dir: its header, totals and
// each object's events.
func stageOf(t *testing.T, dir string, i, n int) (scan.StageHeader, scan.Counts, map[string]string) {
	t.Helper()
	evs := map[string]string{}
	h, c, err := scan.ReadStageFile(context.Background(), scan.LocalStage(dir), scan.StageName(i, n), func(uri string, b []byte) error {
		if _, dup := evs[uri]; dup {
			t.Errorf("stage: %s twice", uri)
		}
		evs[uri] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, c, evs
}

// TestShardCheckpointResume: a shard run with --checkpoint and interrupted
// part-way stages nothing and writes no part; resuming it with another
// shard spec is refused (exit 2, naming --shard); resumed as the same
// shard it reads only what the first run had not done, and writes the part
// and the stage file of a clean run of the shard (the same rows, the same
// header, objects with events and totals), so that reduce over it and
// the other shards gives exactly the rows of one unsharded scan, aggregate
// findings included.
func TestShardCheckpointResume(t *testing.T) {
	tree := shardTree(t)
	// Aggregate rules, and the Sigma corpus for per-record findings.
	rules := []string{"--rules", writeRules(t, aggRules), "--rules", gen.SharedDir(t, "rules", "sigma-aws")}
	tmp := t.TempDir()
	const n, k = 3, 1 // k: the shard interrupted and resumed
	scanArgs := func(out string, extra ...string) []string {
		return append(append([]string{"scan", tree, "--out", out, "-q"}, rules...), extra...)
	}
	single := filepath.Join(tmp, "single.jsonl")
	if code, _, stderr := cli(t, scanArgs(single)...); code != 0 {
		t.Fatalf("single scan: exit %d\n%s", code, stderr)
	}
	stage := filepath.Join(tmp, "stage")
	parts := make([]string, n)
	var cleanOpens atomic.Int64
	for i := range n {
		parts[i] = filepath.Join(tmp, "part-"+string(rune('0'+i))+".jsonl")
		if i == k {
			wrapSource = func(s reader.Source) reader.Source { return &countOpens{s, &cleanOpens} }
		}
		code, _, stderr := cli(t, scanArgs(parts[i], "--shard", string(rune('0'+i))+"/3", "--stage", stage)...)
		wrapSource = nil
		if code != 0 {
			t.Fatalf("shard %d: exit %d\n%s", i, code, stderr)
		}
	}
	cleanHead, cleanCounts, cleanEvents := stageOf(t, stage, k, n)
	cleanRows := lines(t, parts[k])
	if len(cleanEvents) == 0 || len(cleanRows) == 0 {
		t.Fatalf("clean shard %d: %d rows, %d objects with events", k, len(cleanRows), len(cleanEvents))
	}
	if err := os.Remove(filepath.Join(stage, scan.StageName(k, n))); err != nil {
		t.Fatal(err)
	}

	// The checkpointed shard, interrupted after a few objects.
	ck := filepath.Join(tmp, "ckpt")
	part := filepath.Join(tmp, "part-ck.jsonl")
	shardArgs := func(spec string, extra ...string) []string {
		return scanArgs(part, append([]string{"--shard", spec, "--stage", stage, "--checkpoint", ck, "--workers", "1", "--concurrency", "1"}, extra...)...)
	}
	ctx := interruptAfter(t, 5)
	var so, se bytes.Buffer
	code := run(ctx, shardArgs("1/3"), strings.NewReader(""), &so, &se)
	wrapSource = nil
	if code != 3 || !strings.Contains(se.String(), "progress saved") {
		t.Fatalf("interrupted shard: exit %d, want 3 and progress saved\n%s", code, se.String())
	}
	if _, err := os.Stat(part); err == nil {
		t.Error("the interrupted shard wrote its part")
	}
	if _, err := os.Stat(filepath.Join(stage, scan.StageName(k, n))); err == nil {
		t.Error("the interrupted shard staged")
	}

	// Another shard spec, or another stage, is refused; --force is not used.
	if code, _, stderr := cli(t, shardArgs("2/3", "--resume")...); code != exitUsage || !strings.Contains(stderr, "--shard") || !strings.Contains(stderr, `"2/3" (was "1/3")`) {
		t.Errorf("resume as another shard: exit %d, want 2 naming --shard\n%s", code, stderr)
	}
	if code, _, stderr := cli(t, scanArgs(part, "--shard", "1/3", "--stage", filepath.Join(tmp, "other"), "--checkpoint", ck, "--resume")...); code != exitUsage || !strings.Contains(stderr, "--stage") {
		t.Errorf("resume with another stage: exit %d, want 2 naming --stage\n%s", code, stderr)
	}

	// The resume reads only the rest, and ends as a clean run of the shard.
	var resumedOpens atomic.Int64
	wrapSource = func(s reader.Source) reader.Source { return &countOpens{s, &resumedOpens} }
	code, _, stderr := cli(t, shardArgs("1/3", "--resume")...)
	wrapSource = nil
	if code != 0 {
		t.Fatalf("resumed shard: exit %d\n%s", code, stderr)
	}
	if r, c := resumedOpens.Load(), cleanOpens.Load(); r == 0 || r >= c {
		t.Errorf("the resume opened %d objects, the clean shard %d: want fewer, not none", r, c)
	}
	if got := lines(t, part); !slices.Equal(got, cleanRows) {
		t.Errorf("resumed part: %d rows, clean shard's: %d", len(got), len(cleanRows))
	}
	head, counts, events := stageOf(t, stage, k, n)
	head.Created = cleanHead.Created
	if !equalJSON(t, head, cleanHead) {
		t.Errorf("stage header %+v, clean %+v", head, cleanHead)
	}
	if counts != cleanCounts {
		t.Errorf("stage totals %+v, clean %+v", counts, cleanCounts)
	}
	if len(events) != len(cleanEvents) {
		t.Errorf("stage: %d objects with events, clean %d", len(events), len(cleanEvents))
	}
	// The bytes of an object's events are not compared: two clean runs
	// of the shard already stage different ones for some objects (the
	// events a record gives depend on what its worker saw before); what
	// they decide is compared through reduce below.
	for uri := range cleanEvents {
		if _, ok := events[uri]; !ok {
			t.Errorf("stage: %s has no events, the clean shard staged some", uri)
		}
	}

	reduced := filepath.Join(tmp, "reduce.jsonl")
	if code, _, stderr := cli(t, append([]string{"reduce", "--stage", stage, "--out", reduced, "-q"}, rules...)...); code != 0 {
		t.Fatalf("reduce: exit %d\n%s", code, stderr)
	}
	if len(lines(t, reduced)) == 0 {
		t.Fatal("no aggregate findings")
	}
	hunt := []string{parts[0], part, parts[2], reduced}
	if got, want := lines(t, hunt...), lines(t, single); !slices.Equal(got, want) {
		t.Fatalf("shards (one resumed) ∪ reduce: %d rows, single scan: %d rows", len(got), len(want))
	}
}

// equalJSON reports whether a and b marshal to the same JSON.
func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return bytes.Equal(ja, jb)
}

// TestCheckpointS3Refused: a checkpoint on S3 is a usage error.
func TestCheckpointS3Refused(t *testing.T) {
	if code, _, stderr := cli(t, "scan", sampleDir(t), "--checkpoint", "s3://bucket/ck/", "-q"); code != exitUsage || !strings.Contains(stderr, "--checkpoint on S3") {
		t.Errorf("exit %d, want 2\n%s", code, stderr)
	}
}
