package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// TestFailuresAfterScan: a findings file that cannot be written (disk full
// at the Parquet footer) or a --summary that cannot be written exits 3, not
// as a usage error; every other file is still written, the summary is
// printed on stderr even with -q, and no temporary file is left.
func TestFailuresAfterScan(t *testing.T) {
	tree := manyTree(60, 40)
	logs := t.TempDir()
	if err := gen.WriteTree(logs, tree.Files); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	check := func(t *testing.T, code int, stderr string) {
		t.Helper()
		if code != 3 || strings.Contains(stderr, "--help") || !strings.Contains(stderr, "trailsweep summary") {
			t.Errorf("exit %d, want 3, the summary on stderr and no usage hint\n%s", code, stderr)
		}
	}
	t.Run("disk full", func(t *testing.T) {
		full := mountTmpfs(t, "16k", false)
		sum, errs := filepath.Join(dir, "full.summary.json"), filepath.Join(dir, "full.errors.jsonl")
		code, _, stderr := cli(t, "scan", logs, "--raw", "--out", filepath.Join(full, "f.parquet"), "--summary", sum, "--errors", errs, "-q")
		check(t, code, stderr)
		for _, p := range []string{sum, errs} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("not written: %v", err)
			}
		}
		if names, _ := os.ReadDir(full); len(names) > 0 {
			t.Errorf("left in the full file system: %v", names)
		}
	})
	t.Run("summary unwritable", func(t *testing.T) {
		out, errs := filepath.Join(dir, "u.jsonl"), filepath.Join(dir, "u.errors.jsonl")
		code, _, stderr := cli(t, "scan", logs, "--out", out, "--summary", filepath.Join(dir, "no", "such", "s.json"), "--errors", errs, "-q")
		check(t, code, stderr)
		if len(sortedRows(t, out)) == 0 {
			t.Error("no findings written")
		}
		if _, err := os.Stat(errs); err != nil {
			t.Errorf("--errors not written: %v", err)
		}
	})
}

// TestOutputPaths: output paths are checked before the scan; a symbolic
// link and a device are written through, not replaced; a stale temporary
// file of the output is removed.
func TestOutputPaths(t *testing.T) {
	logs := sampleDir(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "f.jsonl")
	for _, c := range [][]string{
		{"--out", out, "--summary", out},
		{"--out", out, "--errors", filepath.Join(dir, ".", "f.jsonl")},
		{"--max-record-bytes", "0"},
		{"--max-object-bytes", "-1"},
	} {
		if code, _, stderr := cli(t, append([]string{"scan", logs, "-q"}, c...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", c, code, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused run wrote its output")
	}

	target := filepath.Join(dir, "target.jsonl")
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".target.jsonl.tmp-123456")
	if err := os.WriteFile(stale, []byte("left by a killed run"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, "scan", logs, "--out", link, "-q"); code != 0 {
		t.Fatalf("symlink: exit %d\n%s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	if len(sortedRows(t, target)) == 0 {
		t.Error("the link's target holds no findings")
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale temporary file is still there")
	}
	if code, _, stderr := cli(t, "scan", logs, "--out", os.DevNull, "--format", "jsonl", "-q"); code != 0 {
		t.Fatalf("%s: exit %d\n%s", os.DevNull, code, stderr)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
		t.Errorf("%s was replaced: %v %v", os.DevNull, fi, err)
	}
}

// cancelAfter is a Source that cancels the scan when it opens its n-th
// object, as a SIGINT would, once the listing has handed the scan at least
// two objects more (a busy machine may not have run the lister yet).
type cancelAfter struct {
	reader.Source
	n      atomic.Int64
	listed atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) List(ctx context.Context, f reader.Filter, fn func(reader.Object) error) error {
	return c.Source.List(ctx, f, func(o reader.Object) error {
		c.listed.Add(1)
		return fn(o)
	})
}

func (c *cancelAfter) Open(ctx context.Context, o reader.Object) (io.ReadCloser, error) {
	if n := c.n.Add(-1); n == 0 {
		for deadline := time.Now().Add(10 * time.Second); c.listed.Load() < 7 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		c.cancel()
	}
	return c.Source.Open(ctx, o)
}

// interruptAfter makes every source the CLI reads cancel the returned
// context at its n-th object opened (wrapSource, until the test ends): a
// scan interrupted part-way, as by SIGINT.
func interruptAfter(t *testing.T, n int64) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	wrapSource = func(s reader.Source) reader.Source {
		c := &cancelAfter{Source: s, cancel: cancel}
		c.n.Store(n)
		return c
	}
	t.Cleanup(func() { wrapSource = nil })
	return ctx
}

// TestNotReached: a scan interrupted part-way counts the objects it listed
// and never committed as not reached: listed = scanned + skipped + failed
// + not reached, and not reached > 0.
func TestNotReached(t *testing.T) {
	tree := manyTree(100, 5)
	logs := t.TempDir()
	if err := gen.WriteTree(logs, tree.Files); err != nil {
		t.Fatal(err)
	}
	ctx := interruptAfter(t, 5)
	sumPath := filepath.Join(t.TempDir(), "s.json")
	var so, se bytes.Buffer
	code := run(ctx, []string{"scan", logs, "-q", "--workers", "1", "--concurrency", "1", "--out", filepath.Join(t.TempDir(), "f.jsonl"), "--summary", sumPath}, strings.NewReader(""), &so, &se)
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, se.String())
	}
	s := summaryOf(t, sumPath)
	listed, nr := num(s, "objects", "listed"), num(s, "objects", "not_reached")
	if nr <= 0 || listed != num(s, "objects", "scanned")+num(s, "objects", "skipped_total")+num(s, "objects", "failed")+nr {
		t.Errorf("objects %v: want not_reached > 0 and the counts to add up", s["objects"])
	}
}

