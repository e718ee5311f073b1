//go:build bench

package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/s3test"
)

// ListingResults are the scans of a span tree on S3 with and without
// latency added to each listing request (issue #20).
type ListingResults struct {
	Date       string `json:"date"`
	Commit     string `json:"commit"`
	LoadAvg    string `json:"load_average"` // /proc/loadavg before and after
	Days       int    `json:"days"`
	Accounts   int    `json:"accounts"`
	TwoRegions int    `json:"accounts_in_two_regions"`
	Objects    int    `json:"objects"`
	Window     string `json:"window"` // --since and --until of every scan
	Rounds     int    `json:"rounds"`
	// Lists is the number of listing requests of one scan (the same
	// concurrent or sequential).
	Lists int          `json:"list_requests"`
	Rows  []ListingRow `json:"rows"`
}

// ListingRow is one rule set and one added listing latency: every round's
// scan without latency, with it, and with it and --list-concurrency 1, run
// back to back; ratios are the median over rounds of the same round's
// ratio.
type ListingRow struct {
	Rules      string      `json:"rules"`
	DelayMS    int         `json:"list_delay_ms"`
	Plain      []ScanTimes `json:"no_delay"`
	Delayed    []ScanTimes `json:"delay"`
	Sequential []ScanTimes `json:"delay_sequential"`
	// Median over rounds of Delayed/Plain and Sequential/Plain (wall).
	Ratio           float64 `json:"median_ratio"`
	SequentialRatio float64 `json:"median_ratio_sequential"`
}

// ScanTimes are one scan's wall and CPU (user+sys) seconds.
type ScanTimes struct {
	Wall float64 `json:"wall_s"`
	CPU  float64 `json:"cpu_s"`
}

