package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/s3test"
)

// TestS3Timeouts: through a proxy that stops answering some GETs — before
// the headers or halfway through the body, once or every time — the scan
// ends within a bounded time with every object accounted for: those stalled
// once are read (their findings are the clean run's), those stalled every
// time fail with kind "timeout" after --retries attempts, and the exit code
// is 3.
func TestS3Timeouts(t *testing.T) {
	fastRetries(t)
	tree := manyTree(8, 10)
	srv := serveTree(t, "stalls", tree)
	name := func(i int) string { return "/" + tree.Files[i].Key }
	stalls := []*s3test.Stall{
		{Match: name(0), Body: true, Times: 1},
		{Match: name(1), Times: 1},
		{Match: name(2), Body: true, Times: -1},
		{Match: name(3), Times: -1},
	}
	proxy := srv.Proxy(t, stalls...)
	dir := t.TempDir()
	out, summary, errs := filepath.Join(dir, "f.jsonl"), filepath.Join(dir, "summary.json"), filepath.Join(dir, "errors.jsonl")
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a hang fails the test instead of blocking it
	defer cancel()
	code, stderr := runCtx(ctx, "scan", "s3://stalls", "--out", out, "--summary", summary, "--errors", errs, "-q",
		"--endpoint-url", proxy.Endpoint, "--s3-path-style", "--region", srv.Region, "--s3-timeout", "300ms", "--retries", "3")
	elapsed := time.Since(start)
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	if elapsed > 10*time.Second {
		t.Errorf("the scan took %v", elapsed)
	}
	s := summaryOf(t, summary)
	if s["complete"] != true {
		t.Errorf("the scan did not complete (interrupted by the test's deadline?)\n%s", stderr)
	}
	listed, scanned, failed := num(s, "objects", "listed"), num(s, "objects", "scanned"), num(s, "objects", "failed")
	if listed != int64(len(tree.Files)) || scanned != listed-2 || failed != 2 {
		t.Errorf("objects: listed %d scanned %d failed %d, want %d, %d, 2", listed, scanned, failed, len(tree.Files), len(tree.Files)-2)
	}
	lines := readErrors(t, errs)
	for _, l := range lines {
		if l["kind"] != "timeout" || !strings.Contains(l["reason"], "timeout") || !strings.Contains(l["reason"], "after 3 attempts") {
			t.Errorf("error line %v: want kind timeout, a timeout reason, after 3 attempts", l)
		}
	}
	if len(lines) != 2 {
		t.Errorf("%d error lines, want 2: %v", len(lines), lines)
	}
	for i, st := range stalls {
		want := st.Times
		if want < 0 {
			want = 3
		}
		if got := proxy.Stalled(st); got != want {
			t.Errorf("object %d: %d requests stalled, want %d", i, got, want)
		}
	}
	bad := map[string]bool{tree.Files[2].Key: true, tree.Files[3].Key: true}
	want := wantKeys(tree, func(k string) string { return "s3://stalls/" + k }, func(h gen.Hit) bool { return !bad[h.Key] })
	equalKeys(t, "through the stalling proxy", keysOf(readFindings(t, out)), want)
	t.Logf("%d objects, 4 stalled, scanned in %v", len(tree.Files), elapsed.Round(time.Millisecond))
}

// runCtx runs the CLI in-process under ctx.
func runCtx(ctx context.Context, args ...string) (code int, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, args, strings.NewReader(""), &out, &errb)
	return code, errb.String()
}

// TestS3FolderFails: a folder whose listing fails every time (503
// SlowDown, through a proxy) is one failure in the summary and in
// --errors, with its prefix and the reason; every other folder is listed
// and scanned (their findings are all there), and the exit code is 3.
func TestS3FolderFails(t *testing.T) {
	tree := manyTree(24, 10)
	srv := serveTree(t, "folders", tree)
	const folder = "AWSLogs/444455556666/CloudTrail/eu-west-1/"
	st := &s3test.Stall{Match: strings.ReplaceAll(folder, "/", "%2F"), Status: 503, Times: -1}
	proxy := srv.Proxy(t, st)
	dir := t.TempDir()
	out, summary, errs := filepath.Join(dir, "f.jsonl"), filepath.Join(dir, "summary.json"), filepath.Join(dir, "errors.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, stderr := runCtx(ctx, "scan", "s3://folders", "--out", out, "--summary", summary, "--errors", errs,
		"--endpoint-url", proxy.Endpoint, "--s3-path-style", "--region", srv.Region)
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	lost := 0
	for _, f := range tree.Files {
		if strings.HasPrefix(f.Key, folder) {
			lost++
		}
	}
	if lost == 0 || lost == len(tree.Files) {
		t.Fatalf("%d of %d files under %s: the test needs some, not all", lost, len(tree.Files), folder)
	}
	s := summaryOf(t, summary)
	listed, scanned, failed := num(s, "objects", "listed"), num(s, "objects", "scanned"), num(s, "objects", "failed")
	if want := int64(len(tree.Files) - lost); scanned != want || failed != 1 || listed != want+1 || s["complete"] != true {
		t.Errorf("objects: listed %d scanned %d failed %d complete %v; want %d, %d, 1, true", listed, scanned, failed, s["complete"], want+1, want)
	}
	lines := readErrors(t, errs)
	if len(lines) != 1 || lines[0]["uri"] != "s3://folders/"+folder || lines[0]["kind"] != "throttled" ||
		!strings.Contains(lines[0]["reason"], folder) || !strings.Contains(lines[0]["reason"], "SlowDown") {
		t.Errorf("--errors: %v, want one throttled line for s3://folders/%s naming it and SlowDown", lines, folder)
	}
	if !strings.Contains(stderr, folder) {
		t.Errorf("the summary on stderr does not name %s:\n%s", folder, stderr)
	}
	if n := proxy.Stalled(st); n < 2 {
		t.Errorf("the folder's listing was tried %d times, want it retried", n)
	}
	want := wantKeys(tree, func(k string) string { return "s3://folders/" + k }, func(h gen.Hit) bool { return !strings.HasPrefix(h.Key, folder) })
	equalKeys(t, "the other folders", keysOf(readFindings(t, out)), want)
}
