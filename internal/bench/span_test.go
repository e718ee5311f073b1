//go:build bench

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// SpanPoint is one tree of the span series and the scan of it.
type SpanPoint struct {
	Days     int     `json:"days"`
	Tree     TreeRef `json:"tree"`
	Scan     Scan    `json:"scan"`
	CPUPerGB float64 `json:"cpu_s_per_gb"` // user + system seconds per 10^9 bytes of JSON
	// The tree's floors in CPU seconds per GB (FloorCPU): inflating it, and
	// inflating and splitting it, with no rule.
	FloorCPUPerGB float64 `json:"floor_cpu_s_per_gb,omitempty"`
	SplitCPUPerGB float64 `json:"split_floor_cpu_s_per_gb,omitempty"`
}

// SpanVsBench compares the first span point with the bench tree of the
// last `make bench` (its results file): issue 19 wants a diverse tree's CPU
// per GB with every rule within 2× the bench tree's, and the floors say
// how much of the difference comes before any rule runs.
type SpanVsBench struct {
	BenchTree          string  `json:"bench_tree"`
	BenchCPUPerGB      float64 `json:"bench_cpu_s_per_gb"`
	BenchFloorCPUPerGB float64 `json:"bench_floor_cpu_s_per_gb"`
	BenchSplitCPUPerGB float64 `json:"bench_split_floor_cpu_s_per_gb"`
	Scan               float64 `json:"scan_ratio"`  // every rule, span CPU/GB over bench CPU/GB
	Floor              float64 `json:"floor_ratio"` // the same for the inflate floor
	Split              float64 `json:"split_floor_ratio"`
}

// SpanResults is what the span series writes as JSON.
type SpanResults struct {
	Date     string      `json:"date"`
	Commit   string      `json:"commit"`
	Command  string      `json:"command"`
	RuleSets string      `json:"rule_sets"`
	Memory   string      `json:"memory,omitempty"` // --memory given to every scan
	Points   []SpanPoint `json:"points"`
	// Growth is the last point's CPU per GB over the first's: 1.00 is
	// cost linear in the span (target ≤ 1.5).
	Growth float64 `json:"cpu_per_gb_last_over_first"`
	// VsBench is the first point against the bench tree; nil without a
	// results file from TestBench (BENCH_OUT).
	VsBench *SpanVsBench `json:"vs_bench,omitempty"`
}

// TestBenchSpan is the span series of `make bench`: trees of 100 accounts
// in one region, one file an account-hour, 10, 20 and 60 days
// (BENCH_SPAN_DAYS), each scanned with every rule; it prints CPU seconds
// per GB and peak RSS per point.
//
//	BENCH_SPAN_DAYS=10,20,60 go test -tags bench -run '^TestBenchSpan$' -v -timeout 2h ./internal/bench
func TestBenchSpan(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cache := env("BENCH_DIR", filepath.Join(root, ".cache", "bench"))
	out := env("BENCH_SPAN_OUT", filepath.Join(cache, "span.json"))
	bin := env("BENCH_BIN", filepath.Join(root, "bin", "trailsweep"))
	seed := uint64(envFloat(t, "BENCH_SEED", 1))
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: build it first (make build): %v", bin, err)
	}
	var days []int
	for _, f := range strings.Split(env("BENCH_SPAN_DAYS", "10,20,60"), ",") {
		d, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || d <= 0 {
			t.Fatalf("BENCH_SPAN_DAYS: %q is not a number of days", f)
		}
		days = append(days, d)
	}
	datasets, err := gen.SharedPath("datasets")
	if err != nil {
		t.Logf("../shared/datasets is absent: built-in templates")
		datasets = ""
	}
	var rules []string
	for _, c := range []string{"elastic-aws", "sigma-aws"} {
		if p, err := gen.SharedPath("rules", c); err == nil {
			rules = append(rules, "--rules", p)
		}
	}
	rules, _ = loadableRules(t, bin, rules)
	memory := os.Getenv("BENCH_SPAN_MEMORY")
	if memory != "" {
		rules = append(rules, "--memory", memory)
	}
	res := &SpanResults{Date: time.Now().UTC().Format(time.RFC3339), Commit: gitCommit(root), RuleSets: "built-in", Memory: memory,
		Command: "BENCH_SPAN_DAYS=" + env("BENCH_SPAN_DAYS", "10,20,60") + " make bench-span"}
	if len(rules) > 0 {
		res.RuleSets = "elastic-aws + sigma-aws"
	}
	for _, d := range days {
		dir := filepath.Join(cache, fmt.Sprintf("span-%dd-seed%d", d, seed))
		start := time.Now()
		m, err := gen.Span(dir, gen.SpanOptions{Days: d, Seed: seed, Datasets: datasets})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("tree %s ready in %s: %d objects, %.0f MB JSON", dir, time.Since(start).Round(time.Second), m.Objects, float64(m.BytesJSON)/1e6)
		args := append([]string{dir, "--out", filepath.Join(t.TempDir(), "findings.parquet")}, rules...)
		s, err := RunScan(context.Background(), bin, nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		p := SpanPoint{Days: d, Scan: s,
			Tree: TreeRef{Dir: dir, Objects: m.Objects, Records: m.Records, BytesJSON: m.BytesJSON, BytesGzip: m.BytesGzip, Templates: m.TemplateSet}}
		if m.BytesJSON > 0 {
			p.CPUPerGB = (s.UserSec + s.SysSec) / (float64(m.BytesJSON) / 1e9)
		}
		files, err := Files(dir)
		if err != nil {
			t.Fatal(err)
		}
		if p.FloorCPUPerGB, p.SplitCPUPerGB, err = FloorCPU(files, 0, 3); err != nil {
			t.Fatal(err)
		}
		t.Logf("%3d days: %6.1fs wall, %6.1f CPU s, %5.1f CPU s/GB, %5.0f MiB, %d findings", d, s.Seconds, s.UserSec+s.SysSec, p.CPUPerGB, s.MaxRSSMiB, s.Findings)
		res.Points = append(res.Points, p)
	}
	if n := len(res.Points); n > 1 && res.Points[0].CPUPerGB > 0 {
		res.Growth = res.Points[n-1].CPUPerGB / res.Points[0].CPUPerGB
	}
	if len(res.Points) > 0 {
		res.VsBench = spanVsBench(t, env("BENCH_OUT", filepath.Join(cache, "results.json")), res.Points[0])
	}
	res.Table(os.Stdout)
	writeResults(t, out, res)
}

