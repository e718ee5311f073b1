//go:build bench

package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/s3test"
)

// ListingResults are the scans of a span tree on S3 with and without
// latency added to each listing request (issue #20).
type ListingResults struct {
	Date     string  `json:"date"`
	Commit   string  `json:"commit"`
	Days     int     `json:"days"`
	Accounts int     `json:"accounts"`
	Objects  int     `json:"objects"`
	DelayMS  int     `json:"list_delay_ms"`
	Lists    int     `json:"list_requests"`
	Plain    float64 `json:"seconds_no_delay"`
	Delayed  float64 `json:"seconds_delay"`
	Ratio    float64 `json:"ratio"`
	// Sequential is the delayed scan with --list-concurrency 1 (listing as
	// before issue #20), and its ratio to Plain.
	Sequential      float64 `json:"seconds_delay_sequential"`
	SequentialRatio float64 `json:"ratio_sequential"`
}

// TestBenchListing scans a span tree (BENCH_LIST_DAYS, default 10, × 100
// accounts, one region) uploaded to versitygw, through a proxy adding
// BENCH_LIST_DELAY_MS (default 20) to every listing request or nothing,
// with the built-in rules; the fastest of BENCH_REPEAT rounds of each.
func TestBenchListing(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cache := env("BENCH_DIR", filepath.Join(root, ".cache", "bench"))
	bin := env("BENCH_BIN", filepath.Join(root, "bin", "trailsweep"))
	seed := uint64(envFloat(t, "BENCH_SEED", 1))
	days, _ := strconv.Atoi(env("BENCH_LIST_DAYS", "10"))
	delay, _ := strconv.Atoi(env("BENCH_LIST_DELAY_MS", "20"))
	repeat := int(envFloat(t, "BENCH_REPEAT", 3))
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: build it first (make build): %v", bin, err)
	}
	dir := filepath.Join(cache, fmt.Sprintf("span-%dd-seed%d", days, seed))
	m, err := gen.Span(dir, gen.SpanOptions{Days: days, Accounts: 100, Seed: seed})
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

	plain := s.Proxy(t)
	slow := s.Proxy(t)
	slow.ListDelay = time.Duration(delay) * time.Millisecond
	scan := func(p *s3test.Proxy, extra ...string) float64 {
		args := append([]string{"s3://" + bucket + "/", "--endpoint-url", p.Endpoint, "--s3-path-style",
			"--out", filepath.Join(t.TempDir(), "findings.parquet")}, extra...)
		sc, err := RunScan(context.Background(), bin, nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		return sc.Seconds
	}
	res := &ListingResults{Date: time.Now().UTC().Format(time.RFC3339), Commit: gitCommit(root), Days: days, Accounts: 100,
		Objects: m.Objects, DelayMS: delay}
	scan(plain) // warm the server's page cache
	before, _ := slow.Listings()
	for i := range repeat {
		a, b := scan(plain), scan(slow)
		if i == 0 {
			n, _ := slow.Listings()
			res.Lists = n - before
		}
		c := scan(slow, "--list-concurrency", "1")
		t.Logf("no delay %.2fs, %d ms a listing %.2fs (%.2f×), sequential listing %.2fs (%.2f×)", a, delay, b, b/a, c, c/a)
		if i == 0 || a < res.Plain {
			res.Plain = a
		}
		if i == 0 || b < res.Delayed {
			res.Delayed = b
		}
		if i == 0 || c < res.Sequential {
			res.Sequential = c
		}
	}
	res.Ratio = res.Delayed / res.Plain
	res.SequentialRatio = res.Sequential / res.Plain
	fmt.Printf("listing: %d objects, %d listing requests; no delay %.2fs; %d ms a listing: %.2fs (%.2f×), --list-concurrency 1: %.2fs (%.2f×)\n",
		res.Objects, res.Lists, res.Plain, delay, res.Delayed, res.Ratio, res.Sequential, res.SequentialRatio)
	writeResults(t, env("BENCH_LIST_OUT", filepath.Join(cache, "listing.json")), res)
}
