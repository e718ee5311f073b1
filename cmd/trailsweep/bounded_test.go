package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// boundedRules are five new_terms rules and a threshold rule that every
// record feeds, keyed on values drawn from a large pool: their state grows
// with the span and the number of distinct addresses.
func boundedRules(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i, fields := range [][]string{{"source.ip"}, {"user.name", "source.ip"}, {"source.ip", "event.action"}, {"cloud.account.id", "source.ip"}, {"source.ip", "cloud.region"}} {
		quoted, _ := json.Marshal(fields)
		body := fmt.Sprintf(`[rule]
rule_id = "bounded-nt-%d"
name = "New %s"
type = "new_terms"
severity = "low"
risk_score = 21
query = "event.provider: *"
[rule.new_terms]
field = "new_terms_fields"
value = %s
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-1d"
`, i, strings.Join(fields, " and "), quoted)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("nt%d.toml", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	th := `[rule]
rule_id = "bounded-threshold"
name = "Calls from one address"
type = "threshold"
severity = "low"
risk_score = 21
query = "event.provider: *"
from = "now-60m"
interval = "30m"
[rule.threshold]
field = ["source.ip"]
value = 2
`
	if err := os.WriteFile(filepath.Join(dir, "th.toml"), []byte(th), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// childScan runs the built binary and returns its peak RSS in MiB, as its
// summary reports it (its own VmHWM: the rusage of a child started from
// this test binary carries this process's high-water mark), and the
// summary.
func childScan(t *testing.T, bin string, args ...string) (float64, map[string]any) {
	t.Helper()
	sum := filepath.Join(t.TempDir(), "summary.json")
	cmd := exec.Command(bin, append(append([]string{"scan"}, args...), "-q", "--summary", sum)...)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=", "GOGC=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(cmd.Args, " "), err, out)
	}
	m := summaryOf(t, sum)
	rss := float64(num(m, "memory", "peak_rss_bytes")) / (1 << 20)
	if rss == 0 {
		t.Skip("the OS does not report the peak RSS (/proc/self/status)")
	}
	return rss, m
}

// TestBoundedMemory: aggregate rules on a tree whose aggregate state is
// many times the memory budget give the findings of a run that keeps it
// all in memory, within the budget (peak RSS of the child process, as the
// bench measures it).
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and scans 5 days of 100 accounts twice")
	}
	bin := filepath.Join(t.TempDir(), "trailsweep")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	tree := filepath.Join(t.TempDir(), "logs")
	m, err := gen.Span(tree, gen.SpanOptions{Days: 5, Accounts: 100, IPs: 200_000, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	rules := boundedRules(t)
	out := t.TempDir()
	const budget = 96 // MiB
	rss, sum := childScan(t, bin, tree, "--rules", rules, "--out", filepath.Join(out, "bounded.jsonl"), "--memory", fmt.Sprintf("%dMiB", budget))
	refRSS, ref := childScan(t, bin, tree, "--rules", rules, "--out", filepath.Join(out, "memory.jsonl"), "--memory", "16GiB")

	// The state: what the first pass of the external sorts wrote, at least
	// (merge passes add to it), against the whole process's budget.
	state := float64(num(sum, "spilled", "bytes")) / (1 << 20)
	t.Logf("%d objects, %.0f MB JSON; bounded: %.0f MiB peak RSS, %d runs, %.0f MiB spilled; in memory: %.0f MiB peak RSS, %d runs; %d findings",
		m.Objects, float64(m.BytesJSON)/1e6, rss, num(sum, "spilled", "runs"), state, refRSS, num(ref, "spilled", "runs"), num(sum, "findings"))
	if state < 10*budget {
		t.Errorf("the aggregate state spilled is %.0f MiB, less than ten times the %d MiB budget: the test does not test that", state, budget)
	}
	if num(ref, "spilled", "runs") != 0 {
		t.Errorf("the in-memory reference spilled")
	}
	if rss > budget {
		t.Errorf("peak RSS %.0f MiB over the %d MiB budget", rss, budget)
	}
	want, got := sortedLines(t, filepath.Join(out, "memory.jsonl")), sortedLines(t, filepath.Join(out, "bounded.jsonl"))
	if len(want) < 10_000 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bounded: %d findings, in memory: %d, or other ones", len(got), len(want))
	}
}
