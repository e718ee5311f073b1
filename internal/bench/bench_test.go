//go:build bench

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/internal/s3test"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/scan"
)

// TestBench is `make bench`: see the Makefile for the variables.
//
//	go test -tags bench -run '^TestBench$' -v -timeout 2h ./internal/bench
func TestBench(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cache := env("BENCH_DIR", filepath.Join(root, ".cache", "bench"))
	out := env("BENCH_OUT", filepath.Join(cache, "results.json"))
	bin := env("BENCH_BIN", filepath.Join(root, "bin", "trailsweep"))
	gb := envFloat(t, "BENCH_GB", 1)
	memGB := envFloat(t, "BENCH_MEM_GB", 4)
	seed := uint64(envFloat(t, "BENCH_SEED", 1))
	repeat := max(1, int(envFloat(t, "BENCH_REPEAT", 3)))
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: build it first (make build): %v", bin, err)
	}
	rows := benchRows(t)
	if rows["duckdb"] && !rows["seed"] {
		rows["seed"] = true // the duckdb row is compared with the seed row, round by round
	}
	base := os.Getenv("BENCH_BASE_BIN") // another build (main's) for the checkpoint row, in the same rounds
	datasets, err := gen.SharedPath("datasets")
	if err != nil {
		t.Logf("../shared/datasets is absent: built-in templates")
		datasets = ""
	}
	ctx := context.Background()
	workers := runtime.GOMAXPROCS(0)
	res := &Results{
		Date: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		CPUModel: CPUModel(), Workers: workers, Commit: gitCommit(root),
		Command: fmt.Sprintf("make bench BENCH_GB=%g BENCH_MEM_GB=%g BENCH_REPEAT=%d", gb, memGB, repeat),
	}
	load0 := LoadAvg()

	tree := func(gigabytes float64) (string, TreeRef) {
		dir := filepath.Join(cache, fmt.Sprintf("tree-%gGB-seed%d", gigabytes, seed))
		start := time.Now()
		m, err := gen.Bulk(dir, gen.BulkOptions{Bytes: int64(gigabytes * 1e9), Seed: seed, Datasets: datasets})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("tree %s ready in %s: %d objects, %.0f MB JSON", dir, time.Since(start).Round(time.Second), m.Objects, float64(m.BytesJSON)/1e6)
		return dir, TreeRef{Dir: dir, Objects: m.Objects, Records: m.Records, BytesJSON: m.BytesJSON, BytesGzip: m.BytesGzip, Templates: m.TemplateSet}
	}
	dir, ref := tree(gb)
	res.Tree = ref

	var rules []string
	for _, c := range []string{"elastic-aws", "sigma-aws"} {
		if p, err := gen.SharedPath("rules", c); err == nil {
			rules = append(rules, "--rules", p)
		}
	}
	rules, excluded := loadableRules(t, bin, rules)
	for _, e := range excluded {
		res.Notes = append(res.Notes, "rule file left out, the CLI refuses the set with it: "+e)
	}
	res.RuleSets = "built-in"
	if len(rules) > 0 {
		names := map[string]bool{}
		var list []string
		for i := 1; i < len(rules); i += 2 {
			name := filepath.Base(rules[i])
			if strings.HasSuffix(name, ".toml") || strings.HasSuffix(name, ".yml") {
				name = filepath.Base(filepath.Dir(rules[i]))
			}
			if !names[name] {
				names[name] = true
				list = append(list, name)
			}
		}
		res.RuleSets = strings.Join(list, " + ")
	}
	seedRule := []string{"--rules", filepath.Join(root, "internal", "rule", "builtin", "lambda_event_source_mapping_created.toml")}
	outDir := t.TempDir()
	parquet := filepath.Join(outDir, "findings.parquet")
	scanWith := func(bin, name, src string, extra ...string) Scan {
		args := append([]string{src, "--out", parquet}, extra...)
		s, err := RunScan(ctx, bin, nil, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%-28s %6.2fs %5.0f MB/s %4.0f MiB %5.2f CPU s", name, s.Seconds, s.MBps, s.MaxRSSMiB, s.UserSec+s.SysSec)
		return s
	}
	scan := func(name, src string, extra ...string) Scan { return scanWith(bin, name, src, extra...) }

	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	floor := func() Throughput {
		f, err := InflateLocal(files, workers)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-28s %6.2fs %5.0f MB/s", "inflate floor", f.Seconds, f.MBps)
		return f
	}
	if _, err := InflateLocal(files, workers); err != nil { // warm the page cache
		t.Fatal(err)
	}
	// Each row is run BENCH_REPEAT times, the rows interleaved, and the
	// fastest run of each kept (all of them are in the results file): on a
	// shared machine a run can be slowed by a quarter by its neighbours,
	// and interleaving spreads that over the rows instead of one.
	var signed string
	var verifyArgs []string
	if rows["verify"] {
		signed, verifyArgs = signedTree(t, dir, filepath.Join(cache, fmt.Sprintf("signed-%gGB-seed%d", gb, seed)), true)
	}
	if base != "" {
		res.Base = base + " " + binVersion(base)
		res.Command += " BENCH_BASE_BIN=" + base
	}
	var duck DuckDB
	if rows["duckdb"] {
		duck, res.DuckDB = duckdbRows(t, ctx, root, bin, seedRule, dir, workers, res)
	}
	var roundSplit, roundSeedSplit, roundSeed, roundFullSplit []float64
	seedSel := seedSelection(t, root)
	var roundFull, roundScaling, roundCk, roundCkCPU, roundBaseCk, roundBaseCkCPU, roundVerify, roundVerifyCPU []float64
	// cpuRatio is a's CPU seconds over b's, 0 without b's.
	cpuRatio := func(a, b Scan) float64 {
		if c := b.UserSec + b.SysSec; c > 0 {
			return (a.UserSec + a.SysSec) / c
		}
		return 0
	}
	for i := range repeat {
		t.Logf("round %d of %d", i+1, repeat)
		f := floor()
		sp, err := SplitLocal(files, workers)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-28s %6.2fs %5.0f MB/s", "split floor", sp.Seconds, sp.MBps)
		keepThroughput(&res.SplitFloor, sp)
		roundSplit = append(roundSplit, Ratio(sp, f))
		full := scan("scan, every rule", dir, rules...)
		keepThroughput(&res.Floor, f)
		keepScan(&res.Full, full)
		roundFullSplit = append(roundFullSplit, Ratio(full.Throughput, sp))
		var seed Scan
		if rows["seed"] {
			ss, err := SplitLocalIndex(files, workers, seedSel)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-28s %6.2fs %5.0f MB/s", "split floor, seed selection", ss.Seconds, ss.MBps)
			keepThroughput(&res.SeedSplitFloor, ss)
			roundSeedSplit = append(roundSeedSplit, Ratio(ss, f))
			seed = scan("scan, seed rule", dir, seedRule...)
			keepScan(&res.Seed, seed)
			roundSeed = append(roundSeed, Ratio(seed.Throughput, f))
		}
		for j := range res.DuckDB {
			duckdbRound(t, ctx, duck, &res.DuckDB[j], res.Tree, full, seed)
		}
		var one, two Scan
		if rows["workers"] {
			one = scan("scan, every rule, 1 worker", dir, append(rules, "--workers", "1")...)
			two = scan("scan, every rule, 2 workers", dir, append(rules, "--workers", "2")...)
			keepScan(&res.OneWorker, one)
			keepScan(&res.TwoWorkers, two)
		}
		if rows["checkpoint"] {
			// The same scan with --checkpoint, in a fresh directory each
			// round; with a base build, its own pair in the same round,
			// before or after ours in turn.
			ck := filepath.Join(outDir, fmt.Sprintf("ckpt-%d", i))
			baseRound := func() {
				if base == "" {
					return
				}
				bFull := scanWith(base, "base: scan, every rule", dir, rules...)
				bCk := scanWith(base, "base: with --checkpoint", dir, append(rules, "--checkpoint", ck+"-base")...)
				if bFull.Seconds > 0 {
					roundBaseCk = append(roundBaseCk, bCk.Seconds/bFull.Seconds)
					roundBaseCkCPU = append(roundBaseCkCPU, cpuRatio(bCk, bFull))
				}
			}
			if i%2 == 1 {
				baseRound()
			}
			withCk := scan("scan with --checkpoint", dir, append(rules, "--checkpoint", ck)...)
			keepScan(&res.Checkpoint, withCk)
			if n, err := DirBytes(ck); err == nil && (res.CheckpointBytes == 0 || n < res.CheckpointBytes) {
				res.CheckpointBytes = n
			}
			if full.Seconds > 0 {
				roundCk = append(roundCk, withCk.Seconds/full.Seconds)
				roundCkCPU = append(roundCkCPU, cpuRatio(withCk, full))
			}
			if i%2 == 0 {
				baseRound()
			}
		}
		if rows["verify"] {
			// The same logs with digests, scanned with --verify.
			withVerify := scan("scan with --verify", signed, append(rules, verifyArgs...)...)
			keepScan(&res.Verify, withVerify)
			if full.Seconds > 0 {
				roundVerify = append(roundVerify, withVerify.Seconds/full.Seconds)
			}
			roundVerifyCPU = append(roundVerifyCPU, cpuRatio(withVerify, full))
		}
		roundFull = append(roundFull, Ratio(full.Throughput, f))
		if one.MBps > 0 {
			roundScaling = append(roundScaling, two.MBps/one.MBps)
		}
	}
	res.MedianRatioFull, res.MedianScaling = Median(roundFull), Median(roundScaling)
	res.MedianRatioSplit, res.MedianRatioSeed, res.MedianRatioFullSplit = Median(roundSplit), Median(roundSeed), Median(roundFullSplit)
	res.MedianRatioSeedSplit = Median(roundSeedSplit)
	res.MedianRatioCheckpoint, res.MedianCPURatioCheckpoint = Median(roundCk), Median(roundCkCPU)
	res.MedianRatioCheckpointBase, res.MedianCPURatioCheckpointBase = Median(roundBaseCk), Median(roundBaseCkCPU)
	res.MedianRatioVerify = Median(roundVerify)
	res.MedianCPURatioVerify = Median(roundVerifyCPU)
	if memGB > 0 && rows["big"] {
		bigDir, bigRef := tree(memGB)
		res.BigTree = bigRef
		res.FullBig = scan("scan, every rule, big set", bigDir, rules...)
	}
	res.RatioFull = Ratio(res.Full.Throughput, res.Floor)
	res.RatioSeed = Ratio(res.Seed.Throughput, res.Floor)
	if res.OneWorker.MBps > 0 {
		res.Scaling = res.TwoWorkers.MBps / res.OneWorker.MBps
	}
	if c1, c2 := res.OneWorker.UserSec+res.OneWorker.SysSec, res.TwoWorkers.UserSec+res.TwoWorkers.SysSec; c1 > 0 && res.TwoWorkers.BytesJSON > 0 {
		res.CPUScaling = (c2 / float64(res.TwoWorkers.BytesJSON)) / (c1 / float64(res.OneWorker.BytesJSON))
	}

	if os.Getenv("BENCH_S3") != "0" && rows["s3"] {
		t.Run("s3", func(t *testing.T) { benchS3(t, ctx, bin, files, dir, rules, repeat, res) })
	}
	res.LoadAvg = load0 + " → " + LoadAvg()
	if l, err := strconv.ParseFloat(strings.Fields(load0 + " 0")[0], 64); err == nil && l > float64(runtime.NumCPU())/2 {
		res.Notes = append(res.Notes, fmt.Sprintf("the machine was busy (load %s on %d CPUs): compare ratios, not absolute numbers", load0, runtime.NumCPU()))
	}

	res.Table(os.Stdout)
	writeResults(t, out, res)
}

