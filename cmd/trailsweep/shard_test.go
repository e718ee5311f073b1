package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// shardTree writes a tree with per-record and aggregate hits for every rule
// set: a three-day organization span (six accounts, attacks frequent) and
// aggTree's bursts, new IPs and sequences across objects.
func shardTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tree")
	if _, err := gen.Span(dir, gen.SpanOptions{Days: 3, Accounts: 6, IPs: 300, Seed: 5, AttackRate: 0.05, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	if err := gen.WriteTree(dir, aggTree(96, 12).Files); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lines reads the JSONL files' rows, sorted.
func lines(t *testing.T, paths ...string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" {
				out = append(out, l)
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestShardsReduce: four shards given only JOB_COMPLETION_INDEX and the
// total, then reduce, give exactly the rows of one unsharded scan, details
// included — with the built-in rules, Elastic's and Sigma's corpora, and
// aggregate rules of each kind with a --history window; a shard re-run
// replaces its part and its stage file.
func TestShardsReduce(t *testing.T) {
	tree := shardTree(t)
	aggDir := writeRules(t, aggRules)
	cases := []struct {
		name string
		args []string // rule flags, given to the shards and to reduce
		scan []string // scan flags only
		agg  bool     // the case must have aggregate findings
	}{
		{"builtin", nil, nil, false},
		{"elastic", []string{"--rules", gen.SharedDir(t, "rules", "elastic-aws")}, nil, false},
		{"sigma", []string{"--rules", gen.SharedDir(t, "rules", "sigma-aws")}, nil, false},
		{"aggregate", []string{"--rules", aggDir}, nil, true},
		{"history", []string{"--rules", aggDir}, []string{"--since", "2026-11-12", "--history", "2d"}, true},
	}
	const n = 4
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			scanArgs := func(out string, extra ...string) []string {
				return append(append([]string{"scan", tree, "--out", out, "-q", "--workers", "2"}, c.args...), append(c.scan, extra...)...)
			}
			single := filepath.Join(tmp, "single.jsonl")
			if code, _, stderr := cli(t, scanArgs(single)...); code != 0 {
				t.Fatalf("single scan: exit %d\n%s", code, stderr)
			}
			stage := filepath.Join(tmp, "stage")
			parts := make([]string, n)
			shard := func(i int) {
				t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
				t.Setenv("TRAILSWEEP_SHARDS", strconv.Itoa(n))
				parts[i] = filepath.Join(tmp, "part-"+strconv.Itoa(i)+".jsonl")
				if code, _, stderr := cli(t, scanArgs(parts[i], "--stage", stage)...); code != 0 {
					t.Fatalf("shard %d: exit %d\n%s", i, code, stderr)
				}
			}
			for i := range n {
				shard(i)
			}
			os.Unsetenv("JOB_COMPLETION_INDEX")
			reduced := filepath.Join(tmp, "reduce.jsonl")
			reduce := func() {
				if code, _, stderr := cli(t, append([]string{"reduce", "--stage", stage, "--out", reduced, "-q"}, c.args...)...); code != 0 {
					t.Fatalf("reduce: exit %d\n%s", code, stderr)
				}
			}
			reduce()
			want := lines(t, single)
			if len(want) == 0 {
				t.Fatal("the single scan found nothing")
			}
			aggRows := lines(t, reduced)
			if c.agg && len(aggRows) == 0 {
				t.Fatal("no aggregate findings")
			}
			for _, l := range lines(t, parts...) {
				if !strings.Contains(l, `"details":null`) {
					t.Fatalf("a shard wrote an aggregate finding: %s", l)
				}
			}
			got := lines(t, append(parts, reduced)...)
			if !slices.Equal(got, want) {
				t.Fatalf("shards ∪ reduce: %d rows, single scan: %d rows", len(got), len(want))
			}
			t.Logf("%d rows (%d aggregate) = %d shard parts + reduce", len(want), len(aggRows), n)

			// A re-run of a shard replaces its part and stage file.
			shard(2)
			os.Unsetenv("JOB_COMPLETION_INDEX")
			reduce()
			if got := lines(t, append(parts, reduced)...); !slices.Equal(got, want) {
				t.Fatalf("after a shard re-run: %d rows, want %d", len(got), len(want))
			}
			des, _ := os.ReadDir(stage)
			if len(des) != n {
				t.Fatalf("stage holds %d files, want %d", len(des), n)
			}
		})
	}
}