// spanVsBench compares p with the bench tree of the results file at path,
// measuring that tree's floors again here; nil when there is no such file
// or tree.
func spanVsBench(t *testing.T, path string, p SpanPoint) *SpanVsBench {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Logf("no bench results at %s (run TestBench first): the span tree is not compared with the bench tree", path)
		return nil
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	full := r.Full.UserSec + r.Full.SysSec
	if r.Tree.Dir == "" || r.Tree.BytesJSON == 0 || full == 0 {
		t.Logf("%s has no every-rule scan of a tree: the span tree is not compared with it", path)
		return nil
	}
	files, err := Files(r.Tree.Dir)
	if err != nil || len(files) == 0 {
		t.Logf("the bench tree %s is gone (%v): the span tree is not compared with it", r.Tree.Dir, err)
		return nil
	}
	v := &SpanVsBench{BenchTree: r.Tree.Dir, BenchCPUPerGB: full / (float64(r.Tree.BytesJSON) / 1e9)}
	if v.BenchFloorCPUPerGB, v.BenchSplitCPUPerGB, err = FloorCPU(files, 0, 3); err != nil {
		t.Fatal(err)
	}
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	v.Scan = ratio(p.CPUPerGB, v.BenchCPUPerGB)
	v.Floor = ratio(p.FloorCPUPerGB, v.BenchFloorCPUPerGB)
	v.Split = ratio(p.SplitCPUPerGB, v.BenchSplitCPUPerGB)
	return v
}

// Table writes the span series for people.
func (r *SpanResults) Table(w *os.File) {
	fmt.Fprintf(w, "trailsweep span series  %s  commit %s  rules: %s\n", r.Date, r.Commit, r.RuleSets)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "span\tobjects\tMB JSON\twall s\tCPU s\tCPU s/GB\tfloor CPU s/GB\tsplit floor CPU s/GB\tpeak RSS MiB\tfindings\t")
	for _, p := range r.Points {
		fmt.Fprintf(tw, "%d days\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t%.0f\t%d\t\n", p.Days, p.Tree.Objects, float64(p.Tree.BytesJSON)/1e6,
			p.Scan.Seconds, p.Scan.UserSec+p.Scan.SysSec, p.CPUPerGB, p.FloorCPUPerGB, p.SplitCPUPerGB, p.Scan.MaxRSSMiB, p.Scan.Findings)
	}
	tw.Flush()
	if r.Growth > 0 {
		fmt.Fprintf(w, "CPU per GB, last span over first: %.2f× (target ≤ 1.5)\n", r.Growth)
	}
	if v := r.VsBench; v != nil && len(r.Points) > 0 {
		fmt.Fprintf(w, "%d days over the bench tree (%s: every rule %.1f CPU s/GB, floor %.2f, split floor %.2f): every rule %.2f× (target ≤ 2), inflate floor %.2f×, split floor %.2f×\n",
			r.Points[0].Days, v.BenchTree, v.BenchCPUPerGB, v.BenchFloorCPUPerGB, v.BenchSplitCPUPerGB, v.Scan, v.Floor, v.Split)
	}
}
