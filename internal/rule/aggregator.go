package rule

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailsweep/trailsweep/internal/binenc"
	"github.com/trailsweep/trailsweep/internal/extsort"
)

// DefaultAggMemory is what an Aggregator keeps in memory when AggOptions
// does not say.
const DefaultAggMemory = 32 << 20

// minPartMemory is the least share of the events' memory that a default
// worker (AggOptions.Workers 0) gets: a sort merges as many runs at once
// as half its budget holds (extsort.MaxFanIn at most), so smaller shares
// would take more merge passes over what spilt, each rewriting it all.
const minPartMemory = 4 << 20

// AggOptions describe the scan an Aggregator decides over.
type AggOptions struct {
	// Start is where history begins: the scan's --since, or the start of a
	// separate history span. Zero: the earliest event seen. A new_terms
	// event is judged only when a whole history window lies between Start
	// and it.
	Start time.Time
	// HistorySource names where history came from in findings' details:
	// "scan" (the first history window of the scanned period) by default.
	HistorySource string
	// Dir is the work directory that events and findings spill to when
	// they do not fit in Memory; "" is the OS temporary directory.
	Dir string
	// Memory bounds the bytes of events (while adding) and of findings
	// (while deciding) held in memory; 0 is DefaultAggMemory.
	Memory int
	// Workers is how many goroutines Flush decides on, each over its share
	// of the groups and of the events' memory; 0 is GOMAXPROCS, but no more
	// than leave each minPartMemory. The decisions do not depend on it.
	Workers int
}

// Aggregator collects the events of aggregate rules and decides, after the
// scan, which become findings. Its result does not depend on the order in
// which events arrive.
//
// Events are encoded into external sorts (internal/extsort) keyed by rule,
// group (term combination, threshold group, sequence join key), time and
// position, so that memory stays within AggOptions.Memory whatever the
// span or the number of distinct values: what does not fit spills to sorted
// runs in AggOptions.Dir. A group's events all go to one of
// AggOptions.Workers sorts (by a hash of rule and group), and Flush walks
// each sort on a goroutine of its own, once, group by group, each in time
// order, holding only one group's state: a new_terms combination's latest
// time, a threshold group's segments within one window, a sequence key's
// partial sequences. It is not safe for concurrent use: the scan's writer
// goroutine owns it.
type Aggregator struct {
	opts     AggOptions
	earliest time.Time
	index    map[*Rule]uint32
	rules    []*Rule
	newTerms map[*Rule]bool    // new_terms rules that saw an event
	parts    []*extsort.Sorter // events, a share of the groups each (part)
	key, val []byte

	// Payloads go to a file of their own, in arrival order, and events
	// carry where (payloadRef): the sort then moves a few dozen bytes an
	// event rather than a finding of a few KB, and only the payloads of
	// decisions are read back.
	// Up to a quarter of Memory they stay in memory (pmem).
	pmem     []byte
	payloads *os.File
	pw       *bufio.Writer
	poff     int64
	pfile    bool // payloads went to a file

	decisionRuns  int // spilt by Flush's sort of the decisions
	decisionBytes int64
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(opts AggOptions) *Aggregator {
	if opts.HistorySource == "" {
		opts.HistorySource = "scan"
	}
	if opts.Dir == "" {
		opts.Dir = os.TempDir()
	}
	if opts.Memory <= 0 {
		opts.Memory = DefaultAggMemory
	}
	// The events share three quarters of the budget, the payloads the rest.
	events := opts.Memory - opts.Memory/4
	if opts.Workers <= 0 {
		opts.Workers = max(1, min(runtime.GOMAXPROCS(0), events/minPartMemory))
	}
	a := &Aggregator{
		opts:     opts,
		index:    map[*Rule]uint32{},
		newTerms: map[*Rule]bool{},
	}
	budget := events / opts.Workers
	for range opts.Workers {
		a.parts = append(a.parts, extsort.New(opts.Dir, "trailsweep-events", budget))
	}
	return a
}

// part returns the sort that takes the events of the group whose key
// (rule index and group key, as Add encodes them) is group: an FNV-1a hash
// of it, so that every part gets a share of the groups of each rule.
func (a *Aggregator) part(group []byte) *extsort.Sorter {
	if len(a.parts) == 1 {
		return a.parts[0]
	}
	h := uint32(2166136261)
	for _, c := range group {
		h = (h ^ uint32(c)) * 16777619
	}
	return a.parts[h%uint32(len(a.parts))]
}

// Spilt reports how many sorted runs the Aggregator's events and decisions
// spilled to the work directory, and the bytes they held before compression.
func (a *Aggregator) Spilt() (runs int, bytes int64) {
	runs, bytes = a.decisionRuns, a.decisionBytes
	for _, p := range a.parts {
		runs, bytes = runs+p.Runs(), bytes+p.SpiltBytes()
	}
	if a.payloads != nil || a.pfile {
		runs, bytes = runs+1, bytes+a.poff
	}
	return runs, bytes
}

// Close removes what the Aggregator spilled. Flush closes it too.
func (a *Aggregator) Close() error {
	var err error
	for _, p := range a.parts {
		if cerr := p.Close(); err == nil {
			err = cerr
		}
	}
	if a.payloads != nil {
		a.payloads.Close()
		if rerr := os.Remove(a.payloads.Name()); err == nil && rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("%w: %w", extsort.ErrSpill, rerr)
		}
		a.payloads, a.pw = nil, nil
	}
	return err
}