// benchS3 serves the tree from versitygw on loopback and measures the S3
// floor and the scan over it.
func benchS3(t *testing.T, ctx context.Context, bin string, files []string, dir string, rules []string, repeat int, res *Results) {
	s, bucket := serveFiles(t, dir, files)
	if t.Failed() {
		return
	}

	src := reader.NewS3Client(s.Client(), bucket, "")
	if _, err := InflateSource(ctx, src, 64, runtime.GOMAXPROCS(0)); err != nil { // warm the server's page cache
		t.Fatal(err)
	}
	args := append([]string{"s3://" + bucket + "/", "--endpoint-url", s.Endpoint, "--s3-path-style",
		"--out", filepath.Join(t.TempDir(), "findings.parquet")}, rules...)
	var rounds []float64
	for range repeat { // interleaved, the fastest of each kept, as locally
		f, err := InflateSource(ctx, src, 64, runtime.GOMAXPROCS(0))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-28s %6.2fs %5.0f MB/s", "inflate floor, S3", f.Seconds, f.MBps)
		keepThroughput(&res.S3Floor, f)
		sc, err := RunScan(ctx, bin, nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-28s %6.2fs %5.0f MB/s %4.0f MiB", "scan, every rule, S3", sc.Seconds, sc.MBps, sc.MaxRSSMiB)
		keepScan(&res.S3Full, sc)
		rounds = append(rounds, Ratio(sc.Throughput, f))
	}
	res.MedianRatioS3 = Median(rounds)
	best := res.S3Floor
	res.RatioS3 = Ratio(res.S3Full.Throughput, best)
	res.S3FloorLocal = Ratio(best, res.Floor)
}

// signedTree makes dst a copy of the tree in dir (hard links where it
// can) as a local copy of bucket "bench", writes a signed digest an hour
// for it (gen.SignTree), a public keys file and a signatures file, and
// returns the source to scan and the --verify flags. link false: copies
// only (a tree that is not ours).
func signedTree(t *testing.T, dir, dst string, link bool) (string, []string) {
	start := time.Now()
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dst, "src", "bench")
	err := filepath.WalkDir(filepath.Join(dir, "AWSLogs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		q := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(q), 0o755); err != nil {
			return err
		}
		if link && os.Link(p, q) == nil {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(q, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gen.NewSigner(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := gen.SignTree(root, "bench", signer)
	if err != nil {
		t.Fatal(err)
	}
	keys, sigs := filepath.Join(dst, "public-keys.json"), filepath.Join(dst, "signatures.json")
	if err := os.WriteFile(keys, gen.PublicKeys(signer), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sigs, tr.Signatures(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("signed tree %s ready in %s: %d digests, %d chains", dst, time.Since(start).Round(time.Second), len(tr.Digests), len(tr.Heads))
	return filepath.Join(dst, "src"), []string{"--verify", "--public-keys", keys, "--signatures", sigs}
}

// TestSignedCopy copies the tree BENCH_SIGN_SRC to BENCH_SIGN_DST (a
// fresh folder) with signed digests, for measuring scan --verify by hand:
//
//	BENCH_SIGN_SRC=.cache/bench/span-10d-seed1 BENCH_SIGN_DST=/tmp/signed \
//	    go test -tags bench -run '^TestSignedCopy$' -v ./internal/bench
func TestSignedCopy(t *testing.T) {
	src, dst := os.Getenv("BENCH_SIGN_SRC"), os.Getenv("BENCH_SIGN_DST")
	if src == "" || dst == "" {
		t.Skip("BENCH_SIGN_SRC and BENCH_SIGN_DST not set")
	}
	dir, args := signedTree(t, src, dst, false)
	t.Logf("trailsweep scan %s %s", dir, strings.Join(args, " "))
}

// benchRows returns the rows BENCH_ROWS names (comma-separated: seed,
// workers, checkpoint, verify, big, s3, duckdb; default all of them). The
// floor and the full scan, which the others are compared with, always run
// (and the seed row with the duckdb row):
//
//	make bench BENCH_ROWS=checkpoint BENCH_GB=0.5 BENCH_REPEAT=7
func benchRows(t *testing.T) map[string]bool {
	all := []string{"seed", "workers", "checkpoint", "verify", "big", "s3", "duckdb"}
	rows := map[string]bool{}
	v := os.Getenv("BENCH_ROWS")
	if v == "" {
		v = strings.Join(all, ",")
	}
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); !slices.Contains(all, r) {
			t.Fatalf("BENCH_ROWS=%q: %q is not one of %s", v, r, strings.Join(all, ","))
		}
		rows[r] = true
	}
	return rows
}

// duckdbRows returns DuckDB (installed in BENCH_DUCKDB, default
// .cache/tools/duckdb, where `make duckdb` puts it) and its rows: SeedSQL
// over dir, the schema detected and the columns named, each first checked
// on testdata/sample against the seed rule's findings there. When DuckDB
// cannot run at all it returns no rows, and a note in the log and the
// results says so: the bench does not fail for it.
func duckdbRows(t *testing.T, ctx context.Context, root, bin string, seedRule []string, dir string, threads int, res *Results) (DuckDB, []Yardstick) {
	d := DuckDB{
		Dir:     env("BENCH_DUCKDB", filepath.Join(root, ".cache", "tools", "duckdb")),
		Script:  filepath.Join(root, "internal", "bench", "duckdb.mjs"),
		Threads: threads,
	}
	probe, err := d.Run(ctx, "SELECT 0 AS records, 0 AS matches")
	if err != nil {
		msg := fmt.Sprintf("duckdb row skipped, DuckDB cannot run: %v; run `make duckdb` (npm install of @duckdb/node-api into .cache/tools/duckdb), or set BENCH_DUCKDB", err)
		t.Log(msg)
		res.Notes = append(res.Notes, msg)
		return d, nil
	}
	// The bench tree holds no CreateEventSourceMapping call, so its 0 = 0
	// says little about the SQL; the sample has four to find and the near
	// misses (denied, errorMessage alone, wrong case, UpdateEventSourceMapping).
	sample := filepath.Join(root, "testdata", "sample")
	sampleSeed, err := RunScan(ctx, bin, nil, append([]string{sample, "--out", filepath.Join(t.TempDir(), "sample.jsonl")}, seedRule...)...)
	if err != nil {
		t.Fatalf("seed rule on %s: %v", sample, err)
	}
	var ys []Yardstick
	for _, v := range []struct {
		name    string
		columns bool
	}{{"duckdb, seed rule (read_json)", false}, {"duckdb, seed rule (read_json, 4 columns)", true}} {
		got, err := d.Run(ctx, SeedSQL(sample, v.columns))
		if err != nil {
			t.Fatalf("%s on %s: %v", v.name, sample, err)
		}
		if got.Matches != sampleSeed.Findings || got.Records != sampleSeed.Records || got.Matches == 0 {
			t.Fatalf("%s on %s: %d matches in %d records, trailsweep's seed rule %d findings in %d records", v.name, sample, got.Matches, got.Records, sampleSeed.Findings, sampleSeed.Records)
		}
		t.Logf("%s on testdata/sample: %d matches in %d records, as trailsweep", v.name, got.Matches, got.Records)
		ys = append(ys, Yardstick{Name: v.name, Version: probe.Version, SQL: SeedSQL(dir, v.columns)})
	}
	return d, ys
}

// duckdbRound runs y's query once and records it against the round's full
// and seed scans. DuckDB must read every record trailsweep read and match
// as many as the seed rule found: otherwise the two did not do the same
// work and the bench fails.
func duckdbRound(t *testing.T, ctx context.Context, d DuckDB, y *Yardstick, tree TreeRef, full, seed Scan) {
	r, err := d.Run(ctx, y.SQL)
	if err != nil {
		t.Fatalf("%s: %v", y.Name, err)
	}
	s := r.Scan(y.SQL, tree)
	t.Logf("%-28s %6.2fs %5.0f MB/s %4.0f MiB %5.2f CPU s (query %.2fs)", y.Name, s.Seconds, s.MBps, s.MaxRSSMiB, s.UserSec+s.SysSec, r.QuerySeconds)
	if r.Matches != seed.Findings || r.Records != full.Records {
		t.Fatalf("%s: %d matches in %d records; trailsweep: seed rule %d findings, %d records read", y.Name, r.Matches, r.Records, seed.Findings, full.Records)
	}
	y.Add(r, s, full, seed)
}

// binVersion returns what `bin version` prints on its first line.
func binVersion(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// dupRE matches the CLI's error for two runnable rules with one ID.
var dupRE = regexp.MustCompile(`duplicate rule id (\S+): (\S+) and (\S+)`)

// loadableRules returns the --rules arguments as given when `trailsweep
// rules` accepts them. When it refuses the set because two files share a
// rule ID, the directories are expanded into their files and the second file
// is left out, until it accepts; the files left out are returned.
func loadableRules(t *testing.T, bin string, rules []string) ([]string, []string) {
	var excluded []string
	for attempt := 0; attempt < 10; attempt++ {
		out, err := exec.Command(bin, append([]string{"rules"}, rules...)...).CombinedOutput()
		if err == nil {
			return rules, excluded
		}
		m := dupRE.FindSubmatch(out)
		if m == nil {
			t.Fatalf("trailsweep rules %s: %v: %s", strings.Join(rules, " "), err, lastLines(string(out), 5))
		}
		drop := string(m[3])
		excluded = append(excluded, fmt.Sprintf("%s (rule id %s, also in %s)", drop, m[1], m[2]))
		var files []string
		for i := 1; i < len(rules); i += 2 {
			p := rules[i]
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				entries, _ := os.ReadDir(p)
				for _, e := range entries {
					if n := e.Name(); !e.IsDir() && (strings.HasSuffix(n, ".toml") || strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml")) {
						files = append(files, filepath.Join(p, e.Name()))
					}
				}
				continue
			}
			files = append(files, p)
		}
		rules = rules[:0]
		for _, f := range files {
			if f != drop {
				rules = append(rules, "--rules", f)
			}
		}
	}
	t.Fatalf("trailsweep rules: still refused after leaving out %v", excluded)
	return nil, nil
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envFloat(t *testing.T, k string, def float64) float64 {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		t.Fatalf("%s=%q: want a number ≥ 0", k, v)
	}
	return f
}

func gitCommit(root string) string {
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// keepThroughput makes best the faster of best and t, and notes t's time.
func keepThroughput(best *Throughput, t Throughput) {
	runs := append(best.Repeats, t.Seconds)
	if best.Seconds == 0 || t.Seconds < best.Seconds {
		*best = t
	}
	best.Repeats = runs
}

// keepScan makes best the faster of best and s, and notes s's time.
func keepScan(best *Scan, s Scan) {
	runs := append(best.Repeats, s.Seconds)
	if best.Seconds == 0 || s.Seconds < best.Seconds {
		*best = s
	}
	best.Repeats = runs
}

// writeResults writes res as indented JSON to out and says where.
func writeResults(t *testing.T, out string, res any) {
	t.Helper()
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("results: %s\n", out)
}

// serveFiles starts versitygw on loopback and uploads files (under dir) to
// a bucket "bench" at their paths relative to dir, 8 at a time.
func serveFiles(t *testing.T, dir string, files []string) (*s3test.Server, string) {
	t.Helper()
	s := s3test.Start(t)
	s.Env(t)
	const bucket = "bench"
	s.CreateBucket(t, bucket)
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Error(err)
					continue
				}
				rel, _ := filepath.Rel(dir, p)
				s.Put(t, bucket, filepath.ToSlash(rel), b)
			}
		}()
	}
	for _, p := range files {
		next <- p
	}
	close(next)
	wg.Wait()
	t.Logf("uploaded %d objects in %s", len(files), time.Since(start).Round(time.Second))
	return s, bucket
}

// seedSelection is the index selection of a scan with the seed rule alone
// (scan.IndexPaths).
func seedSelection(t *testing.T, root string) *reader.IndexPaths {
	t.Helper()
	rules, errs := rule.Load([]string{filepath.Join(root, "internal", "rule", "builtin", "lambda_event_source_mapping_created.toml")})
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	set, err := rule.NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	sel := scan.IndexPaths(set, nil)
	keys, _ := sel.Keys()
	t.Logf("the seed rule's index selection: the record's members and the objects %q", keys)
	return sel
}
