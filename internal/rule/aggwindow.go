package rule

import (
	"math"
	"sort"
	"time"
)

// thGroup decides one threshold group from its events in time order.
//
// Window k covers [k·step − span, k·step). Window starts and ends cut time
// into segments, and every window is a run of whole segments: each segment
// keeps its count, its earliest `value` events and, per cardinality field,
// the earliest event of each value. A window is decided once an event
// starts a segment at or after its end; only the segments that an
// undecided window can still use are kept. Like Elastic's threshold signal
// history, events a finding already covered are not counted again: once a
// window of a group fires, the group's later windows count only the events
// after its end (cut).
type thGroup struct {
	r       *Rule
	key     []string
	put     func(*Decision) error
	segs    []thSegment // in time order
	pending []int64     // windows not yet decided, increasing
	cut     int64
}

type thSegment struct {
	start int64
	w     *thWindow
}

// thWindow is one segment of a group, or the merge of a window's segments.
type thWindow struct {
	count int
	top   []aggEvent            // the earliest `value` events, in order
	card  []map[string]aggEvent // per cardinality field: value → earliest event
}

func (g *thGroup) add(e *aggEvent) error {
	spec := g.r.agg
	// An event in no window (span < step) is never counted.
	t, step, span := e.time.UnixNano(), int64(spec.step), int64(spec.window)
	if (floorDiv(t, step)+1)*step-span > t {
		return nil
	}
	s := segmentStart(t, step, span)
	if n := len(g.segs); n == 0 || g.segs[n-1].start != s {
		if err := g.decide(s); err != nil {
			return err
		}
		g.segs = append(g.segs, thSegment{start: s, w: &thWindow{card: make([]map[string]aggEvent, len(spec.card))}})
		for k := floorDiv(s, step) + 1; k*step-span <= s; k++ {
			if n := len(g.pending); n == 0 || k > g.pending[n-1] {
				g.pending = append(g.pending, k)
			}
		}
		// The earliest undecided window starts no earlier than any later one.
		from := max(g.pending[0]*step-span, g.cut)
		drop := 0
		for drop < len(g.segs)-1 && g.segs[drop].start < from {
			drop++
		}
		g.segs = append(g.segs[:0], g.segs[drop:]...)
	}
	g.segs[len(g.segs)-1].w.add(e, spec)
	return nil
}

func (g *thGroup) finish() error { return g.decide(math.MaxInt64) }

// decide decides, in order, the pending windows that end at or before
// limit: no segment still to come falls in them.
func (g *thGroup) decide(limit int64) error {
	spec := g.r.agg
	step, span := int64(spec.step), int64(spec.window)
	for len(g.pending) > 0 && g.pending[0]*step <= limit {
		k := g.pending[0]
		g.pending = g.pending[1:]
		from := max(k*step-span, g.cut)
		lo := sort.Search(len(g.segs), func(i int) bool { return g.segs[i].start >= from })
		hi := sort.Search(len(g.segs), func(i int) bool { return g.segs[i].start >= k*step })
		if lo >= hi {
			continue
		}
		w := mergeSegments(g.segs[lo:hi], spec)
		f, ok := w.fire(spec)
		if !ok {
			continue
		}
		g.cut = k * step
		end := time.Unix(0, k*step).UTC()
		group := map[string]string{}
		for i, fl := range spec.fields {
			group[fl.Name] = g.key[i]
		}
		d := map[string]any{
			"group":  group,
			"count":  w.count,
			"window": map[string]string{"start": rfc(end.Add(-spec.window)), "end": rfc(end)},
		}
		if len(spec.card) > 0 {
			d["cardinality"] = f.cards
		}
		if from > k*step-span {
			d["counted_from"] = rfc(time.Unix(0, from).UTC())
		}
		if err := g.put(f.trigger.decide(g.r, details(d))); err != nil {
			return err
		}
	}
	return nil
}