// TestReduceRefuses: reduce refuses a stage with a shard missing, and one
// made with other rules, as usage errors naming what is wrong.
func TestReduceRefuses(t *testing.T) {
	tree := shardTree(t)
	aggDir := writeRules(t, aggRules)
	stage := filepath.Join(t.TempDir(), "stage")
	for _, i := range []int{0, 2} {
		if code, _, stderr := cli(t, "scan", tree, "--rules", aggDir, "--shard", strconv.Itoa(i)+"/3", "--stage", stage, "--out", filepath.Join(t.TempDir(), "p.jsonl"), "-q"); code != 0 {
			t.Fatalf("shard %d: exit %d\n%s", i, code, stderr)
		}
	}
	code, _, stderr := cli(t, "reduce", "--stage", stage, "--rules", aggDir, "--out", filepath.Join(t.TempDir(), "r.jsonl"))
	if code != exitUsage || !strings.Contains(stderr, "1 of 3 shards have no stage file") || !strings.Contains(stderr, ": 1") {
		t.Errorf("missing shard: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := cli(t, "scan", tree, "--rules", aggDir, "--shard", "1/3", "--stage", stage, "--out", filepath.Join(t.TempDir(), "p.jsonl"), "-q"); code != 0 {
		t.Fatalf("shard 1: exit %d\n%s", code, stderr)
	}
	code, _, stderr = cli(t, "reduce", "--stage", stage, "--out", filepath.Join(t.TempDir(), "r.jsonl"))
	if code != exitUsage || !strings.Contains(stderr, "another rule set") {
		t.Errorf("other rules: exit %d\n%s", code, stderr)
	}
	// Aggregate rules need a stage; a shard index needs a total.
	if code, _, stderr := cli(t, "scan", tree, "--rules", aggDir, "--shard", "1/3"); code != exitUsage || !strings.Contains(stderr, "--stage") {
		t.Errorf("no --stage: exit %d\n%s", code, stderr)
	}
	t.Setenv("AWS_BATCH_JOB_ARRAY_INDEX", "1")
	if code, _, stderr := cli(t, "scan", tree, "--stage", stage); code != exitUsage || !strings.Contains(stderr, "--shards N") {
		t.Errorf("no total: exit %d\n%s", code, stderr)
	}
}

// TestShardSpecFromEnv: the shard comes from --shard, or from the job
// engine's index with its total.
func TestShardSpecFromEnv(t *testing.T) {
	for _, c := range []struct {
		flags shardFlags
		env   map[string]string
		want  reader.ShardSpec
		ok    bool
		err   bool
	}{
		{shardFlags{}, nil, reader.ShardSpec{}, false, false},
		{shardFlags{shard: "3/16"}, nil, reader.ShardSpec{Index: 3, Count: 16}, true, false},
		{shardFlags{shard: "16/16"}, nil, reader.ShardSpec{}, false, true},
		{shardFlags{shard: "x"}, nil, reader.ShardSpec{}, false, true},
		{shardFlags{shards: 8}, map[string]string{envK8sIndex: "5"}, reader.ShardSpec{Index: 5, Count: 8}, true, false},
		{shardFlags{}, map[string]string{envK8sIndex: "5", envShards: "6"}, reader.ShardSpec{Index: 5, Count: 6}, true, false},
		{shardFlags{}, map[string]string{envK8sIndex: "5", envBatchSize: "6"}, reader.ShardSpec{}, false, true},
		{shardFlags{}, map[string]string{envBatchIndex: "2", envBatchSize: "4"}, reader.ShardSpec{Index: 2, Count: 4}, true, false},
		{shardFlags{shards: 4}, nil, reader.ShardSpec{}, false, true},
		{shardFlags{stage: "s"}, nil, reader.ShardSpec{Index: 0, Count: 1}, true, false},
	} {
		got, ok, err := c.flags.spec(func(k string) string { return c.env[k] })
		if got != c.want && c.ok || ok != c.ok || (err != nil) != c.err {
			t.Errorf("%+v %v: got %v %v %v, want %v %v err=%v", c.flags, c.env, got, ok, err, c.want, c.ok, c.err)
		}
	}
}

// TestRelabel: a stage error is named after its flag once ("--stage: …",
// not "--stage: stage: …") and still wraps its cause.
func TestRelabel(t *testing.T) {
	cause := errors.New("disk full")
	err := relabel("--stage", "stage", fmt.Errorf("stage: %w", cause))
	if err.Error() != "--stage: disk full" || !errors.Is(err, cause) {
		t.Errorf("%q (wraps the cause: %v)", err, errors.Is(err, cause))
	}
	if err := relabel("--stage", "stage", cause); err.Error() != "--stage: disk full" {
		t.Errorf("%q", err)
	}
}
