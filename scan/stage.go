package scan

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/trailsweep/trailsweep/internal/atomicfile"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/internal/s3obj"
	"github.com/trailsweep/trailsweep/report"
)

// Stage errors; the CLI maps them to a usage exit code.
var (
	ErrStageIncomplete = errors.New("stage is missing shards")
	ErrStageMismatch   = errors.New("stage files were made with other settings")
)

// stageVersion is the layout of a stage file.
const stageVersion = 1

// stageMagic starts every stage file, before the zstd stream.
const stageMagic = "trailsweep-stage\n"

// StageHeader describes the shard that wrote a stage file: what it scanned
// (every shard of a hunt must agree, and reduce checks it) and how its
// aggregate events are to be decided.
type StageHeader struct {
	Version       int       `json:"version"`
	Shard         int       `json:"shard"`
	Shards        int       `json:"shards"`
	Sources       []string  `json:"sources"`
	Window        Window    `json:"window"` // the resolved --since/--until
	Accounts      []string  `json:"accounts"`
	Regions       []string  `json:"regions"`
	RulesHash     string    `json:"rules_hash"`
	AggStart      time.Time `json:"agg_start"`      // rule.AggOptions.Start: --since, or the --history span's start
	HistorySource string    `json:"history_source"` // rule.AggOptions.HistorySource
	Created       time.Time `json:"created"`
}

// StageName is the file name of shard i of n in a stage directory.
func StageName(i, n int) string { return fmt.Sprintf("shard-%05d-of-%05d.events.zst", i, n) }

// Destination is a file being written that appears, whole, under its
// name only on Commit; Abort discards it.
type Destination interface {
	io.Writer
	Commit() error
	Abort() error
}

// StageDir is where the shards of a hunt put their stage files and reduce
// reads them: a local directory (LocalStage) or an S3 prefix (S3Stage).
type StageDir interface {
	// Create starts the file name; it replaces any earlier one on Commit.
	Create(ctx context.Context, name string) (Destination, error)
	// Names lists the names of the files in the directory.
	Names(ctx context.Context) ([]string, error)
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	String() string
}

var (
	_ StageDir = LocalStage("")
	_ StageDir = (*s3Stage)(nil)
)

// LocalStage is a stage directory on a filesystem (shared by the shards:
// EFS, Filestore, a ReadWriteMany volume), created when a shard writes.
type LocalStage string

func (d LocalStage) String() string { return string(d) }

// Create writes name atomically (atomicfile), mode 0600.
func (d LocalStage) Create(_ context.Context, name string) (Destination, error) {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return nil, err
	}
	return atomicfile.Create(filepath.Join(string(d), name), 0o600)
}

func (d LocalStage) Names(context.Context) ([]string, error) {
	des, err := os.ReadDir(string(d))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(des))
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names, nil
}

func (d LocalStage) Open(_ context.Context, name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(string(d), name))
}

// S3Stage is a stage directory under an S3 prefix: each file is one
// object, uploaded by parts and completed only on Commit (s3obj.Upload).
func S3Stage(p *s3obj.Prefix) StageDir { return (*s3Stage)(p) }

type s3Stage s3obj.Prefix

func (s *s3Stage) p() *s3obj.Prefix { return (*s3obj.Prefix)(s) }
func (s *s3Stage) String() string   { return s.p().String() }
func (s *s3Stage) Create(ctx context.Context, name string) (Destination, error) {
	return s.p().Create(ctx, name), nil
}
func (s *s3Stage) Names(ctx context.Context) ([]string, error) { return s.p().Names(ctx) }
func (s *s3Stage) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	return s.p().Open(ctx, name)
}

// Stage is the ObjectSink of one shard of a sharded hunt: it passes
// per-record findings to the shard's own sink and writes each object's
// aggregate events, with its URI, to the shard's stage file, for Reduce.
// Because it is an ObjectSink, Run writes no aggregate findings: a shard's
// would be partial. The file appears under its final name only on Commit
// (atomically, replacing a previous run's); a run that does not commit
// leaves the previous file, or none.
type Stage struct {
	sink Sink
	f    Destination
	zw   *zstd.Encoder
	buf  []byte
}

var _ ObjectSink = (*Stage)(nil)

