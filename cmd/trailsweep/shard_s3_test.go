package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/s3test"
	"github.com/trailsweep/trailsweep/reader"
)

// failList is a Source whose listing fails after `after` objects: a shard
// that dies before it has read its share.
type failList struct {
	reader.Source
	after int
}

func (f failList) List(ctx context.Context, flt reader.Filter, fn func(reader.Object) error) error {
	n := 0
	err := f.Source.List(ctx, flt, func(o reader.Object) error {
		if n++; n > f.after {
			return errors.New("injected listing failure")
		}
		return fn(o)
	})
	return err
}

// bucketRows lists every object under prefix in bucket: its keys, in
// order, and its JSONL rows, sorted.
func bucketRows(t *testing.T, c *s3.Client, bucket, prefix string) (keys, rows []string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), prefix))
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(g.Body)
		g.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(*o.Key, ".jsonl") {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" {
				rows = append(rows, l)
			}
		}
	}
	sort.Strings(rows)
	return keys, rows
}

// TestShardsReduceS3: four shard processes given only JOB_COMPLETION_INDEX
// and the total read their sources from S3 and write their findings parts
// and stage files to S3; reduce reads the stage from S3 and writes the
// aggregate part beside them. The union of the rows is one unsharded
// scan's. A shard that fails before it finishes leaves neither part nor
// stage object (reduce then names it missing), and running a shard twice
// leaves exactly one part: the object is replaced, never added.
func TestShardsReduceS3(t *testing.T) {
	tree := shardTree(t)
	srv := s3test.Start(t)
	srv.CreateBucket(t, "trail")
	srv.CreateBucket(t, "hunt")
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		srv.Put(t, "trail", filepath.ToSlash(rel), b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Env(t)
	s3a := s3Args(srv)
	aggDir := writeRules(t, aggRules)
	cases := []struct {
		name string
		args []string // rule flags, given to the shards and to reduce
		agg  bool
	}{
		{"builtin", nil, false},
		{"aggregate", []string{"--rules", aggDir}, true},
		{"elastic", []string{"--rules", gen.SharedDir(t, "rules", "elastic-aws")}, false},
	}
	const n = 4
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := "s3://hunt/" + c.name + "/out/"
			stage := "s3://hunt/" + c.name + "/stage/"
			scanArgs := func(extra ...string) []string {
				a := append([]string{"scan", "s3://trail/", "-q", "--workers", "2"}, s3a...)
				return append(append(a, c.args...), extra...)
			}
			single := filepath.Join(t.TempDir(), "single.jsonl")
			t0 := time.Now()
			if code, _, stderr := cli(t, scanArgs("--out", single)...); code != 0 {
				t.Fatalf("single scan: exit %d\n%s", code, stderr)
			}
			singleTime := time.Since(t0)
			want := lines(t, single)
			if len(want) == 0 {
				t.Fatal("the single scan found nothing")
			}
			var shardTimes []time.Duration
			shard := func(i, wantCode int) {
				t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
				t.Setenv("TRAILSWEEP_SHARDS", strconv.Itoa(n))
				defer os.Unsetenv("JOB_COMPLETION_INDEX")
				t0 := time.Now()
				if code, _, stderr := cli(t, scanArgs("--out", out, "--format", "jsonl", "--stage", stage)...); code != wantCode {
					t.Fatalf("shard %d: exit %d, want %d\n%s", i, code, wantCode, stderr)
				}
				if wantCode == 0 {
					shardTimes = append(shardTimes, time.Since(t0))
				}
			}
			reduce := func(wantCode int) string {
				code, _, stderr := cli(t, append(append([]string{"reduce", "--stage", stage, "--out", out, "--format", "jsonl", "-q"}, s3a...), c.args...)...)
				if code != wantCode {
					t.Fatalf("reduce: exit %d, want %d\n%s", code, wantCode, stderr)
				}
				return stderr
			}
			for _, i := range []int{0, 1, 3} {
				shard(i, 0)
			}
			// Shard 2 dies after a few objects: nothing of it in the bucket.
			wrapSource = func(s reader.Source) reader.Source { return failList{s, 5} }
			shard(2, exitIncomplete)
			wrapSource = nil
			keys, _ := bucketRows(t, srv.Client(), "hunt", c.name+"/")
			if slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, "-00002-of-") }) {
				t.Fatalf("a failed shard left an object: %v", keys)
			}
			if msg := reduce(exitUsage); !strings.Contains(msg, "have no stage file") {
				t.Fatalf("reduce without shard 2: %s", msg)
			}
			shardTimes = shardTimes[:0]
			for i := range n {
				shard(i, 0)
			}
			t0 = time.Now()
			reduce(0)
			reduceTime := time.Since(t0)
			shard(2, 0) // a re-run replaces its part and stage file
			reduce(0)
			keys, got := bucketRows(t, srv.Client(), "hunt", c.name+"/")
			wantKeys := []string{"out/aggregate-00000-of-00001.jsonl"}
			for i := range n {
				wantKeys = append(wantKeys, "out/part-0000"+strconv.Itoa(i)+"-of-00004.jsonl")
			}
			for i := range n {
				wantKeys = append(wantKeys, "stage/shard-0000"+strconv.Itoa(i)+"-of-00004.events.zst")
			}
			if !slices.Equal(keys, wantKeys) {
				t.Fatalf("objects:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(wantKeys, "\n"))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("parts ∪ aggregate: %d rows, single scan: %d rows", len(got), len(want))
			}
			_, aggRows := bucketRows(t, srv.Client(), "hunt", c.name+"/out/aggregate-")
			if c.agg && len(aggRows) == 0 {
				t.Fatal("no aggregate findings")
			}
			var sum, longest time.Duration
			for _, d := range shardTimes[:n] {
				sum += d
				longest = max(longest, d)
			}
			t.Logf("%d rows (%d aggregate); single scan %v; %d shards %v in all, longest %v, reduce %v (wall with parallel shards ≈ %v)",
				len(want), len(aggRows), singleTime.Round(time.Millisecond), n, sum.Round(time.Millisecond),
				longest.Round(time.Millisecond), reduceTime.Round(time.Millisecond), (longest + reduceTime).Round(time.Millisecond))
		})
	}
	// Unsharded, the default format: one part of one. A key without a
	// trailing slash names an object, not a folder: refused.
	t.Run("unsharded", func(t *testing.T) {
		if code, _, stderr := cli(t, append([]string{"scan", "s3://trail/", "-q", "--out", "s3://hunt/one/"}, s3a...)...); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if keys, _ := bucketRows(t, srv.Client(), "hunt", "one/"); !slices.Equal(keys, []string{"part-00000-of-00001.parquet"}) {
			t.Fatalf("objects %v", keys)
		}
		code, _, stderr := cli(t, append([]string{"scan", "s3://trail/", "-q", "--out", "s3://hunt/x.parquet"}, s3a...)...)
		if code != exitUsage || !strings.Contains(stderr, "ending in /") {
			t.Fatalf("--out s3://hunt/x.parquet: exit %d\n%s", code, stderr)
		}
	})
}
