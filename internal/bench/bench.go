// Package bench measures trailsweep against the one cost no scanner can
// avoid, inflating every byte: inflate-only floors over local files and S3,
// and runs of the built trailsweep binary as a subprocess (wall time, peak
// RSS from rusage, the scan summary). `make bench` drives it through the
// test in bench_test.go (build tag bench), which writes a table and a JSON
// results file.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/trailsweep/trailsweep/reader"
)

// Throughput is one measured pass over a tree.
type Throughput struct {
	Seconds   float64   `json:"seconds"`                  // the fastest of the repeats
	Repeats   []float64 `json:"repeat_seconds,omitempty"` // every repeat, in order
	BytesJSON int64     `json:"bytes_json"`               // decompressed bytes
	BytesGzip int64     `json:"bytes_gzip"`
	Records   int64     `json:"records,omitempty"`
	MBps      float64   `json:"mb_per_s"` // decompressed MB (10^6 bytes) per second
	RecPerSec float64   `json:"records_per_s,omitempty"`
}

func newThroughput(d time.Duration, json, gz, records int64) Throughput {
	s := d.Seconds()
	t := Throughput{Seconds: s, BytesJSON: json, BytesGzip: gz, Records: records}
	if s > 0 {
		t.MBps = float64(json) / 1e6 / s
		t.RecPerSec = float64(records) / s
	}
	return t
}

// Files returns the gzip log files under dir, sorted.
func Files(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json.gz") {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// InflateLocal is the local floor: workers goroutines each read whole files
// and inflate them with klauspost/compress gzip (the scanner's library),
// reusing one reader, into io.Discard.
func InflateLocal(files []string, workers int) (Throughput, error) {
	return readFiles(files, workers, func() fileFunc {
		var zr gzip.Reader
		return func(body *bytes.Buffer) (int64, int64, error) {
			n, err := inflate(&zr, body)
			return n, 0, err
		}
	})
}

// fileFunc handles one file's stored bytes and returns the JSON bytes and
// records it read.
type fileFunc func(body *bytes.Buffer) (json, records int64, err error)

// readFiles is the loop of the local floors: workers goroutines (default
// GOMAXPROCS) take the files in turn, read each whole into a reused buffer
// and hand it to their own fileFunc from newFn; the first error, naming the
// file, ends the pass.
func readFiles(files []string, workers int, newFn func() fileFunc) (Throughput, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next, jsonBytes, gzBytes, records atomic.Int64
	start := time.Now()
	var g errgroup.Group
	for range workers {
		g.Go(func() error {
			fn := newFn()
			var buf bytes.Buffer
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return nil
				}
				buf.Reset()
				f, err := os.Open(files[i])
				if err != nil {
					return err
				}
				_, err = buf.ReadFrom(f)
				f.Close()
				if err != nil {
					return err
				}
				gzBytes.Add(int64(buf.Len()))
				n, recs, err := fn(&buf)
				if err != nil {
					return fmt.Errorf("%s: %w", files[i], err)
				}
				jsonBytes.Add(n)
				records.Add(recs)
			}
		})
	}
	err := g.Wait()
	return newThroughput(time.Since(start), jsonBytes.Load(), gzBytes.Load(), records.Load()), err
}

func inflate(zr *gzip.Reader, r io.Reader) (int64, error) {
	if err := zr.Reset(r); err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, zr)
}

