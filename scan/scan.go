// Package scan is the trailsweep pipeline: it lists log objects from one or
// more sources, fetches them through a bounded pool, decodes and splits them
// into records on CPU workers, evaluates every record against a compiled rule
// set and hands findings, object by object, to a single writer.
//
// Every object listed is accounted for as scanned, skipped (with a reason) or
// failed (with a reason); every record read is evaluated, outside the window
// or malformed.
package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/extsort"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// Sink receives findings. The scan calls it from one goroutine only.
type Sink interface {
	Write(f *report.Finding) error
}

// Config is one scan.
type Config struct {
	Sources []reader.Source
	Filter  reader.Filter // Since/Until also filter records on eventTime
	Rules   *rule.Set
	// Tuning drops known-benign activity: records its exclusions match,
	// before any rule sees them (counted as evaluated), and a rule's match
	// on a record one of that rule's exceptions matches — for aggregate
	// rules (new_terms, threshold, sequences) before the record feeds the
	// aggregate. nil (or empty): nothing is dropped.
	Tuning *rule.Tuning

	Concurrency int // objects fetched at once (network-bound); default 64
	Workers     int // decode and match goroutines (CPU-bound); default GOMAXPROCS
	Raw         bool
	Decode      reader.DecodeOptions
	// MaxInFlight bounds the stored bytes fetched and not yet decoded;
	// default DefaultMaxInFlight, or 3/16 of Memory when that is less.
	MaxInFlight int64

	// Ingested stands in for event.ingested; default: the scan's start time,
	// truncated to seconds.
	Ingested time.Time

	// Aggregator decides the aggregate rules (new_terms, threshold, EQL
	// sequences) once every object is read; nil: a fresh one. HistoryOnly
	// makes the scan only feed new_terms history to it: no findings, no
	// flush (a separate --history span, read before the main scan).
	Aggregator  *rule.Aggregator
	HistoryOnly bool

	// Memory is the scan's budget for the state that grows with the data
	// (aggregate events and findings, the new_terms combinations workers
	// share); 0 is DefaultMemory. What does not fit spills to WorkDir ("":
	// the OS temporary directory). The process's own budget (the CLI's
	// --memory) also covers the reading path: MaxInFlight, the workers.
	Memory  int64
	WorkDir string

	// Progress, when set, is called from the writer goroutine after each object.
	Progress func(p Progress)

	// Verify, when set, checks log integrity in the same pass: the
	// fetchers hand it each digest listed (still counted as skipped), and
	// the workers each log's SHA-256, hashed as it is decompressed.
	Verify Verifier

	// Ledger, when set, is told of every object listed (but those another
	// shard reads), once, from the writer goroutine, with the SHA-256 of
	// its stored bytes as fetched: the evidence of what the scan read.
	Ledger Ledger
}

// Ledger records the objects a scan listed (--evidence). Entry gets each
// object with the hex SHA-256 of its stored bytes as fetched ("" when it
// was not read: skipped, or failed before its bytes were all fetched) and
// the error that failed it, if any. An error from Entry ends the scan.
type Ledger interface {
	Entry(o reader.Object, storedSHA256 string, err error) error
}

// Verifier checks log integrity alongside a scan (verify.Session). Its
// methods are called concurrently; source is the index in Config.Sources.
type Verifier interface {
	Digest(ctx context.Context, source int, o reader.Object) error
	Log(source int, o reader.Object, sha256 string, err error)
}

// DefaultMemory is a scan's budget when Config.Memory is zero.
const DefaultMemory = 256 << 20

func (c *Config) memory() int64 {
	if c.Memory <= 0 {
		return DefaultMemory
	}
	return c.Memory
}

// AggOptions returns the options of an Aggregator for this scan, its
// history starting at start: an eighth of the budget, spilling to WorkDir.
func (c *Config) AggOptions(start time.Time) rule.AggOptions {
	return rule.AggOptions{Start: start, Dir: c.WorkDir, Memory: int(c.memory() / 8)}
}

