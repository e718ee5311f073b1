package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// buildCLI builds the trailsweep binary into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trailsweep")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestKillResume: a checkpointed scan of 1600 objects is killed with SIGKILL
// at 10 random points and resumed each time; the final output equals the
// clean run's row for row, with no duplicates. Each run is killed at a
// random moment after it committed its first batch (so every run makes
// progress and every kill lands mid-scan), or, one time in four, at a
// random moment before.
func TestKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it a dozen times")
	}
	bin := buildCLI(t)
	// 25 batches, and kills at most a twentieth of a clean run after a
	// batch is committed: each kill costs a run about a batch and a half,
	// so the ten land mid-scan (with 16 batches and a tenth, a run
	// sometimes finished before its kill).
	tree := manyTree(1600, 50)
	logs := t.TempDir()
	if err := gen.WriteTree(logs, tree.Files); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// One worker and one fetcher keep the run long enough to be killed
	// part-way; the queries make each record cost a little more.
	common := []string{"scan", logs, "-q", "--workers", "1", "--concurrency", "1",
		"--query", `event.action: "CreateEventSourceMapping20150331" and event.provider: "lambda.amazonaws.com"`,
		"--query", `user_agent.original: *python/2* or aws.cloudtrail.request_parameters: *maxResults=1000*`,
		"--query", `source.ip: 198.51.100.0/24 and aws.cloudtrail.user_identity.type: Root`}

	clean := filepath.Join(dir, "clean.jsonl")
	start := time.Now()
	if out, err := exec.Command(bin, append(common, "--out", clean)...).CombinedOutput(); err != nil {
		t.Fatalf("clean run: %v\n%s", err, out)
	}
	cleanTime := time.Since(start)
	want := sortedRows(t, clean)
	if len(want) == 0 {
		t.Fatal("the clean run found nothing")
	}

	out := filepath.Join(dir, "resumed.jsonl")
	ck := filepath.Join(dir, "checkpoint")
	args := append(common, "--out", out, "--checkpoint", ck)
	parts := killRuns(t, bin, args, ck, out, cleanTime/20, 10)
	final := exec.Command(bin, append(args, "--resume", "--summary", out+".summary.json")...)
	if b, err := final.CombinedOutput(); err != nil {
		t.Fatalf("final resume: %v\n%s", err, b)
	}
	got := sortedRows(t, out)
	if d := duplicates(got); len(d) > 0 {
		t.Errorf("%d duplicate findings, e.g. %s", len(d), d[0])
	}
	equalRows(t, "killed and resumed", got, want)
	s := summaryOf(t, out+".summary.json")
	if num(s, "objects", "listed") != int64(len(tree.Files)) || num(s, "objects", "scanned") != int64(len(tree.Files)) {
		t.Errorf("summary: listed %d scanned %d, want %d", num(s, "objects", "listed"), num(s, "objects", "scanned"), len(tree.Files))
	}
	if r := num(s, "records", "read"); r != int64(len(tree.Files)*50) || r != num(s, "records", "evaluated")+num(s, "records", "outside_window")+num(s, "records", "malformed") {
		t.Errorf("summary records do not add up to %d: %v", len(tree.Files)*50, s["records"])
	}
	t.Logf("kill/resume: %d objects, %d findings, clean run %v, %d SIGKILLs, committed parts after each kill %v",
		len(tree.Files), len(want), cleanTime.Round(time.Millisecond), len(parts), parts)
}

// killRuns runs the checkpointed scan args (checkpoint directory ck,
// output out) and kills it with SIGKILL until it was killed part-way n
// times, resuming each time (a run killed before it wrote its manifest is
// started again, not resumed). Each run is killed at a random moment after
// it committed its first batch (so every run makes progress and every kill
// lands mid-scan), or, one time in four, at a random moment before; delays
// are drawn up to maxDelay. It returns the number of committed
// parts after each kill, and fails t unless n kills happened, the last of
// them after some progress, and no killed run left an output file.
func killRuns(t *testing.T, bin string, args []string, ck, out string, maxDelay time.Duration, n int) []int {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, uint64(time.Now().UnixNano())))
	kills := 0
	var parts []int
	for attempt := 0; kills < n && attempt < 3*n; attempt++ {
		a := args
		if _, err := os.Stat(filepath.Join(ck, "manifest.json")); err == nil {
			a = append(a, "--resume")
		}
		cmd := exec.Command(bin, a...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		before := committed(ck)
		delay := time.Duration(rng.Float64() * float64(maxDelay))
		if rng.IntN(4) > 0 {
			for deadline := time.Now().Add(20 * time.Second); committed(ck) == before && time.Now().Before(deadline); {
				time.Sleep(2 * time.Millisecond)
			}
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
			kills++
			parts = append(parts, committed(ck))
			if _, err := os.Stat(out); err == nil {
				t.Fatalf("kill %d: a killed run left an output file", kills)
			}
			continue
		}
		if err != nil {
			t.Fatalf("run %d: %v\n%s", attempt, err, stderr.String())
		}
		t.Logf("run %d finished before its kill at %v", attempt, delay)
		break
	}
	if kills < n {
		t.Fatalf("only %d runs were killed part-way, want %d", kills, n)
	}
	if parts[len(parts)-1] == 0 {
		t.Errorf("no batch was committed before the last kill: the kills never hit a run that had made progress")
	}
	return parts
}