// CreateStage starts the stage file of shard h.Shard of h.Shards in dir
// (a local directory is created if needed); findings go to sink.
func CreateStage(ctx context.Context, dir StageDir, h StageHeader, sink Sink) (*Stage, error) {
	f, err := dir.Create(ctx, StageName(h.Shard, h.Shards))
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	h.Version = stageVersion
	if h.Created.IsZero() {
		h.Created = time.Now().UTC()
	}
	hb, err := json.Marshal(&h)
	if err != nil {
		_ = f.Abort()
		return nil, err
	}
	if _, err := io.WriteString(f, stageMagic); err != nil {
		_ = f.Abort()
		return nil, fmt.Errorf("stage: %w", err)
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		_ = f.Abort()
		return nil, err
	}
	s := &Stage{sink: sink, f: f, zw: zw}
	s.record("", hb)
	return s, s.flush()
}

// record appends one record: the URI, then the bytes, each after its length.
func (s *Stage) record(uri string, b []byte) {
	s.buf = binary.AppendUvarint(s.buf, uint64(len(uri)))
	s.buf = append(s.buf, uri...)
	s.buf = binary.AppendUvarint(s.buf, uint64(len(b)))
	s.buf = append(s.buf, b...)
}

func (s *Stage) flush() error {
	if _, err := s.zw.Write(s.buf); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	s.buf = s.buf[:0]
	return nil
}

// Write passes f to the shard's sink.
func (s *Stage) Write(f *report.Finding) error { return s.sink.Write(f) }

// Object stages r's aggregate events, if any.
func (s *Stage) Object(r ObjectResult) error {
	if len(r.Events) == 0 {
		return nil
	}
	s.record(r.Object.URI, appendEvents(nil, r.Events))
	if len(s.buf) < 1<<16 {
		return nil
	}
	return s.flush()
}

// encoded stages the events of the object uri, already encoded
// (appendEvents), if any.
func (s *Stage) encoded(uri string, events []byte) error {
	if len(events) == 0 {
		return nil
	}
	s.record(uri, events)
	if len(s.buf) < 1<<16 {
		return nil
	}
	return s.flush()
}

// stageTrailer ends a stage file: the shard's totals, and the objects it
// could not read, so that Reduce's summary names them.
type stageTrailer struct {
	Counts
	Failures []report.ObjectFailure `json:"failures,omitempty"`
}

// Commit ends the file with the shard's totals and failed objects, and
// puts it in place.
func (s *Stage) Commit(sum *report.Summary) error {
	cb, err := json.Marshal(stageTrailer{Counts: countsOf(sum), Failures: sum.Failures})
	if err != nil {
		return err
	}
	s.record("", cb) // the trailer: a record without URI after the header
	if err := s.flush(); err != nil {
		_ = s.f.Abort()
		return err
	}
	if err := s.zw.Close(); err != nil {
		_ = s.f.Abort()
		return fmt.Errorf("stage: %w", err)
	}
	if err := s.f.Commit(); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	return nil
}

// Abort removes the unfinished file; the previous one, if any, stays.
func (s *Stage) Abort() error {
	s.zw.Close()
	return s.f.Abort()
}

// countsOf is the totals of a summary.
func countsOf(sum *report.Summary) Counts {
	var skipped int64
	for _, n := range sum.Objects.Skipped {
		skipped += n
	}
	return Counts{Listed: sum.Objects.Listed, Scanned: sum.Objects.Scanned, Skipped: skipped, Failed: sum.Objects.Failed,
		Read: sum.Records.Read, Evaluated: sum.Records.Evaluated, OutsideWindow: sum.Records.OutsideWindow,
		Malformed: sum.Records.Malformed, Findings: sum.Findings}
}

// stageFile is a stage file read: its header, and its trailer.
type stageFile struct {
	name  string
	path  string
	head  StageHeader
	trail stageTrailer
}

