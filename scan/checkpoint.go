package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/trailsweep/trailsweep/internal/atomicfile"
	"github.com/trailsweep/trailsweep/internal/lockfile"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// Checkpoint errors; the CLI maps them to a usage exit code.
var (
	ErrCheckpointExists   = errors.New("checkpoint directory already holds a run")
	ErrCheckpointMismatch = errors.New("checkpoint was made with other settings")
	ErrNoCheckpoint       = errors.New("no checkpoint to resume")
	ErrCheckpointVersion  = errors.New("checkpoint was written by another version of trailsweep")
)

// manifestVersion is the layout of a checkpoint directory. Version 4
// writes parts in a binary form compressed with S2 (ckentry.go); version 3
// wrote them as JSON lines compressed with zstd, which cost a checkpointed
// scan a tenth more CPU; version 2 kept aggregate events as JSON (about
// 1.5 KB an event); version 1 did not keep them, so its runs cannot be
// resumed exactly.
const manifestVersion = 4

// partExt ends the name of a committed part.
const partExt = ".s2"

// Manifest describes a checkpointed run: what it scans (compared on
// resume), and its totals once finished.
type Manifest struct {
	Version   int      `json:"version"`
	Sources   []string `json:"sources"`
	Since     string   `json:"since"` // --since as given (it may be relative)
	Until     string   `json:"until"`
	Window    Window   `json:"window"` // the window it resolved to at the first run
	Accounts  []string `json:"accounts"`
	Regions   []string `json:"regions"`
	RulesHash string   `json:"rules_hash"`
	Output    string   `json:"output"`
	Format    string   `json:"format"`
	Raw       bool     `json:"raw"`
	// A shard of a sharded hunt: its spec (I/N) and its stage location.
	// Empty for an unsharded run without --stage.
	Shard    string    `json:"shard,omitempty"`
	Stage    string    `json:"stage,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	Complete bool      `json:"complete"` // every listed object was read or failed, and the output written
	Counts   Counts    `json:"counts"`   // totals over all runs, written when the output is
}

// Window is an event-time window; zero bounds are open.
type Window struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
}

// Counts are a checkpointed run's totals. They add up:
// listed = scanned + skipped + failed, read = evaluated + outside + malformed.
type Counts struct {
	Listed, Scanned, Skipped, Failed          int64
	Read, Evaluated, OutsideWindow, Malformed int64
	Findings                                  int64
}

// differences lists the settings of m that differ from old, for the
// refusal message.
func (m *Manifest) differences(old *Manifest) []string {
	var d []string
	diff := func(what string, a, b any) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			d = append(d, fmt.Sprintf("%s %s (was %s)", what, ja, jb))
		}
	}
	diff("sources", m.Sources, old.Sources)
	diff("--since", m.Since, old.Since)
	diff("--until", m.Until, old.Until)
	diff("--accounts", m.Accounts, old.Accounts)
	diff("--regions", m.Regions, old.Regions)
	diff("rule set", m.RulesHash, old.RulesHash)
	diff("--out", m.Output, old.Output)
	diff("--format", m.Format, old.Format)
	diff("--raw", m.Raw, old.Raw)
	diff("--shard", m.Shard, old.Shard)
	diff("--stage", m.Stage, old.Stage)
	return d
}

// RulesHash is a digest of everything in a rule set that decides its
// findings: each rule's whole definition (rule.Rule.Digest: its file's
// bytes, so an edit of a Sigma detection, a threshold or new_terms fields
// changes it), and the parsed settings that shape findings — id, name,
// source, type, language, query, severity, risk score, ATT&CK mapping,
// new_terms fields and history window, threshold, from/interval, overrides
// and whether it runs — for rules built without a definition.
func RulesHash(set *rule.Set) string {
	type ruleKey struct {
		ID, Name, Source, Type, Language, Query, Severity, Digest string
		RiskScore                                                 int
		Tactics, Techniques                                       []string
		NewTermsFields                                            []string
		HistoryWindowStart, From, Interval                        string
		TimestampOverride, EventCategoryOverride                  string
		Threshold                                                 *rule.Threshold
		Supported                                                 bool
	}
	var keys []ruleKey
	if set != nil {
		for _, r := range set.All() {
			keys = append(keys, ruleKey{r.ID, r.Name, r.Source, r.Type, r.Language, r.Query, r.Severity, r.Digest,
				r.RiskScore, r.Tactics(), r.Techniques(), r.NewTermsFields, r.HistoryWindowStart, r.From, r.Interval,
				r.TimestampOverride, r.EventCategoryOverride, r.Threshold, r.Supported})
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ID != keys[j].ID {
			return keys[i].ID < keys[j].ID
		}
		if keys[i].Query != keys[j].Query {
			return keys[i].Query < keys[j].Query
		}
		return keys[i].Digest < keys[j].Digest
	})
	b, _ := json.Marshal(keys)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// CheckpointOptions say how OpenCheckpoint treats an existing checkpoint.
type CheckpointOptions struct {
	Resume bool // continue the run in the directory
	Force  bool // with Resume: continue despite other settings; without: discard it and start over

	// A batch of objects is committed when it holds BatchObjects objects
	// or BatchBytes bytes, or BatchAge after its first object; defaults
	// 64, 8 MiB, 1s. The batch being filled and the part being written are
	// both held, compressed, on the heap, beside the budgeted state: with
	// 32 MiB batches they kept the heap at the collector's soft limit and
	// the collector ran two to three times as often.
	BatchObjects int
	BatchBytes   int
	BatchAge     time.Duration
}

// Checkpoint records a run's progress in a directory so that it can be
// resumed after a crash, and writes its output once every object is done.
//
// The directory holds manifest.json and parts/NNNNNNNN.s2. Each part is
// one commit batch: one entry per object read or failed (ckentry.go),
// holding its URI, ETag, counts, failure, all its findings and the events
// its records gave aggregate rules (new_terms, threshold, EQL sequences). A part is
// written under a temporary name, fsynced and renamed, so an object, its
// findings and its events are committed together or not at all. An object
// is done when its latest entry (the highest part) has its current ETag and
// no failure; resuming skips done objects and reads the rest, failed ones
// included. Finish combines the latest entry of each object into the
// output, so each finding appears exactly once whatever the number of runs,
// and decides the aggregate rules over the events of those same entries, so
// their findings are a clean run's. Aggregate findings are never stored in
// a part: they exist only in the output.
//
// A Checkpoint is a Sink (an ObjectSink) for one scan.Run; it is not safe
// for concurrent use, except Source's List, which only reads.
type Checkpoint struct {
	dir  string
	man  Manifest
	opts CheckpointOptions
	lock *lockfile.Lock // the directory's, held from OpenCheckpoint to Close

	done         map[string]string // URI → ETag of objects done in earlier runs
	resumed      atomic.Int64      // done objects listed again and skipped
	rulesChanged bool              // resumed with --force and another rule set
	next         int               // number of the next part

	latest map[string]pos // URI → its latest entry (part number, line)
	// After Start, committed findings go to out and aggregate events to
	// agg as they are committed; Finish reads only the parts of earlier
	// runs (numbered below started).
	out     report.Writer
	agg     *rule.Aggregator
	started int // first part of this run once Start was called; else max
	rc      report.RuleCounter
	stage   *Stage         // a shard's stage (StageTo): events go there, not to agg
	runSum  report.Summary // this run's committed objects, after Start

	// The current batch is compressed as objects are committed: each
	// entry is encoded (ckentry.go) and written to an S2 stream (zw) held
	// in memory (buf), so no batch is held uncompressed. A full batch is
	// written as a part by a goroutine of its own (the file written,
	// fsynced, renamed and the directory fsynced), so that the writer
	// goroutine, which every object's result goes through, never waits
	// for the disk; at most one part is being written while the next
	// fills, and Flush waits for it.
	pending []report.Finding // findings of the current object
	zw      *s2.Writer       // reused across parts
	buf     *bytes.Buffer    // the current batch, compressed
	spare   *bytes.Buffer    // the part being written, then free
	writing chan error       // the part being written: its result; nil if none
	size    int              // uncompressed bytes of the current batch
	body    []byte           // scratch: the current entry
	scratch []byte           // scratch: a finding's encoding
	evs     []byte           // scratch: the current object's encoded events
	objects int              // entries in the current batch
	opened  time.Time        // first entry of the current batch
}

var _ ObjectSink = (*Checkpoint)(nil)

// entry is one object's line in a part.
type entry struct {
	URI      string
	ETag     string
	Failure  *report.ObjectFailure
	BytesIn  int64
	BytesOut int64
	Records  report.RecordStats
	Findings []report.Finding
	Events   []byte // appendEvents
}

// OpenCheckpoint opens dir for the run m describes, holding its lock
// (dir/lock) until Close: a directory another run holds is refused
// (lockfile.ErrLocked, naming the holder). A directory without a
// manifest starts a new run (ErrNoCheckpoint with Resume). A directory
// holding a run is refused (ErrCheckpointExists) unless Resume, which
// continues it, or Force, which discards it. Resuming with other sources,
// window, filters, rules or output is refused (ErrCheckpointMismatch,
// listing the differences) unless Force. When --since and --until are given
// as before, the window is the one the first run resolved them to (a
// relative "90d" does not move): read it back from Manifest.
func OpenCheckpoint(dir string, m Manifest, opts CheckpointOptions) (*Checkpoint, error) {
	if opts.BatchObjects <= 0 {
		opts.BatchObjects = 64
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 8 << 20
	}
	if opts.BatchAge <= 0 {
		opts.BatchAge = time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	lock, err := lockfile.Acquire(filepath.Join(dir, "lock"))
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	c := &Checkpoint{dir: dir, opts: opts, done: map[string]string{}, next: 1, lock: lock,
		latest: map[string]pos{}, started: math.MaxInt}
	c, err = c.open(m)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return c, nil
}

func (c *Checkpoint) open(m Manifest) (*Checkpoint, error) {
	dir, opts := c.dir, c.opts
	old, err := readManifest(dir)
	if errors.Is(err, ErrCheckpointVersion) && opts.Force && !opts.Resume {
		old, err = &Manifest{}, nil // discarded below
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if opts.Resume {
			return nil, fmt.Errorf("%w in %s", ErrNoCheckpoint, dir)
		}
	case err != nil:
		return nil, err
	case !opts.Resume && !opts.Force:
		return nil, fmt.Errorf("%w: %s (--resume continues it, --force discards it)", ErrCheckpointExists, dir)
	case !opts.Resume:
		if err := os.RemoveAll(filepath.Join(dir, "parts")); err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
	default:
		if d := m.differences(old); len(d) > 0 && !opts.Force {
			return nil, fmt.Errorf("%w: %s; --force resumes anyway", ErrCheckpointMismatch, strings.Join(d, ", "))
		}
		c.rulesChanged = m.RulesHash != old.RulesHash
		if m.Since == old.Since && m.Until == old.Until {
			m.Window = old.Window
		}
		m.Created = old.Created
	}
	if m.Created.IsZero() {
		m.Created = time.Now().UTC()
	}
	m.Version = manifestVersion
	m.Complete = false
	m.Counts = Counts{}
	c.man = m
	if err := os.MkdirAll(filepath.Join(dir, "parts"), 0o700); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err := c.writeManifest(); err != nil {
		return nil, err
	}
	parts, err := c.parts()
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		line := 0
		if err := readPart(p.path, true, func(e *entry) error {
			c.latest[e.URI] = pos{p.n, line}
			line++
			if e.Failure == nil {
				c.done[e.URI] = e.ETag
			} else {
				delete(c.done, e.URI)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		c.next = p.n + 1
	}
	return c, nil
}

// Manifest returns the run's manifest; its Window is the window to scan.
func (c *Checkpoint) Manifest() Manifest { return c.man }

// Done returns the number of objects done in earlier runs.
func (c *Checkpoint) Done() int { return len(c.done) }

// RulesChanged reports whether the run was resumed (forced) with another
// rule set than its earlier runs: objects done before keep the findings and
// aggregate events of the rules they were read with.
func (c *Checkpoint) RulesChanged() bool { return c.rulesChanged }

// Resumed returns the number of objects listed and skipped so far because
// an earlier run had read them.
func (c *Checkpoint) Resumed() int64 { return c.resumed.Load() }

// Source returns s without the objects done in earlier runs (same URI and
// ETag): they are neither fetched nor handed to the scan.
func (c *Checkpoint) Source(s reader.Source) reader.Source {
	return &resumeSource{Source: s, c: c}
}

type resumeSource struct {
	reader.Source
	c *Checkpoint
}

func (r *resumeSource) List(ctx context.Context, f reader.Filter, fn func(reader.Object) error) error {
	return r.Source.List(ctx, f, func(o reader.Object) error {
		if etag, ok := r.c.done[o.URI]; ok && o.Skip == "" && o.Err == nil && etag == o.ETag {
			r.c.resumed.Add(1)
			return nil
		}
		return fn(o)
	})
}

// Write holds f until its object is committed.
func (c *Checkpoint) Write(f *report.Finding) error {
	c.pending = append(c.pending, *f)
	return nil
}

// Object adds the object and the findings written since the previous
// Object to the current batch, and commits the batch when it is full. It
// returns the error of a part that could not be written.
func (c *Checkpoint) Object(r ObjectResult) error {
	defer func() { c.pending = c.pending[:0] }()
	select {
	case err := <-c.writing: // nil while none is being written: never ready
		c.writing = nil
		if err != nil {
			return err
		}
	default:
	}
	if c.objects == 0 {
		c.openBatch()
	}
	c.evs = appendEvents(c.evs[:0], r.Events)
	e := entry{URI: r.Object.URI, ETag: r.Object.ETag, Failure: r.Failure, BytesIn: r.BytesIn,
		BytesOut: r.BytesOut, Records: r.Records, Findings: c.pending, Events: c.evs}
	c.body, c.scratch = appendEntry(c.body[:0], &e, c.scratch)
	n := len(c.body)
	c.body = binary.AppendUvarint(c.body, uint64(n)) // the length, written first
	if _, err := c.zw.Write(c.body[n:]); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if _, err := c.zw.Write(c.body[:n]); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	c.size += len(c.body)
	c.latest[e.URI] = pos{c.next, c.objects}
	c.objects++
	if c.out != nil {
		if err := c.tee(&r); err != nil {
			return err
		}
	}
	if c.objects >= c.opts.BatchObjects || c.size >= c.opts.BatchBytes || time.Since(c.opened) >= c.opts.BatchAge {
		return c.commit()
	}
	return nil
}

// openBatch starts the S2 stream of the next batch.
func (c *Checkpoint) openBatch() {
	if c.zw == nil {
		c.buf, c.spare = new(bytes.Buffer), new(bytes.Buffer)
		c.zw = s2.NewWriter(nil, s2.WriterConcurrency(1))
	}
	c.buf.Reset()
	c.zw.Reset(c.buf)
	c.size = 0
	c.opened = time.Now()
}

// commit ends the current batch's stream and has it written as the next
// part, once the part being written, if any, is done.
func (c *Checkpoint) commit() error {
	if c.objects == 0 {
		return nil
	}
	if err := c.wait(); err != nil {
		return err
	}
	name := filepath.Join(c.dir, "parts", fmt.Sprintf("%08d", c.next)+partExt)
	c.next++
	c.objects = 0
	if err := c.zw.Close(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	b := c.buf
	c.buf, c.spare = c.spare, c.buf
	done := make(chan error, 1)
	c.writing = done
	go func() { done <- writeFile(name, b.Bytes()) }()
	return nil
}

// wait waits for the part being written, if any, and returns its error.
func (c *Checkpoint) wait() error {
	if c.writing == nil {
		return nil
	}
	err := <-c.writing
	c.writing = nil
	return err
}

// Start sends what this run commits from now on to the output as it is
// committed: findings to w, aggregate events to agg, counts to Finish's
// summary. Finish then reads only the parts of earlier runs: the run pays
// no second pass over its own parts. w must be the writer Finish gets, and
// be aborted unless Finish succeeds; agg the Aggregator it gets (not nil).
func (c *Checkpoint) Start(w report.Writer, agg *rule.Aggregator) {
	c.out, c.agg, c.started = w, agg, c.next
}

// StageTo makes the checkpoint a shard's: instead of deciding the
// aggregate rules, it hands every object's aggregate events to stage (this
// run's as they are committed after Start, earlier runs' in Finish), as a
// clean shard run hands its own to its Stage, and Finish writes no
// aggregate finding. Findings still go to the writer of Start and Finish
// only. Call it before Start.
func (c *Checkpoint) StageTo(stage *Stage) { c.stage = stage }

// tee writes the pending findings and r's events to the output and counts r.
func (c *Checkpoint) tee(r *ObjectResult) error {
	for i := range c.pending {
		if err := c.out.Write(&c.pending[i]); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
		c.rc.Add(&c.pending[i])
	}
	if c.stage != nil {
		if err := c.stage.Object(ObjectResult{Object: r.Object, Events: r.Events}); err != nil {
			return err
		}
	} else {
		for i := range r.Events {
			if err := c.agg.Add(&r.Events[i]); err != nil {
				return fmt.Errorf("aggregate rules: %w", err)
			}
		}
	}
	c.runSum.AddObject(r.Failure, r.BytesIn, r.BytesOut, r.Records)
	return nil
}

// Flush commits the current batch, if any, as the next part, and returns
// once every part is written (file, fsync, rename, fsync of the
// directory), with the error of one that could not be.
func (c *Checkpoint) Flush() error {
	if err := c.commit(); err != nil {
		return err
	}
	return c.wait()
}

// Finish commits the current batch, writes the latest entry's findings of
// every object to w (each exactly once), adds the same entries' aggregate
// events to agg and writes the aggregate findings it decides, and returns
// the summary of the whole run, over all its resumptions: run is this run's
// summary (its sources, rules, window, duration and skipped objects are
// kept; the object, record and finding counts become totals). It marks the
// manifest complete with the totals. w is not closed.
//
// agg may already hold events (a --history span read before the scan);
// nil: a fresh Aggregator whose history starts at the window's Since, as
// Run's. rules resolves the stored events' rule ids; events of rules it
// lacks (a resume forced with other rules) are dropped.
func (c *Checkpoint) Finish(w report.Writer, run *report.Summary, rules *rule.Set, agg *rule.Aggregator) (*report.Summary, error) {
	if err := c.Flush(); err != nil {
		return nil, err
	}
	if len(c.pending) > 0 {
		return nil, fmt.Errorf("checkpoint: %d findings written after the last object", len(c.pending))
	}
	if c.out != nil && (w != c.out || agg != c.agg) {
		return nil, errors.New("checkpoint: Finish with another writer or aggregator than Start's")
	}
	if agg == nil && c.stage == nil {
		agg = rule.NewAggregator(rule.AggOptions{Start: c.man.Window.Since})
	}
	byID := aggregateRules(rules)
	parts, err := c.parts()
	if err != nil {
		return nil, err
	}
	sum := *run
	sum.Objects.Skipped = maps.Clone(run.Objects.Skipped)
	if sum.Objects.Skipped == nil {
		sum.Objects.Skipped = map[string]int64{}
	}
	// This run's objects (after Start) are already in the output.
	sum.Objects.Scanned, sum.Objects.Failed = c.runSum.Objects.Scanned, c.runSum.Objects.Failed
	sum.Failures = slices.Clone(c.runSum.Failures)
	sum.Records = report.RecordStats{}
	sum.Records.Add(c.runSum.Records)
	sum.BytesCompressed, sum.BytesRead = c.runSum.BytesCompressed, c.runSum.BytesRead
	rc := c.rc
	for _, p := range parts {
		if p.n >= c.started {
			break
		}
		line := 0
		if err := readPart(p.path, false, func(e *entry) error {
			defer func() { line++ }()
			if c.latest[e.URI] != (pos{p.n, line}) {
				return nil
			}
			sum.AddObject(e.Failure, e.BytesIn, e.BytesOut, e.Records)
			for j := range e.Findings {
				if err := w.Write(&e.Findings[j]); err != nil {
					return fmt.Errorf("write findings: %w", err)
				}
				rc.Add(&e.Findings[j])
			}
			if c.stage != nil && !c.rulesChanged {
				// The stored encoding is the stage's: staged as it is.
				return c.stage.encoded(e.URI, e.Events)
			}
			evs, err := decodeEvents(e.Events, e.URI, byID)
			if err != nil {
				return fmt.Errorf("checkpoint %s: %s: %w", p.path, e.URI, err)
			}
			if c.stage != nil {
				if len(evs) == 0 {
					return nil
				}
				return c.stage.Object(ObjectResult{Object: reader.Object{URI: e.URI, ETag: e.ETag}, Events: evs})
			}
			for j := range evs {
				if err := agg.Add(&evs[j]); err != nil {
					return fmt.Errorf("aggregate rules: %w", err)
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if c.stage != nil {
		// A shard: reduce decides the aggregate rules over every
		// shard's staged events.
		return c.complete(&sum, run, rc)
	}
	// The aggregate rules, decided once over every object's events.
	sum.NewTerms = historySpans(agg)
	if err := agg.Flush(func(d *rule.Decision) error {
		f, err := decisionFinding(d)
		if err != nil {
			return err
		}
		if err := w.Write(&f); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
		rc.Add(&f)
		return nil
	}); err != nil {
		return nil, err
	}
	sum.Spilled.Runs, sum.Spilled.Bytes = agg.Spilt()
	return c.complete(&sum, run, rc)
}

// complete ends Finish: the whole run's totals in sum, and the manifest
// marked complete with them.
func (c *Checkpoint) complete(s *report.Summary, run *report.Summary, rc report.RuleCounter) (*report.Summary, error) {
	sum := *s
	if !run.Started.IsZero() {
		sum.Duration = time.Since(run.Started) // the assembly counts
	}
	sort.Slice(sum.Failures, func(i, j int) bool { return sum.Failures[i].URI < sum.Failures[j].URI })
	sum.Objects.Listed = sum.Objects.Scanned + sum.Objects.Failed + sum.Objects.SkippedTotal()
	sum.Findings = rc.Total()
	sum.FindingsByRule = rc.Counts()

	c.man.Complete = true
	c.man.Counts = Counts{
		Listed: sum.Objects.Listed, Scanned: sum.Objects.Scanned, Skipped: sum.Objects.SkippedTotal(), Failed: sum.Objects.Failed,
		Read: sum.Records.Read, Evaluated: sum.Records.Evaluated, OutsideWindow: sum.Records.OutsideWindow, Malformed: sum.Records.Malformed,
		Findings: sum.Findings,
	}
	if err := c.writeManifest(); err != nil {
		return nil, err
	}
	return &sum, nil
}

type part struct {
	n    int
	path string
}

// pos is an entry's place: part number and line.
type pos struct{ part, line int }

// parts returns the committed parts in order, removing leftovers of a
// commit that was interrupted.
func (c *Checkpoint) parts() ([]part, error) { return listParts(c.dir, true) }

// listParts returns the committed parts of the checkpoint in dir, in
// order; with clean, it removes leftovers of a commit that was interrupted.
func listParts(dir string, clean bool) ([]part, error) {
	dir = filepath.Join(dir, "parts")
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var ps []part
	for _, de := range des {
		name := de.Name()
		if atomicfile.IsTemp(name, "") || strings.HasSuffix(name, ".tmp") {
			if clean {
				_ = os.Remove(filepath.Join(dir, name))
			}
			continue
		}
		var n int
		if _, err := fmt.Sscanf(name, "%08d"+partExt, &n); err != nil || fmt.Sprintf("%08d", n)+partExt != name {
			continue
		}
		ps = append(ps, part{n, filepath.Join(dir, name)})
	}
	slices.SortFunc(ps, func(a, b part) int { return a.n - b.n })
	return ps, nil
}

func readManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("checkpoint %s: manifest: %w", dir, err)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("%w: %s has format %d, this trailsweep reads format %d (format 1 lacks the state of aggregate rules, format 2 kept it as JSON and uncompressed, format 3 wrote JSON lines); --force without --resume starts over",
			ErrCheckpointVersion, dir, m.Version, manifestVersion)
	}
	return &m, nil
}

func (c *Checkpoint) writeManifest() error {
	c.man.Updated = time.Now().UTC()
	b, err := json.MarshalIndent(&c.man, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(c.dir, "manifest.json"), append(b, '\n'))
}

// writeFile writes a checkpoint file atomically, readable by its owner only:
// it holds findings and raw records.
func writeFile(name string, b []byte) error {
	if err := atomicfile.Write(name, b, 0o600); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Close waits for the part being written, if any, and releases the
// checkpoint directory's lock; a batch not flushed is not committed. It
// does nothing on a nil Checkpoint.
func (c *Checkpoint) Close() error {
	if c == nil {
		return nil
	}
	_ = c.wait() // a part being written: written or removed
	return c.lock.Release()
}
