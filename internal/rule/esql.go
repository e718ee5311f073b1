package rule

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/eql"
	"github.com/trailsweep/trailsweep/internal/esql"
	"github.com/trailsweep/trailsweep/internal/query"
)

// aggESQL is the aggregate kind of every ES|QL rule: its query runs once
// per emulated Kibana execution (see esqlGroup).
const aggESQL = "esql"

// esqlMatcher selects the records that get past an ES|QL query's commands
// before STATS (the whole query when it has none).
type esqlMatcher struct {
	p    *esql.Program
	spec *aggSpec
	ts   ecs.Field
	pool sync.Pool // *prefixRows, released
}

func (m *esqlMatcher) Match(d query.Doc) bool {
	var now time.Time
	if m.p.UsesNow() {
		now = m.spec.nowFor(recordTime(d, m.ts))
	}
	rows := m.p.Prefix(d, now)
	if md, ok := d.(stashDoc); ok && len(rows) > 0 {
		pr, _ := m.pool.Get().(*prefixRows)
		if pr == nil {
			pr = &prefixRows{m: m}
		}
		pr.now, pr.rows = now, rows
		md.Stash(m, pr)
	}
	return len(rows) > 0
}

// stashDoc is a Doc that keeps what its readers derive from the current
// record (ecs.Record): the rows a match computed, which the rule's events
// of the same record read again.
type stashDoc interface {
	Stashed(key any) (any, bool)
	Stash(key, val any)
}

// prefixRows are the rows the commands before STATS gave a record with
// NOW() = now.
type prefixRows struct {
	m    *esqlMatcher
	now  time.Time
	rows []*esql.Row
}

// Release lets the next records reuse the rows' storage, and pr, once the
// record is gone (ecs.Record.Stash): its events are made by then, and they
// copy what they keep.
func (pr *prefixRows) Release() {
	pr.m.p.Release(pr.rows)
	pr.rows = nil
	pr.m.pool.Put(pr)
}

// prefix returns Prefix(d, now), computed by Match for the same record
// when d remembers it.
func (m *esqlMatcher) prefix(d query.Doc, now time.Time) []*esql.Row {
	if md, ok := d.(stashDoc); ok {
		if v, ok := md.Stashed(m); ok {
			if pr := v.(*prefixRows); pr.now.Equal(now) || !m.p.UsesNow() {
				return pr.rows
			}
		}
	}
	return m.p.Prefix(d, now)
}

func (m *esqlMatcher) Fields() []ecs.Field { return m.p.Fields() }

func (m *esqlMatcher) Constraint(field string) (query.Constraint, bool) {
	return m.p.Constraint(field)
}

// recordTime reads d's @timestamp; zero when it has none.
func recordTime(d query.Doc, ts ecs.Field) time.Time {
	for _, v := range d.Values(ts) {
		if t, err := time.Parse(time.RFC3339Nano, v.S); err == nil {
			return t
		}
	}
	return time.Time{}
}

// compileESQL compiles an ES|QL rule into r.m (the commands before STATS,
// per record) and r.agg (the executions). A syntax error is an
// *esqlError; a query trailsweep cannot run leaves the rule unsupported
// with the reason, returned as a plain error.
func compileESQL(r *Rule) (syntax error, unsupported error) {
	q, err := esql.Parse(r.Query)
	if err != nil {
		return syntaxError(err), nil
	}
	p, err := esql.Compile(q)
	if err != nil {
		return nil, err
	}
	if err := p.Streamable(); err != nil {
		return nil, err
	}
	span, err := relativeSpan(orDefault(r.From, "now-6m"))
	if err != nil {
		return nil, fmt.Errorf("from %q: %v", r.From, err)
	}
	step, err := eql.ParseDuration(orDefault(r.Interval, "5m"))
	if err != nil || step <= 0 {
		return nil, fmt.Errorf("interval %q: %v", r.Interval, err)
	}
	spec := &aggSpec{kind: aggESQL, window: span, step: step, esql: p}
	r.m = &esqlMatcher{p: p, spec: spec, ts: ecs.Lookup("@timestamp")}
	r.agg = spec
	return nil, nil
}

// windows returns the executions that look at time t: k from lo to hi,
// execution k covering [k·step − span, k·step). lo > hi when none does
// (an interval longer than the look-back leaves gaps).
func (a *aggSpec) windows(t time.Time) (lo, hi int64) {
	step, span, n := int64(a.step), int64(a.window), t.UnixNano()
	return floorDiv(n, step) + 1, floorDiv(n+span, step)
}