// payloadRef is where a payload lies among the Aggregator's payloads; ok
// is false for none.
type payloadRef struct {
	off, n int64
	ok     bool
}

// storePayload appends p to the payloads and returns where it is: in
// memory while they fit a quarter of the budget, then in a file of the
// work directory that takes them all.
func (a *Aggregator) storePayload(p []byte) (payloadRef, error) {
	ref := payloadRef{off: a.poff, n: int64(len(p)), ok: true}
	a.poff += ref.n
	if a.payloads == nil && len(a.pmem)+len(p) <= a.opts.Memory/4 {
		a.pmem = append(a.pmem, p...)
		return ref, nil
	}
	if a.payloads == nil {
		f, err := os.CreateTemp(a.opts.Dir, "trailsweep-payloads-*")
		if err != nil {
			return payloadRef{}, fmt.Errorf("%w: %w", extsort.ErrSpill, err)
		}
		a.payloads, a.pw, a.pfile = f, bufio.NewWriterSize(f, 64<<10), true
		if _, err := a.pw.Write(a.pmem); err != nil {
			return ref, fmt.Errorf("%w: %w", extsort.ErrSpill, err)
		}
		a.pmem = nil
	}
	if _, err := a.pw.Write(p); err != nil {
		return ref, fmt.Errorf("%w: %w", extsort.ErrSpill, err)
	}
	return ref, nil
}

// readPayload reads back what storePayload stored at ref.
func (a *Aggregator) readPayload(ref payloadRef) ([]byte, error) {
	if a.payloads == nil {
		if ref.off < 0 || ref.n < 0 || ref.off+ref.n > int64(len(a.pmem)) {
			return nil, fmt.Errorf("aggregate state: %w", extsort.ErrBadKey)
		}
		return bytes.Clone(a.pmem[ref.off : ref.off+ref.n : ref.off+ref.n]), nil
	}
	b := make([]byte, ref.n)
	if _, err := a.payloads.ReadAt(b, ref.off); err != nil {
		return nil, fmt.Errorf("%w: %w", extsort.ErrSpill, err)
	}
	return b, nil
}