// InflateSource is the floor of a source (S3): it lists src like the
// scanner, keeps concurrency GETs in flight, each reading the whole body,
// and inflates the bodies on workers goroutines into io.Discard — the
// scanner's pipeline without records, rules or output.
func InflateSource(ctx context.Context, src reader.Source, concurrency, workers int) (Throughput, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	objs := make(chan reader.Object, concurrency)
	bodies := make(chan *bytes.Buffer, workers*2)
	pool := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	var jsonBytes, gzBytes atomic.Int64
	g.Go(func() error {
		defer close(objs)
		return src.List(gctx, reader.Filter{}, func(o reader.Object) error {
			if o.Skip != "" {
				return nil
			}
			select {
			case objs <- o:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	var fetchers sync.WaitGroup
	for range concurrency {
		fetchers.Add(1)
		g.Go(func() error {
			defer fetchers.Done()
			for o := range objs {
				rc, err := src.Open(gctx, o)
				if err != nil {
					return err
				}
				buf := pool.Get().(*bytes.Buffer)
				buf.Reset()
				_, err = buf.ReadFrom(rc)
				rc.Close()
				if err != nil {
					return err
				}
				gzBytes.Add(int64(buf.Len()))
				select {
				case bodies <- buf:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error { fetchers.Wait(); close(bodies); return nil })
	for range workers {
		g.Go(func() error {
			var zr gzip.Reader
			for buf := range bodies {
				n, err := inflate(&zr, buf)
				pool.Put(buf)
				if err != nil {
					return err
				}
				jsonBytes.Add(n)
			}
			return nil
		})
	}
	err := g.Wait()
	return newThroughput(time.Since(start), jsonBytes.Load(), gzBytes.Load(), 0), err
}

// Scan is one run of the trailsweep binary.
type Scan struct {
	Throughput
	Args      []string `json:"args"`
	MaxRSSMiB float64  `json:"max_rss_mib"` // peak resident set of the process
	UserSec   float64  `json:"user_seconds"`
	SysSec    float64  `json:"system_seconds"`
	Rules     int      `json:"rules_runnable"`
	Findings  int64    `json:"findings"`
	Exit      int      `json:"exit_code"`
}

// summary is the part of `trailsweep scan --summary` the bench reads.
type summary struct {
	Rules struct {
		Runnable int `json:"runnable"`
	} `json:"rules"`
	BytesCompressed int64 `json:"bytes_compressed"`
	BytesRead       int64 `json:"bytes_read"`
	Records         struct {
		Read int64 `json:"read"`
	} `json:"records"`
	Findings int64 `json:"findings"`
}

// RunScan runs `bin scan args… --summary tmp` with env added to the
// environment and reports its wall time, rusage and summary. Exit codes 0
// and 1 are success; anything else is an error carrying stderr.
func RunScan(ctx context.Context, bin string, env []string, args ...string) (Scan, error) {
	tmp, err := os.MkdirTemp("", "trailsweep-bench-")
	if err != nil {
		return Scan{}, err
	}
	defer os.RemoveAll(tmp)
	sumPath := filepath.Join(tmp, "summary.json")
	full := append([]string{"scan"}, args...)
	full = append(full, "--summary", sumPath)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	s := Scan{Args: args}
	if cmd.ProcessState != nil {
		s.Exit = cmd.ProcessState.ExitCode()
		s.UserSec = cmd.ProcessState.UserTime().Seconds()
		s.SysSec = cmd.ProcessState.SystemTime().Seconds()
		s.MaxRSSMiB = maxRSSMiB(cmd.ProcessState)
	}
	if err != nil && s.Exit != 1 {
		return s, fmt.Errorf("%s %s: %w: %s", bin, strings.Join(full, " "), err, lastLines(stderr.String(), 5))
	}
	b, err := os.ReadFile(sumPath)
	if err != nil {
		return s, fmt.Errorf("scan summary: %w", err)
	}
	var sum summary
	if err := json.Unmarshal(b, &sum); err != nil {
		return s, fmt.Errorf("scan summary: %w", err)
	}
	s.Throughput = newThroughput(wall, sum.BytesRead, sum.BytesCompressed, sum.Records.Read)
	s.Rules, s.Findings = sum.Rules.Runnable, sum.Findings
	return s, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Results is what `make bench` writes as JSON.
type Results struct {
	Date      string  `json:"date"`
	Commit    string  `json:"commit"`
	GoVersion string  `json:"go_version"`
	CPUs      int     `json:"cpus"`
	CPUModel  string  `json:"cpu_model"`
	Workers   int     `json:"workers"`
	LoadAvg   string  `json:"load_average"` // /proc/loadavg before and after
	Command   string  `json:"command"`
	Tree      TreeRef `json:"tree"`
	BigTree   TreeRef `json:"big_tree"`
	RuleSets  string  `json:"rule_sets"` // the --rules given to the full-corpus runs

	Floor Throughput `json:"floor_local"`
	// SplitFloor is the floor plus the record splitter (SplitLocal): what an
	// exact scan costs before any rule, with this splitter.
	SplitFloor Throughput `json:"floor_split_local"`
	// SeedSplitFloor is SplitFloor with the seed rule's index selection
	// (SplitLocalIndex): the least a scan with the seed rule alone costs.
	SeedSplitFloor Throughput `json:"floor_split_seed_local"`
	Full           Scan       `json:"scan_full"`
	Seed           Scan       `json:"scan_seed"`
	FullBig        Scan       `json:"scan_full_big"`
	OneWorker      Scan       `json:"scan_full_1_worker"`
	TwoWorkers     Scan       `json:"scan_full_2_workers"`
	S3Floor        Throughput `json:"floor_s3"`
	S3Full         Scan       `json:"scan_full_s3"`
	RatioFull      float64    `json:"ratio_full_to_floor"` // scan time / floor time, per byte
	RatioSeed      float64    `json:"ratio_seed_to_floor"`
	RatioS3        float64    `json:"ratio_s3_to_s3_floor"`
	S3FloorLocal   float64    `json:"ratio_s3_floor_to_local_floor"`
	Scaling        float64    `json:"speedup_2_over_1_workers"`
	// CPUScaling is the CPU time per byte with 2 workers over that with 1:
	// what the second worker costs in overhead, whatever else runs on the
	// machine (wall-clock speedup needs the cores to be free).
	CPUScaling float64 `json:"cpu_per_byte_2_over_1_workers"`
	// The same ratios from runs made back to back in one round, the
	// median over the rounds: on a shared machine whose speed drifts, the
	// fastest runs of two rows may come from different moments.
	MedianRatioFull float64 `json:"median_round_ratio_full_to_floor,omitempty"`
	MedianScaling   float64 `json:"median_round_speedup_2_over_1_workers,omitempty"`
	MedianRatioS3   float64 `json:"median_round_ratio_s3_to_s3_floor,omitempty"`
	// Per round: the split floor, the seed-rule scan and the every-rule
	// scan over the split floor.
	MedianRatioSplit     float64 `json:"median_round_ratio_split_floor_to_floor,omitempty"`
	MedianRatioSeedSplit float64 `json:"median_round_ratio_seed_split_floor_to_floor,omitempty"`
	MedianRatioSeed      float64 `json:"median_round_ratio_seed_to_floor,omitempty"`
	MedianRatioFullSplit float64 `json:"median_round_ratio_full_to_split_floor,omitempty"`
	// Checkpoint is the full scan with --checkpoint; its time over the
	// full scan's in the same round (median of rounds), and the bytes the
	// checkpoint directory holds at the end.
	Checkpoint               Scan    `json:"scan_full_checkpoint"`
	MedianRatioCheckpoint    float64 `json:"median_round_ratio_checkpoint_to_full,omitempty"`
	MedianCPURatioCheckpoint float64 `json:"median_round_cpu_ratio_checkpoint_to_full,omitempty"`
	CheckpointBytes          int64   `json:"checkpoint_bytes,omitempty"`
	// Base is another build (BENCH_BASE_BIN, main's, say) whose full scan
	// and --checkpoint scan run in the same rounds: its ratios, measured
	// beside ours, are the "before".
	Base                         string  `json:"base_bin,omitempty"`
	MedianRatioCheckpointBase    float64 `json:"median_round_ratio_checkpoint_to_full_base,omitempty"`
	MedianCPURatioCheckpointBase float64 `json:"median_round_cpu_ratio_checkpoint_to_full_base,omitempty"`
	// Verify is the full scan with --verify of the same logs (hard links)
	// with a signed digest an hour (gen.SignTree); its time over the full
	// scan's in the same round, the median of rounds.
	Verify            Scan    `json:"scan_full_verify"`
	MedianRatioVerify float64 `json:"median_round_ratio_verify_to_full,omitempty"`
	// MedianCPURatioVerify is the same for CPU seconds (user+sys), which
	// a busy machine disturbs less than wall-clock time.
	MedianCPURatioVerify float64 `json:"median_round_cpu_ratio_verify_to_full,omitempty"`
	// DuckDB is issue 19's yardstick, DuckDB's read_json hunt for the seed
	// rule over the same tree, in the same rounds: as the issue measured it
	// (the files' schema detected) and with the four members named.
	DuckDB []Yardstick `json:"duckdb,omitempty"`
	Notes  []string    `json:"notes,omitempty"`
}

// Median returns the median of xs (the mean of the middle two for an even
// count), 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// TreeRef names a generated tree.
type TreeRef struct {
	Dir       string `json:"dir"`
	Objects   int    `json:"objects"`
	Records   int64  `json:"records"`
	BytesJSON int64  `json:"bytes_json"`
	BytesGzip int64  `json:"bytes_gzip"`
	Templates string `json:"templates"`
}

// Ratio returns how many times slower a is than the floor per byte of
// JSON (>1 is slower); 0 when either is missing.
func Ratio(a, floor Throughput) float64 {
	if a.MBps == 0 || floor.MBps == 0 {
		return 0
	}
	return floor.MBps / a.MBps
}

// Table writes the results for people.
func (r *Results) Table(w io.Writer) {
	fmt.Fprintf(w, "trailsweep bench  %s  commit %s  %s  %d CPUs (%s)  load %s\n", r.Date, r.Commit, r.GoVersion, r.CPUs, r.CPUModel, r.LoadAvg)
	fmt.Fprintf(w, "tree: %d objects, %d records, %.0f MB JSON (%.0f MB gzip), %s templates; rules: %s\n\n",
		r.Tree.Objects, r.Tree.Records, float64(r.Tree.BytesJSON)/1e6, float64(r.Tree.BytesGzip)/1e6, r.Tree.Templates, r.RuleSets)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tseconds\tMB/s JSON\trecords/s\tvs floor\tCPU s\tpeak RSS MiB\trules\tfindings\t")
	floor := func(name string, t Throughput) {
		fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t\t1.00×\t\t\t\t\t\n", name, t.Seconds, t.MBps)
	}
	scan := func(name string, s Scan, base Throughput) {
		if s.Seconds == 0 {
			fmt.Fprintf(tw, "%s\t—\t\t\t\t\t\t\t\t\n", name)
			return
		}
		ratio := ""
		if q := Ratio(s.Throughput, base); q > 0 {
			ratio = fmt.Sprintf("%.2f×", q)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t%.0f\t%s\t%.1f\t%.0f\t%d\t%d\t\n", name, s.Seconds, s.MBps, s.RecPerSec, ratio, s.UserSec+s.SysSec, s.MaxRSSMiB, s.Rules, s.Findings)
	}
	floor("inflate floor, local", r.Floor)
	if r.SplitFloor.Seconds > 0 {
		ratio := ""
		if q := Ratio(r.SplitFloor, r.Floor); q > 0 {
			ratio = fmt.Sprintf("%.2f×", q)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t%.0f\t%s\t\t\t\t\t\n", "split floor (inflate + split, no rule)", r.SplitFloor.Seconds, r.SplitFloor.MBps, r.SplitFloor.RecPerSec, ratio)
	}
	if r.SeedSplitFloor.Seconds > 0 {
		ratio := ""
		if q := Ratio(r.SeedSplitFloor, r.Floor); q > 0 {
			ratio = fmt.Sprintf("%.2f×", q)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t%.0f\t%s\t\t\t\t\t\n", "split floor, the seed rule's index selection", r.SeedSplitFloor.Seconds, r.SeedSplitFloor.MBps, r.SeedSplitFloor.RecPerSec, ratio)
	}
	scan("scan, every rule", r.Full, r.Floor)
	scan("scan, seed rule", r.Seed, r.Floor)
	scan("scan, every rule, 1 worker", r.OneWorker, r.Floor)
	scan("scan, every rule, 2 workers", r.TwoWorkers, r.Floor)
	scan("scan with --checkpoint", r.Checkpoint, r.Floor)
	if r.Verify.Seconds > 0 {
		scan("scan with --verify", r.Verify, r.Floor)
	}
	if r.BigTree.BytesJSON > 0 {
		scan(fmt.Sprintf("scan, every rule, %.0f GB set", float64(r.BigTree.BytesJSON)/1e9), r.FullBig, r.Floor)
	}
	for _, y := range r.DuckDB {
		scan(y.Name, y.Fastest, r.Floor)
	}
	if r.S3Floor.Seconds > 0 {
		floor("inflate floor, S3 loopback", r.S3Floor)
		scan("scan, every rule, S3", r.S3Full, r.S3Floor)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nfull scan / local floor: %.2f× (target ≤ 1.6, goal 1.25; median of rounds %.2f×)", r.RatioFull, r.MedianRatioFull)
	if r.Seed.Seconds > 0 {
		fmt.Fprintf(w, "   seed rule / local floor: %.2f× (target ≤ 1.15; median of rounds %.2f×)", r.RatioSeed, r.MedianRatioSeed)
	}
	fmt.Fprintln(w)
	if r.SplitFloor.Seconds > 0 {
		fmt.Fprintf(w, "split floor / local floor: %.2f× (median of rounds; no exact scan costs less with this splitter)   full scan / split floor: %.2f× (median of rounds)\n",
			r.MedianRatioSplit, r.MedianRatioFullSplit)
	}
	if r.SeedSplitFloor.Seconds > 0 {
		fmt.Fprintf(w, "split floor with the seed rule's index selection / local floor: %.2f× (median of rounds; no exact seed-rule scan costs less)\n", r.MedianRatioSeedSplit)
	}
	if r.S3Floor.Seconds > 0 {
		fmt.Fprintf(w, "S3 scan / S3 floor: %.2f× (target ≤ 1.4; median of rounds %.2f×)   S3 floor / local floor: %.2f×\n", r.RatioS3, r.MedianRatioS3, r.S3FloorLocal)
	}
	fmt.Fprintf(w, "2 workers / 1 worker: %.2f× (target ≥ 1.8; median of rounds %.2f×; CPU seconds per byte, 2 vs 1: %.2f, 1.00 = no overhead from the second worker)   peak RSS: %.0f MiB (%.0f GB set: %.0f MiB; target ≤ 256)\n",
		r.Scaling, r.MedianScaling, r.CPUScaling, r.Full.MaxRSSMiB, float64(r.BigTree.BytesJSON)/1e9, r.FullBig.MaxRSSMiB)
	if r.Checkpoint.Seconds > 0 && r.Tree.BytesGzip > 0 {
		fmt.Fprintf(w, "--checkpoint / none: %.2f× (target ≤ 1.15; median of rounds; CPU seconds %.2f×)   checkpoint %.1f MB = %.3f× the gzip input (target < 1)\n",
			r.MedianRatioCheckpoint, r.MedianCPURatioCheckpoint, float64(r.CheckpointBytes)/1e6, float64(r.CheckpointBytes)/float64(r.Tree.BytesGzip))
		if r.Base != "" {
			fmt.Fprintf(w, "  base %s, same rounds: %.2f× (CPU seconds %.2f×)\n", r.Base, r.MedianRatioCheckpointBase, r.MedianCPURatioCheckpointBase)
		}
	}
	if r.Verify.Seconds > 0 {
		fmt.Fprintf(w, "--verify / none: %.2f× (target ≤ 1.15; median of rounds; CPU seconds %.2f×)\n", r.MedianRatioVerify, r.MedianCPURatioVerify)
	}
	for _, y := range r.DuckDB {
		fmt.Fprintf(w, "%s, DuckDB %s, %d rounds (medians): %.2f s wall (the query alone %.2f s), %.1f CPU s; trailsweep every rule %.2f s, %.1f CPU s; seed rule %.2f s, %.1f CPU s\n",
			y.Name, y.Version, len(y.Rounds), y.MedianSeconds, y.MedianQuerySeconds, y.MedianCPUSeconds, y.MedianFullSeconds, y.MedianFullCPUSeconds, y.MedianSeedSeconds, y.MedianSeedCPUSeconds)
		fmt.Fprintf(w, "  DuckDB / trailsweep every rule: %.2f× (CPU seconds %.2f×)   DuckDB / trailsweep seed rule: %.2f× (CPU seconds %.2f×)   (target ≥ 2.5; median of rounds)\n",
			y.MedianOverFull, y.MedianCPUOverFull, y.MedianOverSeed, y.MedianCPUOverSeed)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// LoadAvg returns the first three fields of /proc/loadavg, "" elsewhere.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// CPUModel returns the model name of the first CPU, "" when unknown.
func CPUModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// DirBytes returns the total size of the regular files under dir.
func DirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	return n, err
}
