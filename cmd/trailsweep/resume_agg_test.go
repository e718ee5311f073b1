package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// readBytes returns the contents of path.
func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKillResumeAggregate: a checkpointed scan with new_terms (with a
// --history window), threshold and EQL sequence rules, over objects whose
// aggregate findings depend on records of many objects and days, is killed
// with SIGKILL at 10 random points and resumed each time; the final output
// equals the clean run's row for row, details included, with no
// duplicates, byte for byte (the output is sorted). The parts never hold aggregate findings (they are decided
// once, at the end), only the events that decide them.
func TestKillResumeAggregate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it a dozen times")
	}
	bin := buildCLI(t)
	tree := aggTree(2000, 24)
	logs := t.TempDir()
	if err := gen.WriteTree(logs, tree.Files); err != nil {
		t.Fatal(err)
	}
	rules := writeRules(t, aggRules)
	dir := t.TempDir()
	// The history scan lists the days its span shares with the main scan:
	// a resume reads them again although the main scan has done them.
	common := []string{"scan", logs, "-q", "--workers", "1", "--concurrency", "1", "--rules", rules,
		"--since", "2026-11-12", "--until", "2026-11-16", "--history", "2d",
		"--query", `event.action: DeleteBucket and user.name: *o*`}

	clean := filepath.Join(dir, "clean.jsonl")
	start := time.Now()
	if out, err := exec.Command(bin, append(common, "--out", clean)...).CombinedOutput(); err != nil {
		t.Fatalf("clean run: %v\n%s", err, out)
	}
	cleanTime := time.Since(start)
	want := sortedRows(t, clean)
	perRule := map[string]int{}
	for _, r := range readFindings(t, clean) {
		perRule[r["rule_id"]]++
	}
	for _, id := range []string{"agg-new-terms", "agg-threshold", "agg-sequence"} {
		if perRule[id] < 5 {
			t.Fatalf("clean run: %d findings of %s, want several (%v)", perRule[id], id, perRule)
		}
	}

	out := filepath.Join(dir, "resumed.jsonl")
	ck := filepath.Join(dir, "checkpoint")
	// The resumed runs spill their aggregate state (a tiny --memory); the
	// clean run keeps it in memory.
	sum := filepath.Join(dir, "summary.json")
	args := append(common, "--out", out, "--checkpoint", ck, "--memory", "1MiB", "--summary", sum)
	// Every run reads its history span first: kill within a twentieth of
	// a clean run after its first commit, so that ten kills land mid-scan.
	parts := killRuns(t, bin, args, ck, out, cleanTime/20, 10)
	final := exec.Command(bin, append(args, "--resume")...)
	if b, err := final.CombinedOutput(); err != nil {
		t.Fatalf("final resume: %v\n%s", err, b)
	} else if strings.Contains(string(b), "warning") {
		t.Errorf("final resume warns:\n%s", b)
	}
	if runs := num(summaryOf(t, sum), "spilled", "runs"); runs < 2 {
		t.Errorf("the final resume spilled %d runs: the spilled path did not run", runs)
	}
	got := sortedRows(t, out)
	if d := duplicates(got); len(d) > 0 {
		t.Errorf("%d duplicate findings, e.g. %s", len(d), d[0])
	}
	equalRows(t, "killed and resumed", got, want)
	// In output order, so the very bytes of the clean run's file.
	if a, b := readBytes(t, out), readBytes(t, clean); !bytes.Equal(a, b) {
		t.Errorf("killed and resumed: the output (%d bytes) differs from the clean run's (%d bytes)", len(a), len(b))
	}
	events, size := partEvents(t, ck)
	t.Logf("kill/resume with aggregate rules: %d objects, findings %v, clean run %v, %d SIGKILLs, committed parts after each kill %v, %d aggregate events stored in %d bytes of events",
		len(tree.Files), perRule, cleanTime.Round(time.Millisecond), len(parts), parts, events, size)
}

// partEvents returns the number and encoded size of the aggregate events
// stored in the parts of checkpoint ck, and fails t when a part holds a
// finding of an aggregate rule.
func partEvents(t *testing.T, ck string) (n, size int) {
	t.Helper()
	entries := 0
	err := scan.CheckpointEntries(ck, func(uri string, findings []report.Finding, events []byte) error {
		entries++
		for _, fi := range findings {
			if strings.HasPrefix(fi.RuleID, "agg-") {
				t.Errorf("%s holds a finding of aggregate rule %s", uri, fi.RuleID)
			}
		}
		if len(events) > 0 {
			c, k := binary.Uvarint(events)
			if k <= 0 {
				t.Fatalf("%s: events without a count", uri)
			}
			n += int(c)
			size += len(events)
		}
		return nil
	})
	if err != nil || entries == 0 {
		t.Fatalf("no entries in the parts of %s: %v", ck, err)
	}
	if n == 0 {
		t.Error("the parts hold no aggregate events")
	}
	return n, size
}

// TestCheckpointOldFormat: a checkpoint written before aggregate events
// were kept is refused with a usage error saying so; --force starts over.
// A resume forced with another rule set warns.
func TestCheckpointOldFormat(t *testing.T) {
	tree := manyTree(6, 4)
	logs := t.TempDir()
	if err := gen.WriteTree(logs, tree.Files); err != nil {
		t.Fatal(err)
	}
	ck := t.TempDir()
	if err := os.WriteFile(filepath.Join(ck, "manifest.json"), []byte(`{"version":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"scan", logs, "--out", filepath.Join(t.TempDir(), "out.jsonl"), "--checkpoint", ck, "-q"}
	code, _, stderr := cli(t, append(base, "--resume")...)
	if code != 2 || !strings.Contains(stderr, "format 1") || !strings.Contains(stderr, "--force") {
		t.Errorf("resume of a format 1 checkpoint: exit %d, want 2 and a message naming the format and --force\n%s", code, stderr)
	}
	if code, _, stderr := cli(t, append(base, "--force")...); code != 0 {
		t.Errorf("--force over a format 1 checkpoint: exit %d\n%s", code, stderr)
	}
	// A resume forced with other rules says that done objects keep theirs.
	code, _, stderr = cli(t, append(base, "--resume", "--force", "--query", "event.action: X")...)
	if code != 0 || !strings.Contains(stderr, "another rule set") {
		t.Errorf("resume forced with other rules: exit %d, want 0 and a warning\n%s", code, stderr)
	}
}
