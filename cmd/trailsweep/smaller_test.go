package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/trailsweep/trailsweep/internal/s3test"
)

// TestOutputModes: findings, --summary and --errors files are created as
// os.Create creates files, 0666 less the umask (before: findings 0600,
// the others 0644 whatever the umask).
func TestOutputModes(t *testing.T) {
	old := syscall.Umask(0o027)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	logs := sampleDir(t)
	for _, ext := range []string{".jsonl", ".csv", ".parquet"} {
		out, sum, errs := filepath.Join(dir, "f"+ext), filepath.Join(dir, "s"+ext+".json"), filepath.Join(dir, "e"+ext+".jsonl")
		if code, _, stderr := cli(t, "scan", logs, "--out", out, "--summary", sum, "--errors", errs, "-q"); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		for _, f := range []string{out, sum, errs} {
			if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("%s: mode %v (%v), want 0640 under umask 027", filepath.Base(f), fi.Mode(), err)
			}
		}
	}
}

// TestVersionFlag: trailsweep --version prints what trailsweep version
// prints (before: unknown flag, exit 2).
func TestVersionFlag(t *testing.T) {
	code, flag, stderr := cli(t, "--version")
	_, cmd, _ := cli(t, "version")
	if code != 0 || flag != cmd || !strings.HasPrefix(flag, "trailsweep ") || stderr != "" {
		t.Errorf("--version: exit %d, stdout %q (version: %q), stderr %q", code, flag, cmd, stderr)
	}
}

// TestDidYouMean: a mistyped command's suggestion is printed on lines of
// its own (before: one line with literal \n and \t).
func TestDidYouMean(t *testing.T) {
	code, stdout, stderr := cli(t, "scna")
	want := "trailsweep: unknown command \"scna\" for \"trailsweep\"\n\nDid you mean this?\n  scan\nRun 'trailsweep --help' for usage.\n"
	if code != 2 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q, want %q", code, stdout, stderr, want)
	}
}

// TestAttemptsOnce: an S3 object that fails every attempt says how many
// attempts it took once, on stderr and in --errors (before, the SDK's
// "exceeded maximum number of attempts, 1" of each single GET came before
// trailsweep's "(after 3 attempts)").
func TestAttemptsOnce(t *testing.T) {
	fastRetries(t)
	tree := manyTree(2, 5)
	srv := serveTree(t, "retried", tree)
	proxy := srv.Proxy(t, &s3test.Stall{Match: "/" + tree.Files[0].Key, Times: -1})
	errs := filepath.Join(t.TempDir(), "errors.jsonl")
	code, _, stderr := cli(t, "scan", "s3://retried", "--errors", errs, "--endpoint-url", proxy.Endpoint, "--s3-path-style",
		"--region", srv.Region, "--s3-timeout", "200ms", "--retries", "3")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	lines := readErrors(t, errs)
	if len(lines) != 1 {
		t.Fatalf("%d error lines, want 1: %v", len(lines), lines)
	}
	for _, s := range []string{stderr, lines[0]["reason"]} {
		if n := strings.Count(s, "attempts"); n != 1 || !strings.Contains(s, "(after 3 attempts)") {
			t.Errorf("%d mentions of attempts, want one \"(after 3 attempts)\":\n%s", n, s)
		}
	}
}

// TestStdoutFormats: --out - honours --format (before: JSONL whatever
// --format said); --summary - writes the summary's JSON alone to stdout,
// the findings table going to stderr; --summary - with --out - exits 2.
func TestStdoutFormats(t *testing.T) {
	logs := sampleDir(t)
	code, stdout, stderr := cli(t, "scan", logs, "--out", "-", "--format", "csv", "-q")
	if code != 0 || !strings.HasPrefix(stdout, "rule_id,rule_name,") {
		t.Errorf("--out - --format csv: exit %d, stdout %.80q\n%s", code, stdout, stderr)
	}
	if recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll(); err != nil || len(recs) < 2 {
		t.Errorf("--out - --format csv: %d records, %v", len(recs), err)
	}

	code, stdout, stderr = cli(t, "scan", logs, "--summary", "-", "-q")
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); code != 0 || err != nil || sum["findings"].(float64) == 0 {
		t.Errorf("--summary -: exit %d, stdout is not the summary (%v):\n%s", code, err, stdout)
	}
	if !strings.Contains(stderr, "AWS Lambda Event Source") || !strings.Contains(stderr, "LOCATION") { // the table cuts long names
		t.Errorf("--summary -: the findings table is not on stderr:\n%s", stderr)
	}

	code, stdout, stderr = cli(t, "scan", logs, "--summary", "-", "--out", "-")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "both want stdout") {
		t.Errorf("--summary - --out -: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestHelp: every command's --help gives an example and the exit codes
// (before: neither).
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"scan", "--help"}, {"rules", "--help"}, {"rules", "lint", "--help"}, {"version", "--help"}} {
		code, stdout, stderr := cli(t, args...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
		for _, want := range []string{"Examples:\n  trailsweep ", "Exit codes:\n  0  ", "\n  2  "} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%v: no %q in\n%s", args, want, stdout)
			}
		}
	}
}

// TestStdinSource: "-" as a source reads one log object (gzip or not) from
// stdin (before: "-" was a local path that does not exist, exit 2).
func TestStdinSource(t *testing.T) {
	dir := sampleDir(t)
	var file string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if strings.HasSuffix(p, "20261121T2215Z_aB3cD4eF5gH6iJ7k.json.gz") {
			file = p
		}
		return err
	})
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := cli(t, "scan", file, "--out", "-", "-q")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"scan", "-", "--out", "-"}, bytes.NewReader(body), &out, &errb)
	if code != 0 || out.Len() == 0 {
		t.Fatalf("exit %d, %d bytes of findings\n%s", code, out.Len(), errb.String())
	}
	// The same findings as the file's, but for where they came from.
	etag := regexp.MustCompile(`"object_etag":"[^"]*",`)
	got := strings.ReplaceAll(etag.ReplaceAllString(out.String(), ""), `"source_uri":"-"`, `"source_uri":"`+file+`"`)
	if want = etag.ReplaceAllString(want, ""); got != want {
		t.Errorf("findings from stdin:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(errb.String(), "1 listed = 1 scanned") {
		t.Errorf("summary:\n%s", errb.String())
	}
}

// TestRulesTwice: the same rules reached twice (a folder given twice, a
// file and its folder) load once (before: "duplicate rule id X: f and f",
// exit 2).
func TestRulesTwice(t *testing.T) {
	dir := filepath.Join("..", "..", "internal", "rule", "builtin")
	abs, _ := filepath.Abs(dir)
	_, want, _ := cli(t, "rules", "--rules", dir, "--json")
	code, got, stderr := cli(t, "rules", "--rules", dir, "--rules", abs, "--rules", filepath.Join(dir, "cloudtrail_logging_impaired.toml"), "--json")
	if code != 0 || got != want || stderr != "" {
		t.Errorf("exit %d, stderr %q; rules differ: %v", code, stderr, got != want)
	}
}