// SortOptions returns the options of the sort that puts findings in output
// order (report.NewSorted): an eighth of the budget, spilling to WorkDir.
func (c *Config) SortOptions() report.SortOptions {
	return report.SortOptions{Dir: c.WorkDir, Memory: int(c.memory() / 8)}
}

// sharedEntries is how many new_terms combinations the workers share (see
// rule.Shared): a sixteenth of the budget at about 128 bytes an entry.
func (c *Config) sharedEntries() int { return int(c.memory() / 16 / 128) }

// Progress is a snapshot of a running scan: the listing (folders listed,
// objects listed, whether it has finished) and the reading apart.
type Progress struct {
	Folders, Listed int64
	ListingDone     bool
	Done, Failed    int64
	BytesRead       int64
	Findings        int64
	Phase           string // after the scan: what is being done ("" while scanning)
}

// ErrInterrupted is returned (wrapped) when the context was cancelled before
// every listed object was read. The summary is still valid and marked
// incomplete.
var ErrInterrupted = errors.New("scan interrupted")

// resultsQueue is how many objects' results may wait for the writer with
// workers workers: 16 each, at most 64 in all (never fewer than two each).
// The writer works in bursts: once in a while an Add to the Aggregator (or
// a Write to a sorted output) sorts, compresses and spills a run of its
// share of the budget, for 50 to 100 ms, while the workers go on reading;
// with two results each they stopped for it, 60 to 90 ms per scan of the
// 0.5 GB bench with two workers. A result holds one object's findings and
// aggregate events, tens of KB; the bound keeps a slow writer from
// holding many MB of them on a machine with many cores.
func resultsQueue(workers int) int {
	return max(2*workers, min(16*workers, 64))
}

// job is a listed object to fetch, with the source that listed it.
type job struct {
	src reader.Source
	obj reader.Object
	i   int // index of src in Config.Sources
}

// fetched is a fetched object waiting for a CPU worker.
type fetched struct {
	obj    reader.Object
	i      int // index of the source in Config.Sources
	body   *bytes.Buffer
	err    error
	weight int64 // held in the in-flight bound until decoded
}

// result is everything one object produced, committed by the writer at once.
type result struct {
	obj      reader.Object
	findings []report.Finding
	events   []rule.Event // selected by aggregate rules, for the Aggregator
	bytesIn  int64
	bytesOut int64
	records  report.RecordStats
	span     report.TimeWindow // first and last eventTime read; zero when none
	tuned    []tuneHit         // what Config.Tuning dropped
	stored   string            // hex SHA-256 of the stored bytes, with Config.Ledger
	err      error
	payloads [][]byte // the chunks holding the events' payloads, for payloadChunks once committed
}

// tuneHit is one record an exclusion dropped (rule nil) or one match an
// exception dropped: indexes into Tuning.Excludes and Tuning.Exceptions.
type tuneHit struct {
	index int
	rule  *rule.Rule
}

