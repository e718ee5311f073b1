//go:build bench

package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/internal/verify"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// TestProfile scans BENCH_TREE in-process with every rule of ../shared/rules
// (or the built-in ones) into Parquet, under the CPU profiler when
// BENCH_CPUPROFILE names a file (and writes the heap profile at the end of
// the scan to BENCH_MEMPROFILE). With BENCH_VERIFY=1, BENCH_TREE is a
// signed copy as signedTree makes it (src/, public-keys.json,
// signatures.json) and the scan verifies, as scan --verify does:
//
//	BENCH_TREE=.cache/bench/tree-1GB-seed1 BENCH_CPUPROFILE=/tmp/cpu.prof \
//	  go test -tags bench -run '^TestProfile$' -v ./internal/bench
//	go tool pprof -top -cum /tmp/cpu.prof
func TestProfile(t *testing.T) {
	tree := os.Getenv("BENCH_TREE")
	if tree == "" {
		t.Skip("BENCH_TREE is not set")
	}
	set := profileRules(t)
	var vcfg *verify.Config
	if os.Getenv("BENCH_VERIFY") == "1" {
		vcfg, tree = profileVerify(t, tree)
	}
	src, err := reader.NewLocal(tree)
	if err != nil {
		t.Fatal(err)
	}
	var sess *verify.Session
	if vcfg != nil {
		vcfg.Sources = []reader.Source{src}
		sess = verify.NewSession(*vcfg)
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
	cfg := scan.Config{Sources: []reader.Source{src}, Rules: set, Workers: int(envFloat(t, "BENCH_WORKERS", 0))}
	if sess != nil {
		cfg.Verify = sess
	}
	sum, err := scan.Run(context.Background(), cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	if sess != nil {
		res, err := sess.Finish(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("verified: %d logs, %d digests, OK %v", len(res.Logs), len(res.Digests), res.OK())
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

// profileVerify reads the keys and signatures of a signed copy and returns
// the verification's configuration and the folder to scan.
func profileVerify(t *testing.T, dir string) (*verify.Config, string) {
	kb, err := os.ReadFile(filepath.Join(dir, "public-keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := verify.ParseKeys(kb)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := os.ReadFile(filepath.Join(dir, "signatures.json"))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := verify.ParseManifest(sb)
	if err != nil {
		t.Fatal(err)
	}
	return &verify.Config{Keys: keys, Signatures: sigs}, filepath.Join(dir, "src")
}

// cpuSeconds is the user and system CPU time of this process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// TestPasses times the per-record work of a scan without inflating or
// writing: the first BENCH_PASS_MB of BENCH_TREE's JSON is held in memory
// and split, indexed and matched against every rule BENCH_PASSES times;
// the fastest pass is what a change is judged by on a noisy machine:
//
//	BENCH_TREE=.cache/bench/tree-1GB-seed1 go test -tags bench -run '^TestPasses$' -v ./internal/bench
func TestPasses(t *testing.T) {
	tree := os.Getenv("BENCH_TREE")
	if tree == "" {
		t.Skip("BENCH_TREE is not set")
	}
	set := profileRules(t)
	files, err := Files(tree)
	if err != nil {
		t.Fatal(err)
	}
	var bodies [][]byte
	var total int
	limit := int(envFloat(t, "BENCH_PASS_MB", 100) * 1e6)
	for _, f := range files {
		if total >= limit {
			break
		}
		b, err := gen.ReadLog(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
		total += len(b)
	}
	rec := ecs.NewRecord(ecs.Options{})
	local := set.Local()
	var dec *reader.Decoder
	var match []*rule.Rule
	best := time.Duration(1 << 62)
	var hits int
	for range int(envFloat(t, "BENCH_PASSES", 10)) {
		start := time.Now()
		hits = 0
		for _, b := range bodies {
			if dec == nil {
				dec, err = reader.NewDecoder(bytes.NewReader(b), reader.DecodeOptions{})
			} else {
				err = dec.Reset(bytes.NewReader(b))
			}
			if err != nil {
				t.Fatal(err)
			}
			for {
				raw, err := dec.Next()
				if err != nil {
					break
				}
				if rec.ResetMembers(raw, dec.Index()) != nil || rec.Malformed() != nil {
					continue // as the scanner does
				}
				match = local.MatchRecord(rec, match[:0])
				hits += len(match)
			}
		}
		best = min(best, time.Since(start))
	}
	t.Logf("%.0f MB, %d matches: fastest pass %s, %.0f MB/s", float64(total)/1e6, hits, best.Round(time.Millisecond), float64(total)/1e6/best.Seconds())
}

// profileRules returns the rules of ../shared/rules (or the built-in ones),
// as the CLI loads them: the folders BENCH_RULES names (comma list, default
// elastic-aws,sigma-aws).
func profileRules(t *testing.T) *rule.Set {
	var paths []string
	for _, c := range strings.Split(env("BENCH_RULES", "elastic-aws,sigma-aws"), ",") {
		if p, err := gen.SharedPath("rules", c); err == nil {
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
	return set
}