// Add takes one event. It fails only when its state cannot spill to the
// work directory (extsort.ErrSpill).
func (a *Aggregator) Add(e *Event) error {
	if a.earliest.IsZero() || e.Time.Before(a.earliest) {
		a.earliest = e.Time
	}
	idx, ok := a.index[e.Rule]
	if !ok {
		idx = uint32(len(a.rules))
		a.index[e.Rule] = idx
		a.rules = append(a.rules, e.Rule)
	}
	if e.Rule.agg.kind == aggNewTerms {
		a.newTerms[e.Rule] = true
	}
	// The key orders events as before does within one rule and group.
	k := binary.BigEndian.AppendUint32(a.key[:0], idx)
	for _, s := range e.Key {
		k = extsort.AppendString(k, s)
	}
	part := a.part(k)
	k = extsort.AppendTime(k, e.Time)
	k = extsort.AppendString(k, e.Source)
	k = extsort.AppendInt64(k, e.Index)
	if e.History {
		k = append(k, 0)
	} else {
		k = append(k, 1)
	}
	v := binenc.AppendStrings(a.val[:0], e.Card)
	v = binary.AppendUvarint(v, e.Steps)
	v = binenc.AppendString(v, e.ID)
	if e.Payload == nil { // nil and empty apart
		v = append(v, 0)
	} else {
		ref, err := a.storePayload(e.Payload)
		if err != nil {
			return err
		}
		v = append(v, 1)
		v = binary.AppendVarint(v, ref.off)
		v = binary.AppendVarint(v, ref.n)
	}
	a.key, a.val = k, v
	return part.Add(k, v)
}

// aggEvent is an event as Flush reads it back.
type aggEvent struct {
	time    time.Time
	uri     string
	index   int64
	history bool
	card    []string
	steps   uint64
	id      string     // Event.ID
	payload payloadRef // where Event.Payload is
}

// before orders events by time, then by where they were read, history
// first: the order of the sorted events within a group.
func (e *aggEvent) before(o *aggEvent) bool {
	if !e.time.Equal(o.time) {
		return e.time.Before(o.time)
	}
	if e.uri != o.uri {
		return e.uri < o.uri
	}
	if e.index != o.index {
		return e.index < o.index
	}
	return e.history && !o.history
}

// kept returns e to keep beyond the next event: Flush's events share the
// sort's buffer until the next one (only their card does now: strings).
func (e aggEvent) kept() aggEvent { return e }

// Decision is an aggregate rule's verdict: the event at which it fires,
// with its payload, and why (Details, compact JSON: the new terms and the
// history span, the threshold group, count and window, the sequence's
// events).
type Decision struct {
	Rule    *Rule
	Time    time.Time
	Source  string
	Index   int64
	Payload []byte
	Details string

	payload payloadRef // where Payload is, until Flush reads it
}

// decide returns the Decision of r at e.
func (e *aggEvent) decide(r *Rule, details string) *Decision {
	return &Decision{Rule: r, Time: e.time, Source: e.uri, Index: e.index, Details: details, payload: e.payload}
}

// decodeEvent reads an event back from the rest of its key (after the
// group) and its value.
func decodeEvent(rest, val []byte) (aggEvent, error) {
	var e aggEvent
	var err error
	if e.time, rest, err = extsort.ReadTime(rest); err != nil {
		return e, err
	}
	if e.uri, rest, err = extsort.ReadString(rest); err != nil {
		return e, err
	}
	if e.index, rest, err = extsort.ReadInt64(rest); err != nil {
		return e, err
	}
	if len(rest) != 1 {
		return e, extsort.ErrBadKey
	}
	e.history = rest[0] == 0
	d := binenc.NewReader(val)
	e.card = d.Strings()
	e.steps = d.Uvarint()
	e.id = d.String()
	if d.Byte() == 1 {
		e.payload.off, e.payload.n, e.payload.ok = d.Varint(), d.Varint(), true
	}
	if d.Bad() || d.Len() != 0 {
		return e, extsort.ErrBadKey
	}
	return e, nil
}

// groupState decides one group (rule and key) from its events in order.
type groupState interface {
	add(e *aggEvent) error
	finish() error
}