// nowFor is NOW() for the commands before STATS on a record at t: the end
// of the first execution that sees it. (Those commands run once per
// record; for the corpus's one use, @timestamp >= NOW() - 7 days in a rule
// that looks back 7 days, every execution that sees the record agrees.)
func (a *aggSpec) nowFor(t time.Time) time.Time {
	lo, _ := a.windows(t)
	return time.Unix(0, lo*int64(a.step)).UTC()
}

// esqlEvents appends the events of an ES|QL rule for record d at t: per
// row that reaches STATS and group it falls in, the group key (Key) and
// the group's state of that one row (Card[0], esql.Group.AppendState);
// without STATS, per output row, the row's columns as JSON (Card[0]).
func (r *Rule) esqlEvents(d query.Doc, t time.Time, dst []Event) []Event {
	p := r.agg.esql
	if !p.Aggregating() {
		for _, row := range r.esqlRows(d, t) {
			dst = append(dst, Event{Rule: r, Time: t, Card: []string{esql.RowJSON(row)}})
		}
		return dst
	}
	r.esqlInputs(d, t, func(key []string, _, args []any) {
		dst = append(dst, Event{Rule: r, Time: t, Key: key, Card: []string{string(p.AppendRowState(nil, args))}})
	})
	return dst
}

// esqlRows returns the rows the commands before STATS give record d at t;
// none when no execution looks at t.
func (r *Rule) esqlRows(d query.Doc, t time.Time) []*esql.Row {
	a := r.agg
	if lo, hi := a.windows(t); lo > hi {
		return nil
	}
	var now time.Time
	if a.esql.UsesNow() {
		now = a.nowFor(t)
	}
	if m, ok := r.m.(*esqlMatcher); ok {
		return m.prefix(d, now)
	}
	return a.esql.Prefix(d, now)
}

// esqlInputs calls add, for each row that reaches STATS of an ES|QL rule
// for record d at t and each group it falls in, with the group's key
// (encoded and as values) and the row's aggregate arguments.
func (r *Rule) esqlInputs(d query.Doc, t time.Time, add func(key []string, vals, args []any)) {
	p := r.agg.esql
	for _, row := range r.esqlRows(d, t) {
		keys, vals, args := p.Inputs1(row)
		for i, k := range keys {
			add(k, vals[i], args)
		}
	}
}

// esqlGroup emulates Kibana's executions of an ES|QL rule over one STATS
// group's events in time order (the whole rule's, without STATS).
//
// Execution k looks at [k·step − span, k·step) with NOW() = k·step, the
// epoch-aligned windows of threshold rules. Kibana identifies the alerts of
// an aggregating query by execution and row, so overlapping executions each
// report their rows: one decision per execution and output row, at the
// group's latest event in that window. A query without STATS that keeps
// METADATA _id is identified by the source document, so each record is
// reported once, by the first execution that sees it; without _id, once
// per execution that sees it.
//
// As for thresholds, execution starts and ends cut time into segments and
// every execution is a run of whole segments. Each segment keeps the
// partial aggregates of its events (counts, distinct values, extremes,
// sums) and its latest event, not the events; an execution merges its
// segments once an event starts a segment at or after its end. Only the
// segments an undecided execution can still use are kept: at most one
// look-back span of one group's partial aggregates.
type esqlGroup struct {
	r       *Rule
	key     []string
	put     func(*Decision) error
	segs    []esqlSegment // in time order
	pending []int64       // executions not yet decided, increasing

	// rows are the rows (as JSON) of the last execution decided, over the
	// segments starting from rowsFrom to rowsTo. Segments an execution
	// reads are closed (no later event falls in them), so the next
	// execution over the same segments has the same rows, unless the
	// commands after STATS read NOW().
	rows             []string
	rowsFrom, rowsTo int64
	rowsOK           bool

	merged *esql.Group // the executions' merge of their segments, reused
}

type esqlSegment struct {
	start int64
	g     *esql.Group
	last  aggEvent // the segment's latest event
}