// Run scans every source and writes findings to sink. It returns the summary
// of what was read, also when it returns an error: ErrInterrupted (wrapped)
// when ctx was cancelled, or the first listing or sink error, which ends the
// scan. Objects that cannot be read are not errors: they are listed in
// Summary.Failures and the scan goes on. When sink is an ObjectSink (a
// Checkpoint, a Stage), it gets each object's account and aggregate events
// and decides the aggregate rules itself; Run then writes no aggregate
// findings. Run is one pass over the sources: Hunt runs a whole hunt
// around it.
func Run(ctx context.Context, cfg Config, sink Sink) (*report.Summary, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	if cfg.Ingested.IsZero() {
		cfg.Ingested = start.UTC().Truncate(time.Second)
	}
	sum := &report.Summary{Started: start.UTC(), Complete: true}
	sum.Objects.Skipped = map[string]int64{}
	sum.Window.Since, sum.Window.Until = cfg.Filter.Since, cfg.Filter.Until
	for _, s := range cfg.Sources {
		sum.Sources = append(sum.Sources, s.String())
	}
	if cfg.Tuning.Empty() {
		cfg.Tuning = nil
	} else {
		sum.Tuning = newTuningStats(cfg.Tuning)
	}
	if cfg.Decode.Index == nil && cfg.Rules != nil {
		cfg.Decode.Index = IndexPaths(cfg.Rules, cfg.Tuning)
	}
	if cfg.Rules != nil {
		sum.Rules.Loaded = len(cfg.Rules.All())
		sum.Rules.Runnable = len(cfg.Rules.Runnable())
		sum.Rules.Unsupported = sum.Rules.Loaded - sum.Rules.Runnable
	}

	g, gctx := errgroup.WithContext(ctx)
	toFetch := make(chan job, cfg.Concurrency)
	toDecode := make(chan fetched, cfg.Workers*2)
	results := make(chan result, resultsQueue(cfg.Workers))

	// Objects listed but not to be read go straight to the writer.
	// Listing: one producer, all sources in turn. listed counts every
	// object listed, committed or not: what an interrupted scan never
	// committed is "not reached".
	var listed atomic.Int64
	var listingDone atomic.Bool
	trace := &reader.ListTrace{}
	lctx := reader.WithListTrace(gctx, trace)
	g.Go(func() error {
		defer close(toFetch)
		for i, src := range cfg.Sources {
			err := src.List(lctx, cfg.Filter, func(o reader.Object) error {
				listed.Add(1)
				if o.Skip == reader.SkipDigest && o.Err == nil && cfg.Verify != nil {
					return send(gctx, toFetch, job{src: src, obj: o, i: i}) // read by Verify
				}
				if o.Skip != "" || o.Err != nil { // never opened
					return send(gctx, results, result{obj: o, err: o.Err})
				}
				return send(gctx, toFetch, job{src: src, obj: o, i: i})
			})
			if err != nil {
				return fmt.Errorf("list %s: %w", src, err)
			}
		}
		listingDone.Store(true)
		return nil
	})

	// Fetchers: bounded by Concurrency, network-bound, and by the bytes in flight.
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = min(DefaultMaxInFlight, cfg.memory()*3/16)
	}
	inflight := newInFlight(cfg.MaxInFlight)
	maxStored := storedCap(cfg.Decode.MaxObjectBytes)
	var fetchWG sync.WaitGroup
	for range cfg.Concurrency {
		fetchWG.Add(1)
		g.Go(func() error {
			defer fetchWG.Done()
			for j := range toFetch {
				if j.obj.Skip != "" { // a digest, for Verify
					if err := cfg.Verify.Digest(gctx, j.i, j.obj); err != nil {
						return err
					}
					if err := send(gctx, toDecode, fetched{obj: j.obj}); err != nil {
						return err
					}
					continue
				}
				if err := tooLarge(j.obj.Size, maxStored); err != nil {
					// Failed as listed: neither opened nor weighed.
					if err := send(gctx, toDecode, fetched{obj: j.obj, i: j.i, err: err}); err != nil {
						return err
					}
					continue
				}
				weight, err := inflight.acquire(gctx, j.obj.Size)
				if err != nil {
					return err
				}
				f := fetch(gctx, j.src, j.obj, maxStored)
				f.weight, f.i = weight, j.i
				if err := send(gctx, toDecode, f); err != nil {
					inflight.release(weight)
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error { fetchWG.Wait(); close(toDecode); return nil })

	// CPU workers: decode, split, match.
	shared := rule.NewShared(cfg.sharedEntries()) // new_terms combinations of committed objects
	var workWG sync.WaitGroup
	for range cfg.Workers {
		workWG.Add(1)
		g.Go(func() error {
			defer workWG.Done()
			w := newWorker(cfg)
			w.red = rule.NewReducer(shared, w, cfg.HistoryOnly)
			for f := range toDecode {
				r := w.process(f)
				inflight.release(f.weight)
				if err := send(gctx, results, r); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error { workWG.Wait(); close(results); return nil })

	// The writer: the only goroutine that touches sum and sink.
	var byRule report.RuleCounter
	var suppressed report.RuleCounter
	agg := cfg.Aggregator
	if agg == nil {
		agg = rule.NewAggregator(cfg.AggOptions(cfg.Filter.Since))
	}
	// An ObjectSink gets each object's aggregate events and decides the
	// aggregate rules itself (a checkpoint, over every run's events).
	osink, sinkAggregates := sink.(ObjectSink)
	g.Go(func() error {
		for r := range results {
			if err := commit(sum, &byRule, sink, osink, r); err != nil {
				return err
			}
			if cfg.Ledger != nil && r.obj.Skip != reader.SkipOtherShard {
				if err := cfg.Ledger.Entry(r.obj, r.stored, r.err); err != nil {
					return fmt.Errorf("evidence: %w", err)
				}
			}
			if len(r.tuned) > 0 {
				countTuned(sum.Tuning, &suppressed, r.tuned)
			}
			for i := 0; !sinkAggregates && i < len(r.events); i++ {
				if err := agg.Add(&r.events[i]); err != nil {
					sum.NotEvaluated = notEvaluated(cfg.Rules, err)
					return fmt.Errorf("aggregate rules: %w", err)
				}
			}
			if r.err == nil && r.obj.Skip == "" {
				shared.Commit(r.events)
			}
			findingSlices.put(r.findings) // copied by the sink and the Aggregator
			eventSlices.put(r.events)
			for _, c := range r.payloads {
				payloadChunks.put(c)
			}
			clear(r.payloads)
			if cfg.Progress != nil {
				cfg.Progress(Progress{
					Folders: trace.Folders(), Listed: listed.Load(), ListingDone: listingDone.Load(),
					Done: sum.Objects.Scanned, Failed: sum.Objects.Failed,
					BytesRead: sum.BytesRead, Findings: sum.Findings,
				})
			}
		}
		if sinkAggregates {
			return nil
		}
		if err := flushAggregate(cfg, agg, sum, &byRule, sink); err != nil {
			if errors.Is(err, extsort.ErrSpill) {
				sum.NotEvaluated = notEvaluated(cfg.Rules, err)
			}
			return fmt.Errorf("aggregate rules: %w", err)
		}
		return nil
	})

	err := g.Wait()
	sum.Duration = time.Since(start)
	sum.FindingsByRule = byRule.Counts()
	if sum.Tuning != nil {
		sum.Tuning.SuppressedByRule = suppressed.Counts()
	}
	sum.Objects.Listed = listed.Load()
	// Interrupted: ctx (the signals) ended a scan that had not finished;
	// a scan that finished, or failed on its own, is not.
	if err != nil && ctx.Err() != nil {
		sum.Complete = false
		return sum, fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	if err != nil {
		sum.Complete = false
		return sum, err
	}
	return sum, nil
}

// commit accounts for one object and writes its findings, and its account
// to osink when not nil.
func commit(sum *report.Summary, byRule *report.RuleCounter, sink Sink, osink ObjectSink, r result) error {
	if r.obj.Skip != "" {
		sum.Objects.Skipped[r.obj.Skip]++
		if len(sum.Coverage.Skipped) < report.MaxSkippedListed && r.obj.Skip != reader.SkipOtherShard {
			sum.Coverage.Skipped = append(sum.Coverage.Skipped, report.SkippedObject{URI: r.obj.URI, Reason: r.obj.Skip})
		}
		return nil
	}
	var fail *report.ObjectFailure
	if r.err != nil {
		f := failure(r.obj, r.err)
		fail = &f
	}
	sum.AddObject(fail, r.bytesIn, r.bytesOut, r.records)
	widen(&sum.Coverage.Events, r.span.Since)
	widen(&sum.Coverage.Events, r.span.Until)
	if err := writeFindings(sink, r.findings, sum, byRule); err != nil {
		return err
	}
	if osink != nil {
		or := ObjectResult{Object: r.obj, BytesIn: r.bytesIn, BytesOut: r.bytesOut, Findings: int64(len(r.findings)), Events: r.events,
			Records: r.records, Failure: fail}
		if err := osink.Object(or); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	return nil
}

// widen extends the span w to include t; a zero t changes nothing.
func widen(w *report.TimeWindow, t time.Time) {
	if t.IsZero() {
		return
	}
	if w.Since.IsZero() || t.Before(w.Since) {
		w.Since = t
	}
	if w.Until.IsZero() || t.After(w.Until) {
		w.Until = t
	}
}

// notEvaluated says which rules a failure of the aggregate state left
// undecided.
func notEvaluated(set *rule.Set, err error) string {
	var ids []string
	if set != nil {
		for _, r := range set.Runnable() {
			if r.Aggregate() {
				ids = append(ids, r.ID)
			}
		}
	}
	return fmt.Sprintf("%d aggregate rule(s) (new_terms, threshold, EQL sequences, ES|QL): %v; rule ids: %s", len(ids), err, strings.Join(ids, ", "))
}

// writeFindings writes fs to sink and counts them in sum and byRule.
func writeFindings(sink Sink, fs []report.Finding, sum *report.Summary, byRule *report.RuleCounter) error {
	for i := range fs {
		if err := writeFinding(sink, &fs[i], sum, byRule); err != nil {
			return err
		}
	}
	return nil
}

// writeFinding writes f to sink and counts it in sum and byRule.
func writeFinding(sink Sink, f *report.Finding, sum *report.Summary, byRule *report.RuleCounter) error {
	if err := sink.Write(f); err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	sum.Findings++
	byRule.Add(f)
	return nil
}

// send delivers v on ch unless ctx ends first.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// storedCap returns the most stored bytes an object may have when it may
// decompress to at most maxObject bytes (0: the decoder's default): plain
// JSON is stored as it is, and gzip never stores more than the data plus
// its framing (deflate's stored blocks: 5 bytes in 65,535; zlib's
// deflateBound allows n/4096 more, and 1 KiB covers the headers).
func storedCap(maxObject int64) int64 {
	if maxObject <= 0 {
		maxObject = reader.DefaultMaxObjectBytes
	}
	return maxObject + maxObject>>12 + 1<<10
}

// tooLarge returns an error wrapping reader.ErrObjectTooLarge when an object
// of size stored bytes is over max.
func tooLarge(size, max int64) error {
	if size <= max {
		return nil
	}
	return fmt.Errorf("%w: %d bytes stored, more than the max-object-bytes cap allows (%d)", reader.ErrObjectTooLarge, size, max)
}

// fetch reads one object's stored bytes into a pooled buffer, never more
// than max of them: an object that turns out larger than listed fails as
// soon as it passes max, holding no more than that in memory.
func fetch(ctx context.Context, src reader.Source, o reader.Object, max int64) fetched {
	rc, err := src.Open(ctx, o)
	if err != nil {
		return fetched{obj: o, err: err}
	}
	defer rc.Close()
	buf := bufs.Get()
	buf.Reset()
	if o.Size > 0 && o.Size < 1<<30 {
		// ReadFrom wants MinRead bytes free to see EOF: without them a buffer
		// of exactly the object's size doubles (and copies) at its end.
		buf.Grow(int(o.Size) + bytes.MinRead)
	}
	n, err := io.Copy(buf, io.LimitReader(rc, max+1))
	if err == nil && n > max {
		err = fmt.Errorf("%w: more than %d bytes stored, more than the max-object-bytes cap allows", reader.ErrObjectTooLarge, max)
	}
	if err != nil {
		bufs.Put(buf)
		return fetched{obj: o, err: fmt.Errorf("read %s: %w", o.URI, err)}
	}
	return fetched{obj: o, body: buf}
}

// worker owns the per-goroutine state reused across objects.
type worker struct {
	cfg   Config
	rec   *ecs.Record
	match []*rule.Rule
	rules *rule.Local // cfg.Rules, with this worker's cache
	hash  hash.Hash   // SHA-256 of each log's decompressed bytes, with cfg.Verify
	user  ecs.Field
	dec   *reader.Decoder // reused through Reset: its buffers and gzip reader
	body  bytes.Reader

	// base holds the record-derived columns of the current record's
	// findings, built at its first finding and shared by the others.
	base      report.Finding
	baseValid bool
	cols      []byte // scratch for recordColumns

	red *rule.Reducer // the aggregate events of the current object
	// payloads holds the payloads of the current object's events, one
	// after the other in chunks of payloadChunk bytes (a larger payload
	// has one of its own): the result takes them, and the writer gives
	// them back to payloadChunks once the Aggregator or the sink has
	// copied the payloads.
	payloads [][]byte
	pbuf     []byte       // scratch for a payload
	kept     []keptRecord // the records Keep kept of the current object
	keep     []byte       // their bytes (see Keep)
	old      *ecs.Record  // PayloadOf's record
	cur      struct {     // the current record, for Payload and EventID
		obj   reader.Object
		t     time.Time
		index int64
		raw   []byte // valid until the next record
	}
}

func newWorker(cfg Config) *worker {
	w := &worker{
		cfg:  cfg,
		rec:  ecs.NewRecord(ecs.Options{Ingested: cfg.Ingested}),
		user: ecs.Lookup("user.name"),
	}
	w.red = rule.NewReducer(nil, w, cfg.HistoryOnly) // Run gives its workers a shared one
	return w
}

// process decodes one fetched object and matches each of its records.
func (w *worker) process(f fetched) result {
	r := result{obj: f.obj, findings: findingSlices.get(), events: eventSlices.get()}
	if f.obj.Skip != "" { // a digest Verify read
		return r
	}
	w.red.Begin(f.obj.URI, r.events)
	w.payloads = nil
	w.cur.obj = f.obj // Keep's records and PayloadOf's are of this object
	if f.err != nil {
		r.err = f.err
		if w.cfg.Verify != nil {
			w.cfg.Verify.Log(f.i, f.obj, "", f.err)
		}
		return r
	}
	defer bufs.Put(f.body)
	r.bytesIn = int64(f.body.Len())
	if w.cfg.Ledger != nil {
		sum := sha256.Sum256(f.body.Bytes())
		r.stored = hex.EncodeToString(sum[:])
	}
	w.body.Reset(f.body.Bytes())
	var err error
	if w.dec == nil {
		w.dec, err = reader.NewDecoder(&w.body, w.cfg.Decode)
	} else {
		err = w.dec.Reset(&w.body)
	}
	if err != nil {
		r.err = err
		if w.cfg.Verify != nil {
			w.cfg.Verify.Log(f.i, f.obj, "", err)
		}
		return r
	}
	dec := w.dec
	if w.cfg.Verify != nil {
		if w.hash == nil {
			w.hash = sha256.New()
		}
		w.hash.Reset()
		dec.HashTo(w.hash)
	}
	var index int64
	for ; ; index++ {
		raw, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil && errors.Is(err, reader.ErrBadRecord) {
			// Sound brackets, bad JSON within: a malformed record, as
			// when a record does not parse.
			r.records.Read++
			r.records.Malformed++
			continue
		}
		if err != nil && reader.Skipped(err) {
			// The decoder skipped the bad record: count it, keep the first
			// such error for the object and read on.
			r.records.Read++
			r.records.Malformed++
			if r.err == nil {
				r.err = fmt.Errorf("%w (record %d)", err, index)
			}
			continue
		}
		if err != nil {
			r.err = errors.Join(r.err, fmt.Errorf("%w (after %d records)", err, index))
			break
		}
		r.records.Read++
		w.record(&r, raw, dec.Index(), index)
	}
	r.events = w.red.End()
	r.payloads, w.payloads = w.payloads, nil
	// End made the kept records' payloads. Cleared, the slice keeps no
	// full buffer of an earlier object alive.
	clear(w.kept)
	w.kept, w.keep = w.kept[:0], w.keep[:0]
	if w.cfg.Verify != nil {
		if err := dec.Drain(); err != nil {
			w.cfg.Verify.Log(f.i, f.obj, "", err)
		} else {
			w.cfg.Verify.Log(f.i, f.obj, hex.EncodeToString(w.hash.Sum(nil)), nil)
		}
	}
	r.bytesOut = dec.BytesOut()
	return r
}

// IndexPaths returns the objects of a record the splitter indexes for a
// scan with rules and tuning (Run's, unless Config.Decode.Index is set):
// those their queries read member by member, and those a finding's columns
// read (the record's own members and userIdentity, always indexed). Any
// other object is read from the record's bytes when a field reads it, so
// the selection changes the cost of a scan, never its findings.
func IndexPaths(rules *rule.Set, tuning *rule.Tuning) *reader.IndexPaths {
	p := reader.NewIndexPaths()
	rules.Index(p)
	tuning.Index(p)
	ecs.IndexFields(p, []ecs.Field{ecs.Lookup("user.name")})
	return p
}

// record evaluates one record and appends its findings to r.
func (w *worker) record(r *result, raw []byte, keys []int32, index int64) {
	rec := w.rec
	w.baseValid = false
	w.match = w.match[:0] // the rules this record matched, none until matched
	if err := rec.ResetMembers(raw, keys); err != nil {
		r.records.Malformed++
		return
	}
	if err := rec.Malformed(); err != nil {
		// An object where CloudTrail writes a string: Elasticsearch
		// rejects the document, so no rule of any language sees it.
		r.records.AddMalformed(ecs.MalformedReason(err))
		return
	}
	t, ok := rec.EventTime()
	if ok {
		widen(&r.span, t)
	}
	win := w.cfg.Filter
	if !ok && (!win.Since.IsZero() || !win.Until.IsZero()) {
		r.records.Malformed++
		return
	}
	if ok && ((!win.Since.IsZero() && t.Before(win.Since)) || (!win.Until.IsZero() && !t.Before(win.Until))) {
		r.records.OutsideWindow++
		return
	}
	r.records.Evaluated++
	if w.cfg.Rules == nil {
		return
	}
	if w.rules == nil {
		w.rules = w.cfg.Rules.Local() // the worker's own candidate cache: no lock per record
	}
	tune := w.cfg.Tuning
	if tune != nil {
		if i := tune.Excluded(rec); i >= 0 {
			r.tuned = append(r.tuned, tuneHit{index: i})
			return
		}
	}
	w.match = w.rules.MatchRecord(rec, w.match[:0])
	if tune != nil && len(w.match) > 0 {
		kept := w.match[:0]
		for _, ru := range w.match {
			if i := tune.Excepted(ru, rec); i >= 0 {
				r.tuned = append(r.tuned, tuneHit{index: i, rule: ru})
				continue
			}
			kept = append(kept, ru)
		}
		w.match = kept
	}
	for _, ru := range w.match {
		if ru.Aggregate() {
			w.cur.obj, w.cur.t, w.cur.index, w.cur.raw = r.obj, t, index, raw
			w.red.Add(ru, rec, t, index)
		} else if !w.cfg.HistoryOnly {
			r.findings = append(r.findings, w.finding(ru, r.obj, t, index))
		}
	}
}

var _ rule.Payloader = (*worker)(nil)

// Payload is the payload of the current record's aggregate event for ru:
// its finding.
func (w *worker) Payload(ru *rule.Rule) []byte {
	f := w.finding(ru, w.cur.obj, w.cur.t, w.cur.index)
	return w.payload(&f)
}

// payload encodes f's payload and returns a copy in w.payloads' last
// chunk, or a new one when it is full. Chunks are never moved: a payload
// stays where it was put.
func (w *worker) payload(f *report.Finding) []byte {
	w.pbuf = appendPayload(w.pbuf[:0], f)
	n := len(w.payloads)
	if n == 0 || cap(w.payloads[n-1])-len(w.payloads[n-1]) < len(w.pbuf) {
		c := payloadChunks.get()
		if cap(c) < len(w.pbuf) {
			payloadChunks.put(c)
			c = make([]byte, 0, max(payloadChunk, len(w.pbuf)))
		}
		w.payloads = append(w.payloads, c)
		n++
	}
	c := w.payloads[n-1]
	i := len(c)
	c = append(c, w.pbuf...)
	w.payloads[n-1] = c
	return c[i:len(c):len(c)]
}

var _ rule.Keeper = (*worker)(nil)

// keptRecord is a record of the current object kept by Keep.
type keptRecord struct {
	raw   []byte
	t     time.Time
	index int64
}

// Keep keeps a copy of the current record's bytes. The copies are appended
// to one buffer, and their records to one slice, which the worker reuses
// for the next object once the Reducer's End has made the kept records'
// payloads: Keep returns a pointer into the slice, which stays valid when
// an append moves the slice (the old array is left to the pointers), and a
// full buffer is left to the records in it and a larger one started (at
// most maxKeepBuf, or the record's size). Keeping a record cost an
// allocation of the object's name with each before.
func (w *worker) Keep() any {
	if n := len(w.kept); n > 0 && w.kept[n-1].index == w.cur.index {
		return &w.kept[n-1] // another group of the same record
	}
	raw := w.cur.raw
	if n := len(w.keep); cap(w.keep)-n < len(raw) {
		w.keep = make([]byte, 0, max(min(2*cap(w.keep), maxKeepBuf), 64<<10, len(raw)))
	}
	n := len(w.keep)
	w.keep = append(w.keep, raw...)
	w.kept = append(w.kept, keptRecord{raw: w.keep[n:len(w.keep):len(w.keep)], t: w.cur.t, index: w.cur.index})
	return &w.kept[len(w.kept)-1]
}

// maxKeepBuf bounds the size Keep's buffer grows to.
const maxKeepBuf = 4 << 20

// PayloadOf is Payload for a record Keep kept of the current object: it
// reads the record again.
func (w *worker) PayloadOf(ru *rule.Rule, kept any) []byte {
	k := kept.(*keptRecord)
	o := w.cur.obj
	if w.old == nil {
		w.old = ecs.NewRecord(ecs.Options{Ingested: w.cfg.Ingested})
	}
	if err := w.old.Reset(k.raw); err != nil {
		// It was read once; should it not be now, the row still names the
		// rule and the record.
		f := ruleFinding(ru, bareFinding(o, k.t, k.index))
		return w.payload(&f)
	}
	cur := w.rec
	w.rec, w.baseValid = w.old, false
	f := w.finding(ru, o, k.t, k.index)
	w.rec, w.baseValid = cur, false
	return w.payload(&f)
}

// EventID is the current record's eventID.
func (w *worker) EventID() string {
	if !w.baseValid {
		w.base = w.recordColumns(w.cur.obj, w.cur.t, w.cur.index)
		w.baseValid = true
	}
	return w.base.EventID
}

// finding builds the row for one (rule, record) match.
func (w *worker) finding(ru *rule.Rule, o reader.Object, t time.Time, index int64) report.Finding {
	if !w.baseValid {
		w.base = w.recordColumns(o, t, index)
		w.baseValid = true
	}
	return ruleFinding(ru, w.base)
}

// ruleFinding is f with the columns of rule ru.
func ruleFinding(ru *rule.Rule, f report.Finding) report.Finding {
	f.RuleID = ru.ID
	f.RuleName = ru.Name
	f.RuleSource = ru.Source
	f.RuleType = ru.Type
	f.Severity = ru.Severity
	f.RiskScore = int64(ru.RiskScore)
	f.Tactics = ru.Tactics()
	f.Techniques = ru.Techniques()
	return f
}