// Flush decides every aggregate rule and hands emit the decisions, sorted
// by time, rule id, source, index and details (then by the order in which
// the rules first had events). It decides the parts of the groups on
// goroutines of their own; the decisions, too, go through an external sort
// within the memory budget. It closes the Aggregator.
func (a *Aggregator) Flush(emit func(*Decision) error) (err error) {
	defer func() {
		if cerr := a.Close(); err == nil {
			err = cerr
		}
	}()
	if a.pw != nil {
		if err := a.pw.Flush(); err != nil {
			return fmt.Errorf("%w: %w", extsort.ErrSpill, err)
		}
	}
	// The events' merges and the decisions share the budget.
	out := extsort.New(a.opts.Dir, "trailsweep-decisions", a.opts.Memory/2)
	defer func() {
		a.decisionRuns, a.decisionBytes = out.Runs(), out.SpiltBytes()
		out.Close()
	}()
	var (
		mu     sync.Mutex // out, dk, dv
		dk, dv []byte
	)
	put := func(d *Decision) error {
		if d.Payload == nil && d.payload.ok {
			p, err := a.readPayload(d.payload)
			if err != nil {
				return err
			}
			d.Payload = p
		}
		mu.Lock()
		defer mu.Unlock()
		dk = extsort.AppendTime(dk[:0], d.Time)
		dk = extsort.AppendString(dk, d.Rule.ID)
		dk = extsort.AppendString(dk, d.Source)
		dk = extsort.AppendInt64(dk, d.Index)
		dk = extsort.AppendString(dk, d.Details)
		// Decisions that are equal so far come in the order of their
		// rules, whichever part decided them first.
		dk = binary.BigEndian.AppendUint32(dk, a.index[d.Rule])
		dv = binary.BigEndian.AppendUint32(dv[:0], a.index[d.Rule])
		if d.Payload != nil {
			dv = append(dv, 1)
			dv = append(dv, d.Payload...)
		} else {
			dv = append(dv, 0)
		}
		return out.Add(dk, dv)
	}

	// History starts at the earliest event of all parts.
	start := a.opts.Start
	if start.IsZero() {
		start = a.earliest
	}
	eg, ctx := errgroup.WithContext(context.Background())
	for _, p := range a.parts {
		eg.Go(func() error { return a.decide(ctx, p, start, put) })
	}
	if err := eg.Wait(); err != nil {
		return err
	}

	dit, err := out.Iter()
	if err != nil {
		return err
	}
	defer dit.Close()
	for dit.Next() {
		d, err := a.readDecision(dit.Key(), dit.Value())
		if err != nil {
			return fmt.Errorf("aggregate decisions: %w", err)
		}
		if err := emit(&d); err != nil {
			return err
		}
	}
	return dit.Err()
}