func (g *esqlGroup) add(e *aggEvent) error {
	spec := g.r.agg
	lo, hi := spec.windows(e.time)
	if lo > hi {
		return nil
	}
	if !spec.esql.Aggregating() {
		return g.decideRow(e, lo, hi)
	}
	if len(e.card) != 1 {
		return fmt.Errorf("aggregate state: esql event without its group state")
	}
	t, step, span := e.time.UnixNano(), int64(spec.step), int64(spec.window)
	s := segmentStart(t, step, span)
	if n := len(g.segs); n == 0 || g.segs[n-1].start != s {
		if err := g.decide(s); err != nil {
			return err
		}
		grp, err := spec.esql.NewGroup(g.key)
		if err != nil {
			return fmt.Errorf("aggregate state: %w", err)
		}
		g.segs = append(g.segs, esqlSegment{start: s, g: grp})
		for k := lo; k <= hi; k++ {
			if n := len(g.pending); n == 0 || k > g.pending[n-1] {
				g.pending = append(g.pending, k)
			}
		}
		from := g.pending[0]*step - span
		drop := 0
		for drop < len(g.segs)-1 && g.segs[drop].start < from {
			drop++
		}
		g.segs = append(g.segs[:0], g.segs[drop:]...)
	}
	seg := &g.segs[len(g.segs)-1]
	if err := seg.g.MergeState(e.card[0]); err != nil {
		return fmt.Errorf("aggregate state: %w", err)
	}
	seg.last = e.kept()
	return nil
}

func (g *esqlGroup) finish() error { return g.decide(math.MaxInt64) }

// decideRow reports the row of a query without STATS.
func (g *esqlGroup) decideRow(e *aggEvent, lo, hi int64) error {
	if len(e.card) != 1 {
		return fmt.Errorf("aggregate state: esql row event without its row")
	}
	if g.r.agg.esql.HasID() {
		hi = lo
	}
	for k := lo; k <= hi; k++ {
		if err := g.put(e.decide(g.r, g.details(e.card[0], k))); err != nil {
			return err
		}
	}
	return nil
}

func (g *esqlGroup) details(row string, k int64) string {
	end := time.Unix(0, k*int64(g.r.agg.step)).UTC()
	return `{"esql":` + row + `,"execution":` + details(map[string]string{
		"from": rfc(end.Add(-g.r.agg.window)), "to": rfc(end),
	}) + `}`
}

// decide runs, in order, the pending executions that end at or before
// limit: no segment still to come falls in them.
func (g *esqlGroup) decide(limit int64) error {
	spec := g.r.agg
	step, span := int64(spec.step), int64(spec.window)
	for len(g.pending) > 0 && g.pending[0]*step <= limit {
		k := g.pending[0]
		g.pending = g.pending[1:]
		lo := sort.Search(len(g.segs), func(i int) bool { return g.segs[i].start >= k*step-span })
		hi := sort.Search(len(g.segs), func(i int) bool { return g.segs[i].start >= k*step })
		if lo >= hi {
			continue
		}
		from, to := g.segs[lo].start, g.segs[hi-1].start
		if !g.rowsOK || g.rowsFrom != from || g.rowsTo != to || spec.esql.FinishUsesNow() {
			now := time.Unix(0, k*step).UTC()
			if g.merged == nil {
				g.merged = g.segs[lo].g.Clone()
			}
			grp := g.merged // Dropped and Finish keep nothing of it
			grp.Reset()
			for _, sg := range g.segs[lo:hi] {
				grp.MergeGuard(sg.g)
			}
			g.rows, g.rowsOK, g.rowsFrom, g.rowsTo = g.rows[:0], true, from, to
			if spec.esql.Dropped(grp, now) {
				continue
			}
			grp.Reset()
			for _, sg := range g.segs[lo:hi] {
				grp.Merge(sg.g)
			}
			for _, row := range spec.esql.Finish(grp, now) {
				g.rows = append(g.rows, esql.RowJSON(row))
			}
		}
		last := &g.segs[hi-1].last
		for _, row := range g.rows {
			if err := g.put(last.decide(g.r, g.details(row, k))); err != nil {
				return err
			}
		}
	}
	return nil
}

// esqlSegment returns the segment of time (see esqlGroup) holding t for an
// ES|QL rule with STATS; false for any other rule.
func (r *Rule) esqlSegment(t time.Time) (int64, bool) {
	a := r.agg
	if a == nil || a.kind != aggESQL || !a.esql.Aggregating() {
		return 0, false
	}
	return segmentStart(t.UnixNano(), int64(a.step), int64(a.window)), true
}