// TestParquetNullErrorCode: in Parquet an absent value is NULL, not "": a
// record without errorCode gives a NULL error_code, one with it the value.
func TestParquetNullErrorCode(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	recs := `{"Records":[` +
		`{"eventVersion":"1.08","eventTime":"2024-03-05T07:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","eventID":"e-1","userAgent":"cli","errorCode":"AccessDenied","errorMessage":"no","recipientAccountId":"111122223333"},` +
		`{"eventVersion":"1.08","eventTime":"2024-03-05T07:00:01Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","eventID":"e-2","userAgent":"cli","recipientAccountId":"111122223333"}` +
		`]}`
	if err := os.WriteFile(filepath.Join(logs, "111122223333_CloudTrail_us-east-1_20240305T0700Z_x.json"), []byte(recs), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "f.parquet")
	if code, _, stderr := cli(t, "scan", logs, "--query", "event.action: CreateUser", "--out", out, "-q"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rows := readParquet(t, out)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %v", len(rows), rows)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i]["event_id"] < rows[j]["event_id"] })
	if ec, ok := rows[0]["error_code"]; !ok || ec != "AccessDenied" {
		t.Errorf("e-1: error_code %q (present %t), want AccessDenied", ec, ok)
	}
	if ec, ok := rows[1]["error_code"]; ok {
		t.Errorf("e-2: error_code %q, want NULL", ec)
	}
	for _, r := range rows {
		if r["user_agent"] != "cli" {
			t.Errorf("%s: user_agent %q, want cli", r["event_id"], r["user_agent"])
		}
	}
}

// TestHistoryInterrupted: a scan interrupted while it reads its --history
// span exits 3 (incomplete, as when interrupted later), says so, and
// writes no findings file.
func TestHistoryInterrupted(t *testing.T) {
	tree := shardTree(t)
	out := filepath.Join(t.TempDir(), "f.jsonl")
	ctx := interruptAfter(t, 2)
	var so, se bytes.Buffer
	code := run(ctx, []string{"scan", tree, "--since", "2026-07-03T00:00:00Z", "--history", "2d", "--out", out, "-q"}, strings.NewReader(""), &so, &se)
	if code != exitIncomplete || !strings.Contains(se.String(), "--history 2d") || !strings.Contains(se.String(), "interrupted") {
		t.Errorf("exit %d, want %d naming the history pass and the interruption\n%s", code, exitIncomplete, se.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an interrupted history pass wrote a findings file")
	}
}