// decide walks the sorted events of one part group by group and hands put
// the decisions of each. It stops early, with no error, once ctx is done
// (another part failed).
func (a *Aggregator) decide(ctx context.Context, events *extsort.Sorter, start time.Time, put func(*Decision) error) (err error) {
	it, err := events.Iter()
	if err != nil {
		return err
	}
	defer it.Close()
	var (
		prefix []byte // rule index and group key of the current group
		g      groupState
	)
	for it.Next() {
		k := it.Key()
		if len(k) < 4 || int(binary.BigEndian.Uint32(k)) >= len(a.rules) {
			return fmt.Errorf("aggregate state: %w", extsort.ErrBadKey)
		}
		r := a.rules[binary.BigEndian.Uint32(k)]
		rest := k[4:]
		nkeys := r.agg.nkeys()
		for range nkeys {
			if rest, err = extsort.SkipString(rest); err != nil {
				return fmt.Errorf("aggregate state: %w", err)
			}
		}
		if p := k[:len(k)-len(rest)]; g == nil || !bytes.Equal(p, prefix) {
			if g != nil {
				if err := g.finish(); err != nil {
					return err
				}
			}
			if ctx.Err() != nil {
				return nil
			}
			prefix = append(prefix[:0], p...)
			key := make([]string, 0, nkeys)
			for p = p[4:]; len(key) < nkeys; {
				var s string
				s, p, _ = extsort.ReadString(p)
				key = append(key, s)
			}
			g = a.newGroup(r, key, start, put)
		}
		e, err := decodeEvent(rest, it.Value())
		if err != nil {
			return fmt.Errorf("aggregate state: %w", err)
		}
		if err := g.add(&e); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if g != nil {
		return g.finish()
	}
	return nil
}

// readDecision reads back a decision from its key and value in Flush's
// sort. Its payload is valid until the next.
func (a *Aggregator) readDecision(k, v []byte) (Decision, error) {
	var d Decision
	var err error
	if d.Time, k, err = extsort.ReadTime(k); err != nil {
		return d, err
	}
	if k, err = extsort.SkipString(k); err != nil { // the rule id
		return d, err
	}
	if d.Source, k, err = extsort.ReadString(k); err != nil {
		return d, err
	}
	if d.Index, k, err = extsort.ReadInt64(k); err != nil {
		return d, err
	}
	if d.Details, _, err = extsort.ReadString(k); err != nil {
		return d, err
	}
	if len(v) < 5 || int(binary.BigEndian.Uint32(v)) >= len(a.rules) {
		return d, extsort.ErrBadKey
	}
	d.Rule = a.rules[binary.BigEndian.Uint32(v)]
	if v[4] == 1 {
		d.Payload = v[5:]
	}
	return d, nil
}

func (a *Aggregator) newGroup(r *Rule, key []string, start time.Time, put func(*Decision) error) groupState {
	switch r.agg.kind {
	case aggNewTerms:
		return &ntGroup{r: r, key: key, judgeFrom: start.Add(r.agg.window), source: a.opts.HistorySource, put: put}
	case aggThreshold:
		return &thGroup{r: r, key: key, cut: math.MinInt64, put: put}
	case aggESQL:
		return &esqlGroup{r: r, key: key, put: put}
	default:
		return &seqGroup{r: r, key: key, state: make([]*partial, len(r.agg.steps)), put: put}
	}
}

func details(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// HistorySpan is, for a new_terms rule, the span that only built its
// history and the time from which its events were judged.
type HistorySpan struct {
	Rule          *Rule
	Source        string // where history came from (AggOptions.HistorySource)
	HistoryFrom   time.Time
	DetectionFrom time.Time
}

// HistorySpans returns the HistorySpan of each new_terms rule that saw
// events (the same bounds Flush applies), sorted by rule source and id.
func (a *Aggregator) HistorySpans() []HistorySpan {
	start := a.opts.Start
	if start.IsZero() {
		start = a.earliest
	}
	var out []HistorySpan
	for r := range a.newTerms {
		out = append(out, HistorySpan{Rule: r, Source: a.opts.HistorySource, HistoryFrom: start, DetectionFrom: start.Add(r.agg.window)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rule.Source != out[j].Rule.Source {
			return out[i].Rule.Source < out[j].Rule.Source
		}
		return out[i].Rule.ID < out[j].Rule.ID
	})
	return out
}

// ntGroup decides one new_terms term combination: an event is new when no
// event of the combination lies in the history window before it (the
// previous one in time order is more than a window earlier), it is not a
// history event, and a whole history window of data lies before it.
type ntGroup struct {
	r         *Rule
	key       []string
	judgeFrom time.Time
	source    string
	put       func(*Decision) error
	prev      time.Time
	seen      bool
}

func (g *ntGroup) add(e *aggEvent) error {
	fresh := !g.seen || e.time.Sub(g.prev) > g.r.agg.window
	g.prev, g.seen = e.time, true
	if !fresh || e.history || e.time.Before(g.judgeFrom) {
		return nil
	}
	terms := map[string]string{}
	for i, fl := range g.r.agg.fields {
		terms[fl.Name] = g.key[i]
	}
	return g.put(e.decide(g.r, details(map[string]any{
		"new_terms": terms,
		"history": map[string]string{
			"start":  rfc(e.time.Add(-g.r.agg.window)),
			"end":    rfc(e.time),
			"source": g.source,
		},
		"detection_from": rfc(g.judgeFrom),
	})))
}

func (g *ntGroup) finish() error { return nil }