// readStage reads the stage file name in dir, calling fn (when not nil)
// with each object's URI and events; it fails on a file cut short.
func readStage(ctx context.Context, dir StageDir, name string, fn func(uri string, events []byte) error) (*stageFile, error) {
	path := dir.String() + name // an S3 prefix ends in "/"
	if d, ok := dir.(LocalStage); ok {
		path = filepath.Join(string(d), name)
	}
	f, err := dir.Open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	magic := make([]byte, len(stageMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != stageMagic {
		return nil, fmt.Errorf("stage %s: not a stage file", path)
	}
	zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", path, err)
	}
	defer zr.Close()
	r := bufio.NewReaderSize(zr, 1<<16)
	var b []byte
	next := func() (string, []byte, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return "", nil, err
		}
		uri := make([]byte, n)
		if _, err := io.ReadFull(r, uri); err != nil {
			return "", nil, err
		}
		if n, err = binary.ReadUvarint(r); err != nil {
			return "", nil, err
		}
		b = slices.Grow(b[:0], int(n))[:n]
		_, err = io.ReadFull(r, b)
		return string(uri), b, err
	}
	bad := func(err error) error {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("stage %s: %w", path, err)
	}
	sf := &stageFile{name: name, path: path}
	uri, hb, err := next()
	if err != nil || uri != "" {
		return nil, bad(err)
	}
	if err := json.Unmarshal(hb, &sf.head); err != nil {
		return nil, bad(err)
	}
	if sf.head.Version != stageVersion {
		return nil, fmt.Errorf("stage %s: format %d, this trailsweep reads format %d", path, sf.head.Version, stageVersion)
	}
	for {
		uri, b, err := next()
		if err != nil {
			return nil, bad(err)
		}
		if uri == "" {
			if err := json.Unmarshal(b, &sf.trail); err != nil {
				return nil, bad(err)
			}
			if _, err := r.ReadByte(); err != io.EOF {
				return nil, bad(errors.New("data after the trailer"))
			}
			return sf, nil
		}
		if fn == nil {
			continue
		}
		if err := fn(uri, b); err != nil {
			return nil, err
		}
	}
}

// ReduceConfig is the reduction of a sharded hunt's stage.
type ReduceConfig struct {
	Dir   StageDir  // the stage directory
	Rules *rule.Set // the hunt's rules: the same as every shard's
	// Memory and WorkDir bound the Aggregator and the sort of the output
	// as Config's bound a scan's.
	Memory  int64
	WorkDir string
	// Output gets the aggregate findings in output order; it is closed
	// when every shard's events were decided, and aborted otherwise.
	Output report.Writer
}

// Reduce decides the aggregate rules of a sharded hunt over every shard's
// staged events and writes their findings to cfg.Output: the rows a single
// scan of the same sources would have added to the shards' per-record
// ones, details included. It first checks that the stage holds each shard
// of one hunt exactly once (ErrStageIncomplete) and that every shard ran
// with the same sources, window, filters and rules as cfg.Rules
// (ErrStageMismatch); then it returns a nil Result, the output aborted.
// The summary's counts are the totals of the shards, and its failures the
// objects each shard could not read, with the shard's spec (I/N).
func Reduce(ctx context.Context, cfg ReduceConfig) (*Result, error) {
	sorted := report.NewSorted(cfg.Output, (&Config{Memory: cfg.Memory, WorkDir: cfg.WorkDir}).SortOptions())
	files, err := stageFiles(ctx, cfg)
	if err != nil {
		_ = sorted.Abort()
		return nil, err
	}
	sum, err := reduce(ctx, cfg, files, sorted)
	res := &Result{Summary: sum}
	res.commit(sorted, err == nil)
	return res, err
}