// committed returns the number of batches committed in checkpoint dir ck.
func committed(ck string) int {
	n, _ := filepath.Glob(filepath.Join(ck, "parts", "[0-9]*")) // not the temporary files (".NAME.tmp-…")
	return len(n)
}

// TestCheckpointRules: what resuming refuses and what it retries.
func TestCheckpointRules(t *testing.T) {
	fastRetries(t)
	tree := manyTree(30, 8)
	logs := t.TempDir()
	if err := gen.WriteTree(logs, tree.Files); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.jsonl")
	if code, _, stderr := cli(t, "scan", logs, "--out", clean, "-q"); code != 0 {
		t.Fatalf("clean run: exit %d\n%s", code, stderr)
	}
	want := sortedRows(t, clean)
	out := filepath.Join(dir, "out.jsonl")
	ck := filepath.Join(dir, "ck")
	base := []string{"scan", logs, "--out", out, "--checkpoint", ck, "-q", "--retries", "2"}

	// A run where every read fails: all objects failed, recorded as such.
	wrapSource = func(s reader.Source) reader.Source { return reader.Faults(s, reader.FaultOptions{Reset: 1}) }
	code, _, stderr := cli(t, base...)
	wrapSource = nil
	if code != 3 || !strings.Contains(stderr, "could not be read") {
		t.Fatalf("all-failing run: exit %d, want 3\n%s", code, stderr)
	}

	for _, c := range []struct {
		name  string
		extra []string
		msg   string
	}{
		{"exists", nil, "--resume continues it"},
		{"other window", []string{"--resume", "--since", "2026-11-21"}, "--since"},
		{"other rules", []string{"--resume", "--query", "event.action: X"}, "rule set"},
		{"other sources", []string{"--resume", t.TempDir()}, "sources"},
	} {
		code, _, stderr := cli(t, append(base, c.extra...)...)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%s: exit %d, want 2 and a message naming %q\n%s", c.name, code, c.msg, stderr)
		}
	}
	if code, _, stderr := cli(t, "scan", logs, "--checkpoint", t.TempDir(), "--resume"); code != 2 || !strings.Contains(stderr, "no checkpoint") {
		t.Errorf("resume of an empty directory: exit %d\n%s", code, stderr)
	}

	// Resuming retries the failed objects; their findings appear once.
	sumPath := filepath.Join(dir, "summary.json")
	if code, _, stderr := cli(t, append(base, "--resume", "--summary", sumPath)...); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	equalRows(t, "resumed after failures", sortedRows(t, out), want)
	s := summaryOf(t, sumPath)
	if num(s, "objects", "scanned") != 30 || num(s, "objects", "failed") != 0 {
		t.Errorf("resumed summary: scanned %d failed %d", num(s, "objects", "scanned"), num(s, "objects", "failed"))
	}
	var m struct {
		Complete bool
		Counts   map[string]int64
	}
	b, _ := os.ReadFile(filepath.Join(ck, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	c := m.Counts
	if !m.Complete || c["Listed"] != 30 || c["Listed"] != c["Scanned"]+c["Skipped"]+c["Failed"] ||
		c["Read"] != c["Evaluated"]+c["OutsideWindow"]+c["Malformed"] || c["Findings"] != int64(len(want)) {
		t.Errorf("manifest: complete %v counts %v", m.Complete, c)
	}

	// A late file: resuming a finished run reads only what is new.
	late := manyTree(31, 8)
	if err := gen.WriteTree(logs, late.Files[30:]); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, append(base, "--resume")...); code != 0 {
		t.Fatalf("resume with a late file: exit %d\n%s", code, stderr)
	}
	if got := sortedRows(t, out); len(got) <= len(want) || len(duplicates(got)) > 0 {
		t.Errorf("after a late file: %d findings (%d duplicates), want more than %d", len(got), len(duplicates(got)), len(want))
	}

	// --force starts over.
	if code, _, stderr := cli(t, append(base, "--force", "--since", "2026-11-21")...); code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, stderr)
	}
}

