package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// spillRule is a new_terms rule that every record feeds: a new source
// address, with a history of an hour. On a span tree with a large pool of
// addresses its state is many times a tiny --memory.
const spillRule = `[rule]
rule_id = "spill-new-ip"
name = "API call from a new source address"
type = "new_terms"
severity = "low"
risk_score = 21
query = "event.provider: *"
[rule.new_terms]
field = "new_terms_fields"
value = ["source.ip"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-1h"
`

// spillTree writes a small span tree and the rule; it returns their paths.
func spillTree(t *testing.T) (tree, rules string) {
	t.Helper()
	tree = filepath.Join(t.TempDir(), "logs")
	if _, err := gen.Span(tree, gen.SpanOptions{Days: 1, Accounts: 40, IPs: 50_000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	rules = filepath.Join(t.TempDir(), "spill.toml")
	if err := os.WriteFile(rules, []byte(spillRule), 0o644); err != nil {
		t.Fatal(err)
	}
	return tree, rules
}

// mountTmpfs mounts a tmpfs of size bytes (read-only with ro) on a fresh
// folder, unmounted when the test ends. Without the privilege to mount it
// skips, or fails when CI=true (CI runs as root).
func mountTmpfs(t *testing.T, size string, ro bool) string {
	t.Helper()
	dir := t.TempDir()
	opts := "size=" + size
	if ro {
		opts += ",ro"
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount a tmpfs (CI runs as root): %v: %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here (%v: %s): this test needs root", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	return dir
}

// sortedLines returns the lines of a findings file, sorted.
func sortedLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	sort.Strings(lines)
	return lines
}

// TestSpillSameFindings: with a --memory so small that the aggregate state
// spills many runs to --work-dir, the findings are those of a run that
// keeps everything in memory, and the work folder is removed at the end.
func TestSpillSameFindings(t *testing.T) {
	tree, rules := spillTree(t)
	out := t.TempDir()
	code, _, stderr := cli(t, "scan", tree, "--rules", rules, "--out", filepath.Join(out, "mem.jsonl"), "-q")
	if code != 0 {
		t.Fatalf("in memory: exit %d: %s", code, stderr)
	}
	work := t.TempDir()
	sum := filepath.Join(t.TempDir(), "summary.json")
	code, _, stderr = cli(t, "scan", tree, "--rules", rules, "--out", filepath.Join(out, "spill.jsonl"), "-q",
		"--memory", "1MiB", "--work-dir", work, "--summary", sum)
	if code != 0 {
		t.Fatalf("spilling: exit %d: %s", code, stderr)
	}
	if runs := num(summaryOf(t, sum), "spilled", "runs"); runs < 2 {
		t.Errorf("%d runs spilled with --memory 1MiB: the spill path did not run", runs)
	}
	want, got := sortedLines(t, filepath.Join(out, "mem.jsonl")), sortedLines(t, filepath.Join(out, "spill.jsonl"))
	if len(want) < 1000 {
		t.Fatalf("only %d findings: the tree does not exercise the rule", len(want))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("spilling gave %d findings, in memory %d, or other ones", len(got), len(want))
	}
	if left, _ := os.ReadDir(work); len(left) != 0 {
		t.Errorf("the work directory still holds %d entries after the scan", len(left))
	}
}

// TestWorkDirFull: a work directory that fills up mid-scan fails the scan
// with exit 3, says which rules were not evaluated and why, and leaves no
// output under the final name.
func TestWorkDirFull(t *testing.T) {
	tree, rules := spillTree(t)
	full := mountTmpfs(t, "256k", false)
	out := filepath.Join(t.TempDir(), "findings.jsonl")
	sum := filepath.Join(t.TempDir(), "summary.json")
	code, _, stderr := cli(t, "scan", tree, "--rules", rules, "--out", out, "--summary", sum,
		"--memory", "1MiB", "--work-dir", full)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d: %s", code, exitIncomplete, stderr)
	}
	for _, want := range []string{"NOT EVALUATED", "spill-new-ip", "no space left on device", "work directory"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output under the final name after a failed scan: %v", err)
	}
	if m := summaryOf(t, sum); !strings.Contains(m["not_evaluated"].(string), "spill-new-ip") {
		t.Errorf("summary not_evaluated = %v", m["not_evaluated"])
	}
	if left, _ := os.ReadDir(full); len(left) != 0 {
		t.Errorf("the full work directory still holds %d entries", len(left))
	}
}

// TestWorkDirUnwritable: a work directory that cannot be written (a
// read-only file system, or a file) is a usage error at start, exit 2.
func TestWorkDirUnwritable(t *testing.T) {
	tree, rules := spillTree(t)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"file": file, "read-only": ""} {
		t.Run(name, func(t *testing.T) {
			if dir == "" {
				dir = mountTmpfs(t, "1m", true)
			}
			out := filepath.Join(t.TempDir(), "findings.jsonl")
			code, _, stderr := cli(t, "scan", tree, "--rules", rules, "--out", out, "--work-dir", dir)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d: %s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, "--work-dir") {
				t.Errorf("the error does not name --work-dir: %s", stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output written: %v", err)
			}
		})
	}
}