// reduce decides the aggregate rules over the events of files and writes
// their findings to sink.
func reduce(ctx context.Context, cfg ReduceConfig, files []*stageFile, sink Sink) (*report.Summary, error) {
	start := time.Now()
	h := files[0].head
	c := Config{Memory: cfg.Memory, WorkDir: cfg.WorkDir}
	opts := c.AggOptions(h.AggStart)
	opts.HistorySource = h.HistorySource
	agg := rule.NewAggregator(opts)
	defer agg.Close()
	sum := &report.Summary{Started: start.UTC(), Complete: true, Sources: h.Sources}
	sum.Window.Since, sum.Window.Until = h.Window.Since, h.Window.Until
	sum.Objects.Skipped = map[string]int64{}
	if cfg.Rules != nil {
		sum.Rules.Loaded = len(cfg.Rules.All())
		sum.Rules.Runnable = len(cfg.Rules.Runnable())
		sum.Rules.Unsupported = sum.Rules.Loaded - sum.Rules.Runnable
	}
	byKey := aggregateRules(cfg.Rules)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			sum.Complete = false
			return sum, fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
		}
		_, err := readStage(ctx, cfg.Dir, f.name, func(uri string, b []byte) error {
			evs, err := decodeEvents(b, uri, byKey)
			if err != nil {
				return fmt.Errorf("stage %s: %s: %w", f.path, uri, err)
			}
			for i := range evs {
				if err := agg.Add(&evs[i]); err != nil {
					return fmt.Errorf("aggregate rules: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			sum.Complete = false
			return sum, err
		}
		n := f.trail.Counts
		sum.Objects.Listed, sum.Objects.Scanned, sum.Objects.Failed = n.Listed, sum.Objects.Scanned+n.Scanned, sum.Objects.Failed+n.Failed
		shard := fmt.Sprintf("%d/%d", f.head.Shard, f.head.Shards)
		slices.SortFunc(f.trail.Failures, func(a, b report.ObjectFailure) int { return strings.Compare(a.URI, b.URI) })
		for _, fail := range f.trail.Failures {
			fail.Shard = shard
			sum.Failures = append(sum.Failures, fail)
		}
		sum.Records.Read += n.Read
		sum.Records.Evaluated += n.Evaluated
		sum.Records.OutsideWindow += n.OutsideWindow
		sum.Records.Malformed += n.Malformed
	}
	var byRule report.RuleCounter
	sum.NewTerms = historySpans(agg)
	err := agg.Flush(func(d *rule.Decision) error {
		f, err := decisionFinding(d)
		if err != nil {
			return err
		}
		return writeFinding(sink, &f, sum, &byRule)
	})
	sum.Spilled.Runs, sum.Spilled.Bytes = agg.Spilt()
	sum.FindingsByRule = byRule.Counts()
	sum.Duration = time.Since(start)
	if err != nil {
		sum.Complete = false
		return sum, fmt.Errorf("aggregate rules: %w", err)
	}
	return sum, nil
}

// stageFiles reads the headers of the stage files in cfg.Dir and checks
// that they are the shards of one hunt, each once, run with cfg.Rules.
func stageFiles(ctx context.Context, cfg ReduceConfig) ([]*stageFile, error) {
	names, err := cfg.Dir.Names(ctx)
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	var files []*stageFile
	for _, name := range names {
		var i, n int
		if _, err := fmt.Sscanf(name, "shard-%05d-of-%05d.events.zst", &i, &n); err != nil || StageName(i, n) != name {
			continue
		}
		f, err := readStage(ctx, cfg.Dir, name, nil)
		if err != nil {
			return nil, err
		}
		if f.head.Shard != i || f.head.Shards != n {
			return nil, fmt.Errorf("%w: %s holds shard %d/%d", ErrStageMismatch, name, f.head.Shard, f.head.Shards)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no stage file (shard-I-of-N.events.zst) in %s", ErrStageIncomplete, cfg.Dir)
	}
	n := files[0].head.Shards
	have := make([]bool, n)
	want, _ := json.Marshal(settings(files[0].head))
	for _, f := range files {
		if f.head.Shards != n {
			return nil, fmt.Errorf("%w: %s is one of %d shards, %s one of %d (remove the stage files of the other hunt)",
				ErrStageMismatch, f.name, f.head.Shards, files[0].name, n)
		}
		have[f.head.Shard] = true
		if got, _ := json.Marshal(settings(f.head)); string(got) != string(want) {
			return nil, fmt.Errorf("%w: %s ran with %s, %s with %s (a relative --since resolves when each shard starts: give dates)",
				ErrStageMismatch, f.name, got, files[0].name, want)
		}
	}
	var missing []string
	for i, ok := range have {
		if !ok {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %d of %d shards have no stage file in %s: %s", ErrStageIncomplete, len(missing), n, cfg.Dir, strings.Join(missing, ", "))
	}
	if h := RulesHash(cfg.Rules); h != files[0].head.RulesHash {
		return nil, fmt.Errorf("%w: the shards ran with another rule set (give reduce the shards' rule flags)", ErrStageMismatch)
	}
	return files, nil
}

// settings is what every shard of a hunt must share.
func settings(h StageHeader) any {
	return struct {
		Sources           []string
		Window            Window
		Accounts, Regions []string
		RulesHash         string
		AggStart          time.Time
		HistorySource     string
	}{h.Sources, h.Window, h.Accounts, h.Regions, h.RulesHash, h.AggStart, h.HistorySource}
}

// ReadStageFile reads the stage file name in dir: fn (when not nil) gets
// each object's URI and its events in the compact encoding (valid only
// during the call); it returns the file's header and totals. For tests and
// tools that compare stage files.
func ReadStageFile(ctx context.Context, dir StageDir, name string, fn func(uri string, events []byte) error) (StageHeader, Counts, error) {
	sf, err := readStage(ctx, dir, name, fn)
	if err != nil {
		return StageHeader{}, Counts{}, err
	}
	return sf.head, sf.trail.Counts, nil
}