// segmentStart returns the start of the segment of time holding t: window
// starts (k·step − span) and ends (k·step) cut time into segments, and every
// window is a run of whole segments.
func segmentStart(t, step, span int64) int64 {
	a := floorDiv(t, step) * step
	b := floorDiv(t+span, step)*step - span
	return max(a, b)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// topPos returns where e goes among the earliest events of w.
func (w *thWindow) topPos(e *aggEvent) int {
	return sort.Search(len(w.top), func(i int) bool { return e.before(&w.top[i]) })
}

// insertTop keeps e (owned by w) among the earliest n events of w.top.
func (w *thWindow) insertTop(e aggEvent, n int) {
	i := w.topPos(&e)
	if i >= n {
		return
	}
	w.top = append(w.top, aggEvent{})
	copy(w.top[i+1:], w.top[i:])
	w.top[i] = e
	if len(w.top) > n {
		w.top = w.top[:n]
	}
}

func (w *thWindow) add(e *aggEvent, spec *aggSpec) {
	w.count++
	if w.topPos(e) < spec.value {
		w.insertTop(e.kept(), spec.value)
	}
	for j := range spec.card {
		v := ""
		if j < len(e.card) {
			v = e.card[j]
		}
		if v == "" {
			continue
		}
		if w.card[j] == nil {
			w.card[j] = map[string]aggEvent{}
		}
		if old, ok := w.card[j][v]; !ok || e.before(&old) {
			w.card[j][v] = e.kept()
		}
	}
}

// mergeSegments merges segs into one window.
func mergeSegments(segs []thSegment, spec *aggSpec) *thWindow {
	w := &thWindow{card: make([]map[string]aggEvent, len(spec.card))}
	for _, s := range segs {
		sg := s.w
		w.count += sg.count
		for i := range sg.top {
			w.insertTop(sg.top[i], spec.value)
		}
		for j, vals := range sg.card {
			for v, e := range vals {
				if w.card[j] == nil {
					w.card[j] = map[string]aggEvent{}
				}
				if old, ok := w.card[j][v]; !ok || e.before(&old) {
					w.card[j][v] = e
				}
			}
		}
	}
	return w
}

// thFire is a window that reached the threshold.
type thFire struct {
	trigger *aggEvent
	cards   map[string]int
}

// fire decides whether w reaches the threshold and, when it does, at which
// event.
func (w *thWindow) fire(spec *aggSpec) (thFire, bool) {
	if w.count < spec.value {
		return thFire{}, false
	}
	f := thFire{trigger: &w.top[spec.value-1], cards: map[string]int{}}
	for j, fl := range spec.card {
		vals := make([]*aggEvent, 0, len(w.card[j]))
		for v := range w.card[j] {
			e := w.card[j][v]
			vals = append(vals, &e)
		}
		f.cards[fl.Name] = len(vals)
		if len(vals) < spec.cardN[j] {
			return thFire{}, false
		}
		sort.Slice(vals, func(x, y int) bool { return vals[x].before(vals[y]) })
		if t := vals[spec.cardN[j]-1]; f.trigger.before(t) {
			f.trigger = t
		}
	}
	return f, true
}

// seqGroup runs the sequence state machine over one join key's events in
// time order: per step, the most recent partial sequence that completed
// it; partial sequences older than maxspan are dropped.
type seqGroup struct {
	r     *Rule
	key   []string
	put   func(*Decision) error
	state []*partial
}

type partial struct{ events []aggEvent }

func (g *seqGroup) add(e *aggEvent) error {
	spec := g.r.agg
	n := len(spec.steps)
	st := g.state
	for s := n - 1; s >= 0; s-- {
		if e.steps&(1<<s) == 0 {
			continue
		}
		if s == 0 {
			st[0] = &partial{events: []aggEvent{e.kept()}}
			continue
		}
		p := st[s-1]
		if p == nil {
			continue
		}
		if spec.maxspan > 0 && e.time.Sub(p.events[0].time) > spec.maxspan {
			st[s-1] = nil
			continue
		}
		st[s-1] = nil
		np := &partial{events: append(append([]aggEvent(nil), p.events...), e.kept())}
		if s < n-1 {
			st[s] = np
			continue
		}
		ids := make([]string, len(np.events))
		for j := range np.events {
			ids[j] = np.events[j].id
		}
		by := map[string]string{}
		for j, fl := range spec.keys[0] {
			by[fl.Name] = g.key[j]
		}
		d := e.decide(g.r, details(map[string]any{
			"sequence": map[string]any{"by": by, "event_ids": ids, "start": rfc(np.events[0].time)},
		}))
		if err := g.put(d); err != nil {
			return err
		}
	}
	return nil
}

func (g *seqGroup) finish() error { return nil }
