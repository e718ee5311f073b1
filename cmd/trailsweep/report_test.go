package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReportCommand: scan --html and report over the scan's Parquet, CSV
// and JSONL outputs (with its --summary) write the same report.
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	stamp := regexp.MustCompile(`generated [0-9TZ:-]+`)
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return stamp.ReplaceAllString(string(b), "")
	}
	if code, _, stderr := cli(t, "scan", sampleDir(t), "-q", "--out", out("f.parquet"), "--summary", out("s.json"), "--html", out("scan.html")); code != 0 {
		t.Fatalf("scan: exit %d: %s", code, stderr)
	}
	scanned := read(out("scan.html"))
	if !strings.Contains(scanned, `<b id="total-count">`) || !strings.Contains(scanned, "records&#39; event time") {
		t.Fatal("scan --html: no counts or no coverage")
	}
	for _, f := range []string{"f.csv", "f.jsonl"} {
		if code, _, stderr := cli(t, "scan", sampleDir(t), "-q", "--out", out(f)); code != 0 {
			t.Fatalf("scan %s: exit %d: %s", f, code, stderr)
		}
	}
	for _, f := range []string{"f.parquet", "f.csv", "f.jsonl"} {
		html := out(f + ".html")
		if code, _, stderr := cli(t, "report", out(f), "--summary", out("s.json"), "--html", html); code != 0 {
			t.Fatalf("report %s: exit %d: %s", f, code, stderr)
		}
		if got := read(html); got != scanned {
			t.Errorf("report %s differs from scan --html", f)
		}
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"no --html", []string{"report", out("f.parquet")}},
		{"no findings", []string{"report", "--html", out("x.html")}},
		{"missing file", []string{"report", out("nope.parquet"), "--html", out("x.html")}},
		{"bad summary", []string{"report", out("f.parquet"), "--summary", out("f.csv"), "--html", out("x.html")}},
		{"--html is --out", []string{"scan", sampleDir(t), "--out", out("same.jsonl"), "--html", out("same.jsonl")}},
	} {
		if code, _, _ := cli(t, c.args...); code != exitUsage {
			t.Errorf("%s: exit %d, want %d", c.name, code, exitUsage)
		}
	}
}