// TestBenchListing scans, from versitygw behind proxies, a span tree of
// BENCH_LIST_DAYS (default 10) days of 100 accounts, BENCH_LIST_TWO_REGIONS
// of them (default 40) logging in a second region: 33,600 objects, the
// issue's tree. Every scan has the tree's window as --since/--until, so
// the lister lists each account-region's day folders. Rows: the built-in
// rules and the seed rule only (little CPU an object, so that listing
// would dominate), each with BENCH_LIST_DELAY_MS (default "20,50") added
// to every listing request, concurrently (the default) and with
// --list-concurrency 1, against no latency; BENCH_REPEAT rounds
// (default 3), the scans of a round back to back. BENCH_LIST_RULES
// ("built-in", "seed rule", or both, comma-separated) picks the rows.
func TestBenchListing(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cache := env("BENCH_DIR", filepath.Join(root, ".cache", "bench"))
	bin := env("BENCH_BIN", filepath.Join(root, "bin", "trailsweep"))
	seed := uint64(envFloat(t, "BENCH_SEED", 1))
	days, _ := strconv.Atoi(env("BENCH_LIST_DAYS", "10"))
	two, _ := strconv.Atoi(env("BENCH_LIST_TWO_REGIONS", "40"))
	var delays []int
	for _, s := range strings.Split(env("BENCH_LIST_DELAY_MS", "20,50"), ",") {
		d, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || d <= 0 {
			t.Fatalf("BENCH_LIST_DELAY_MS: %q is not a number of milliseconds", s)
		}
		delays = append(delays, d)
	}
	repeat := int(envFloat(t, "BENCH_REPEAT", 3))
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: build it first (make build): %v", bin, err)
	}
	dir := filepath.Join(cache, fmt.Sprintf("span-%dd-2r%d-seed%d", days, two, seed))
	m, err := gen.Span(dir, gen.SpanOptions{Days: days, Accounts: 100, TwoRegions: two, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	files, err := gen.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}

	s, bucket := serveFiles(t, dir, files)
	if t.Failed() {
		return
	}
	first := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC) // gen.Span's first day
	since, until := first.Format(time.DateOnly), first.AddDate(0, 0, days-1).Format(time.DateOnly)
	res := &ListingResults{Date: time.Now().UTC().Format(time.RFC3339), Commit: gitCommit(root), LoadAvg: LoadAvg(),
		Days: days, Accounts: 100, TwoRegions: two, Objects: m.Objects, Window: since + " to " + until, Rounds: repeat}

	plain := s.Proxy(t)
	slow := map[int]*s3test.Proxy{}
	for _, d := range delays {
		slow[d] = s.Proxy(t)
		slow[d].ListDelay = time.Duration(d) * time.Millisecond
	}
	scan := func(p *s3test.Proxy, extra ...string) ScanTimes {
		args := append([]string{"s3://" + bucket + "/", "--endpoint-url", p.Endpoint, "--s3-path-style",
			"--since", since, "--until", until, "--out", filepath.Join(t.TempDir(), "findings.parquet")}, extra...)
		before, _ := p.Listings()
		sc, err := RunScan(context.Background(), bin, nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		after, _ := p.Listings()
		switch {
		case res.Lists == 0:
			res.Lists = after - before
		case after-before != res.Lists:
			t.Errorf("scan %q made %d listing requests, another %d", args, after-before, res.Lists)
		}
		return ScanTimes{Wall: sc.Seconds, CPU: sc.UserSec + sc.SysSec}
	}
	rules := []struct {
		name string
		args []string
	}{
		{"built-in", nil},
		{"seed rule", []string{"--rules", filepath.Join(root, "internal", "rule", "builtin", "lambda_event_source_mapping_created.toml")}},
	}
	if only := env("BENCH_LIST_RULES", ""); only != "" {
		rules = slices.DeleteFunc(rules, func(r struct {
			name string
			args []string
		}) bool {
			return !slices.Contains(strings.Split(only, ","), r.name)
		})
	}
	for _, r := range rules {
		for _, d := range delays {
			res.Rows = append(res.Rows, ListingRow{Rules: r.name, DelayMS: d})
		}
	}
	scan(plain) // warm the server's page cache
	for i := range repeat {
		for ri, r := range rules {
			// The scans without and with latency run back to back, in
			// turn first, so a machine whose speed drifts favours neither;
			// the sequential ones (long) after them.
			var p ScanTimes
			cs := make([]ScanTimes, len(delays))
			if i%2 == 0 {
				p = scan(plain, r.args...)
			}
			for di, d := range delays {
				cs[di] = scan(slow[d], r.args...)
			}
			if i%2 == 1 {
				p = scan(plain, r.args...)
			}
			for di, d := range delays {
				row := &res.Rows[ri*len(delays)+di]
				c, q := cs[di], scan(slow[d], append(r.args, "--list-concurrency", "1")...)
				row.Plain = append(row.Plain, p)
				row.Delayed = append(row.Delayed, c)
				row.Sequential = append(row.Sequential, q)
				t.Logf("round %d, %s: no delay %.2fs (CPU %.1fs); %d ms a listing %.2fs (%.2f×, CPU %.1fs); sequential %.2fs (%.2f×)",
					i+1, r.name, p.Wall, p.CPU, d, c.Wall, c.Wall/p.Wall, c.CPU, q.Wall, q.Wall/p.Wall)
			}
		}
	}
	res.LoadAvg += " → " + LoadAvg()
	fmt.Printf("listing: %d objects, %d listing requests a scan, window %s, %d rounds, load %s\n",
		res.Objects, res.Lists, res.Window, repeat, res.LoadAvg)
	for i := range res.Rows {
		row := &res.Rows[i]
		var cr, sr []float64
		for k := range row.Plain {
			cr = append(cr, row.Delayed[k].Wall/row.Plain[k].Wall)
			sr = append(sr, row.Sequential[k].Wall/row.Plain[k].Wall)
		}
		row.Ratio, row.SequentialRatio = Median(cr), Median(sr)
		fmt.Printf("  %-9s %2d ms: no delay %.2fs (CPU %.1fs); delayed %.2fs (CPU %.1fs) %.2f×; --list-concurrency 1 %.2fs %.2f× (medians)\n",
			row.Rules, row.DelayMS, medianOf(row.Plain, wall), medianOf(row.Plain, cpu), medianOf(row.Delayed, wall),
			medianOf(row.Delayed, cpu), row.Ratio, medianOf(row.Sequential, wall), row.SequentialRatio)
	}
	writeResults(t, env("BENCH_LIST_OUT", filepath.Join(cache, "listing.json")), res)
}

func wall(s ScanTimes) float64 { return s.Wall }
func cpu(s ScanTimes) float64  { return s.CPU }

// medianOf is the median of f over ss.
func medianOf(ss []ScanTimes, f func(ScanTimes) float64) float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = f(s)
	}
	return Median(xs)
}