// editedSigma is a Sigma rule whose detection the test edits.
const editedSigma = `title: CloudTrail changed
id: 11111111-2222-3333-4444-555555555555
status: test
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: DeleteTrail
  condition: selection
level: high
`

// TestResumeRefusesEditedRules: an edit of a rule's meaning that leaves its
// query or condition string as it was — a Sigma detection, a threshold
// value, new_terms fields — makes --resume refuse the rule set (exit 2),
// as any other change of rules does.
func TestResumeRefusesEditedRules(t *testing.T) {
	tree := manyTree(6, 5)
	logs := t.TempDir()
	if err := gen.WriteTree(logs, tree.Files); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, file, rule, from, to string
	}{
		{"sigma detection", "trail.yml", editedSigma, "eventName: DeleteTrail", "eventName: PutEventSelectors"},
		{"threshold value", "threshold.toml", aggRules["threshold.toml"], "value = 6", "value = 7"},
		{"new_terms fields", "new_terms.toml", aggRules["new_terms.toml"], `value = ["user.name", "source.ip"]`, `value = ["user.name"]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(c.rule, c.from) {
				t.Fatalf("the rule lacks %q", c.from)
			}
			rules := writeRules(t, map[string]string{c.file: c.rule})
			dir := t.TempDir()
			args := []string{"scan", logs, "--rules", rules, "--out", filepath.Join(dir, "out.jsonl"), "--checkpoint", filepath.Join(dir, "ck"), "-q"}
			if code, _, stderr := cli(t, args...); code != 0 {
				t.Fatalf("first run: exit %d\n%s", code, stderr)
			}
			// Checkpoint files hold findings and records: the owner's only.
			files, _ := filepath.Glob(filepath.Join(dir, "ck", "parts", "*"))
			for _, f := range append(files, filepath.Join(dir, "ck", "manifest.json")) {
				if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v (%v), want 0600", f, fi.Mode(), err)
				}
			}
			edited := strings.Replace(c.rule, c.from, c.to, 1)
			if err := os.WriteFile(filepath.Join(rules, c.file), []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := cli(t, append(args, "--resume")...)
			if code != 2 || !strings.Contains(stderr, "rule set") {
				t.Errorf("resume after the edit: exit %d, want 2 and a message naming the rule set\n%s", code, stderr)
			}
		})
	}
}

// TestOneRunPerCheckpoint: while a checkpointed scan runs (a child
// process, slowed by one worker and one fetcher), a second scan on the same
// checkpoint — resuming it — and a second scan writing the same output are
// refused with exit 2, naming the holder; the first run's output is
// complete.
func TestOneRunPerCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildCLI(t)
	tree := manyTree(600, 50)
	logs := t.TempDir()
	if err := gen.WriteTree(logs, tree.Files); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.jsonl")
	if code, _, stderr := cli(t, "scan", logs, "--out", clean, "-q"); code != 0 {
		t.Fatalf("clean run: exit %d\n%s", code, stderr)
	}
	out, ck := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "ck")
	args := []string{"scan", logs, "--out", out, "--checkpoint", ck, "-q"}
	first := exec.Command(bin, append(args, "--workers", "1", "--concurrency", "1")...)
	var stderr1 bytes.Buffer
	first.Stderr = &stderr1
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); committed(ck) == 0 && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
	pid := fmt.Sprintf("pid %d", first.Process.Pid)
	code, _, stderr := cli(t, append(args, "--resume")...)
	if code != 2 || !strings.Contains(stderr, pid) {
		t.Errorf("second run on the checkpoint: exit %d, want 2 and a message naming %q\n%s", code, pid, stderr)
	}
	code, _, stderr = cli(t, "scan", logs, "--out", out, "--checkpoint", filepath.Join(dir, "ck2"), "-q")
	if code != 2 || !strings.Contains(stderr, pid) {
		t.Errorf("second run on the output: exit %d, want 2 and a message naming %q\n%s", code, pid, stderr)
	}
	if committed(ck) == len(tree.Files) {
		t.Log("the first run had committed every object before the second ran: the check is weaker")
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v\n%s", err, stderr1.String())
	}
	equalRows(t, "first run", sortedRows(t, out), sortedRows(t, clean))
	if _, err := os.Stat(filepath.Join(ck, "lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file outlived its run: %v", err)
	}
}
