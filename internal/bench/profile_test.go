//go:build bench

package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// TestProfile scans BENCH_TREE in-process with every rule of ../shared/rules
// (or the built-in ones) into Parquet, under the CPU profiler when
// BENCH_CPUPROFILE names a file (and writes the heap profile at the end of
// the scan to BENCH_MEMPROFILE):
//
//	BENCH_TREE=.cache/bench/tree-1GB-seed1 BENCH_CPUPROFILE=/tmp/cpu.prof \
//	  go test -tags bench -run '^TestProfile$' -v ./internal/bench
//	go tool pprof -top -cum /tmp/cpu.prof
func TestProfile(t *testing.T) {
	tree := os.Getenv("BENCH_TREE")
	if tree == "" {
		t.Skip("BENCH_TREE is not set")
	}
	var paths []string
	for _, c := range []string{"elastic-aws", "sigma-aws"} {
		p := filepath.Join("..", "..", "..", "shared", "rules", c)
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	var rules []*rule.Rule
	if len(paths) > 0 {
		loaded, _ := rule.Load(paths) // as the CLI does; unloadable files are skipped
		seen := map[string]bool{}
		for _, r := range loaded { // the first of two runnable rules with one ID
			if !r.Runnable() || !seen[r.ID] {
				rules = append(rules, r)
				seen[r.ID] = seen[r.ID] || r.Runnable()
			}
		}
	}
	if len(rules) == 0 {
		var err error
		if rules, err = rule.Builtin(); err != nil {
			t.Fatal(err)
		}
	}
	set, err := rule.NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	src, err := reader.NewLocal(tree)
	if err != nil {
		t.Fatal(err)
	}
	w, err := report.Create(filepath.Join(t.TempDir(), "f.parquet"), report.Parquet, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("BENCH_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	cpu0 := cpuSeconds()
	sum, err := scan.Run(context.Background(), scan.Config{Sources: []reader.Source{src}, Rules: set}, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cpu := cpuSeconds() - cpu0
	if p := os.Getenv("BENCH_MEMPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil { // live objects as of the last GC, before the writer closes
			t.Fatal(err)
		}
	}
	t.Logf("%d rules, %d records, %.0f MB in %s: %.0f MB/s; CPU %.2fs: %.0f MB per CPU second; %d findings", len(set.Runnable()), sum.Records.Read,
		float64(sum.BytesRead)/1e6, sum.Duration, float64(sum.BytesRead)/1e6/sum.Duration.Seconds(), cpu, float64(sum.BytesRead)/1e6/cpu, sum.Findings)
}

// cpuSeconds is the user and system CPU time of this process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
