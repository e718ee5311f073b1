package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
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

// TestKillResume: a checkpointed scan of 1000 objects is killed with SIGKILL
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
	tree := manyTree(1000, 50)
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
	rng := rand.New(rand.NewPCG(4, uint64(time.Now().UnixNano())))
	kills := 0
	var parts []int
	for attempt := 0; kills < 10 && attempt < 30; attempt++ {
		a := args
		if attempt > 0 {
			a = append(a, "--resume")
		}
		cmd := exec.Command(bin, a...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		before := committed(ck)
		delay := time.Duration(rng.Float64() * float64(cleanTime) / 10)
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
	if kills < 10 {
		t.Fatalf("only %d runs were killed part-way, want 10", kills)
	}
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
	if parts[len(parts)-1] == 0 {
		t.Errorf("no batch was committed before the last kill: the kills never hit a run that had made progress")
	}
	t.Logf("kill/resume: %d objects, %d findings, clean run %v, %d SIGKILLs, committed parts after each kill %v",
		len(tree.Files), len(want), cleanTime.Round(time.Millisecond), kills, parts)
}

// committed returns the number of batches committed in checkpoint dir ck.
func committed(ck string) int {
	n, _ := filepath.Glob(filepath.Join(ck, "parts", "*.jsonl"))
	return len(n)
}
