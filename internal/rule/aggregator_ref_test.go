package rule

// The Aggregator as it was before its state could spill (session 4): every
// event kept in maps and slices in memory. Tests compare the Aggregator
// with it: it is the unbounded in-memory reference.

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/report"
)

// refAggregator collects the events of aggregate rules and decides, after the
// scan, which become findings. Its result does not depend on the order in
// which events arrive. State is bounded by distinct term combinations ×
// history windows (new_terms), groups × window segments (threshold) and the
// events that match a sequence step (sequences). It is not safe for concurrent
// use: the scan's writer goroutine owns it.
type refAggregator struct {
	opts     AggOptions
	earliest time.Time
	nt       map[*Rule]map[string]map[int64]*refNTBucket
	th       map[*Rule]map[string]map[int64]*refTHWindow
	seq      map[*Rule][]Event
}

// newRefAggregator returns an empty refAggregator.
func newRefAggregator(opts AggOptions) *refAggregator {
	if opts.HistorySource == "" {
		opts.HistorySource = "scan"
	}
	return &refAggregator{
		opts: opts,
		nt:   map[*Rule]map[string]map[int64]*refNTBucket{},
		th:   map[*Rule]map[string]map[int64]*refTHWindow{},
		seq:  map[*Rule][]Event{},
	}
}

// refBefore orders events by time, then by where they were read.
func refBefore(a, b *Event) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	if a.Index != b.Index {
		return a.Index < b.Index
	}
	return a.History && !b.History
}

// refNTBucket is one term combination within one history-window-sized bucket
// of time: its earliest event and its latest time.
type refNTBucket struct {
	first Event
	last  time.Time
}

// refTHWindow is one threshold group within one segment of time (see
// refSegmentStart), or the merge of the segments of a window.
type refTHWindow struct {
	count int
	top   []Event            // the earliest `value` events, in order
	card  []map[string]Event // per cardinality field: value → earliest event
}

// Add takes one event.
func (a *refAggregator) Add(e *Event) {
	if a.earliest.IsZero() || e.Time.Before(a.earliest) {
		a.earliest = e.Time
	}
	spec := e.Rule.agg
	key := strings.Join(e.Key, "\x00")
	switch spec.kind {
	case aggNewTerms:
		m := a.nt[e.Rule]
		if m == nil {
			m = map[string]map[int64]*refNTBucket{}
			a.nt[e.Rule] = m
		}
		bs := m[key]
		if bs == nil {
			bs = map[int64]*refNTBucket{}
			m[key] = bs
		}
		n := e.Time.UnixNano() / int64(spec.window)
		b := bs[n]
		switch {
		case b == nil:
			bs[n] = &refNTBucket{first: *e, last: e.Time}
		default:
			if refBefore(e, &b.first) {
				b.first = *e
			}
			if e.Time.After(b.last) {
				b.last = e.Time
			}
		}
	case aggThreshold:
		m := a.th[e.Rule]
		if m == nil {
			m = map[string]map[int64]*refTHWindow{}
			a.th[e.Rule] = m
		}
		ws := m[key]
		if ws == nil {
			ws = map[int64]*refTHWindow{}
			m[key] = ws
		}
		// Window k covers [k·step − span, k·step); an event in no window
		// (span < step) is never counted.
		t, step, span := e.Time.UnixNano(), int64(spec.step), int64(spec.window)
		if (refFloorDiv(t, step)+1)*step-span > t {
			return
		}
		seg := refSegmentStart(t, step, span)
		w := ws[seg]
		if w == nil {
			w = &refTHWindow{card: make([]map[string]Event, len(spec.card))}
			ws[seg] = w
		}
		w.add(e, spec)
	case aggSequence:
		a.seq[e.Rule] = append(a.seq[e.Rule], *e)
	}
}

// refSegmentStart returns the start of the segment of time holding t: window
// starts (k·step − span) and ends (k·step) cut time into segments, and every
// window is a run of whole segments.
func refSegmentStart(t, step, span int64) int64 {
	a := refFloorDiv(t, step) * step
	b := refFloorDiv(t+span, step)*step - span
	return max(a, b)
}

// insertTop keeps e among the earliest n events of w.top.
func (w *refTHWindow) insertTop(e *Event, n int) {
	i := sort.Search(len(w.top), func(i int) bool { return refBefore(e, &w.top[i]) })
	if i < n {
		w.top = append(w.top, Event{})
		copy(w.top[i+1:], w.top[i:])
		w.top[i] = *e
		if len(w.top) > n {
			w.top = w.top[:n]
		}
	}
}

func refFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (w *refTHWindow) add(e *Event, spec *aggSpec) {
	w.count++
	w.insertTop(e, spec.value)
	for j := range spec.card {
		v := ""
		if j < len(e.Card) {
			v = e.Card[j]
		}
		if v == "" {
			continue
		}
		if w.card[j] == nil {
			w.card[j] = map[string]Event{}
		}
		if old, ok := w.card[j][v]; !ok || refBefore(e, &old) {
			w.card[j][v] = *e
		}
	}
}

// Flush decides every aggregate rule and returns the findings, sorted by
// event time, rule id and record position.
func (a *refAggregator) Flush() []report.Finding {
	var out []report.Finding
	for r, m := range a.nt {
		out = a.flushNewTerms(r, m, out)
	}
	for r, m := range a.th {
		out = refFlushThreshold(r, m, out)
	}
	for r, evs := range a.seq {
		out = refFlushSequence(r, evs, out)
	}
	sort.SliceStable(out, func(i, j int) bool {
		x, y := &out[i], &out[j]
		if !x.EventTime.Equal(y.EventTime) {
			return x.EventTime.Before(y.EventTime)
		}
		if x.RuleID != y.RuleID {
			return x.RuleID < y.RuleID
		}
		if x.SourceURI != y.SourceURI {
			return x.SourceURI < y.SourceURI
		}
		if x.RecordIndex != y.RecordIndex {
			return x.RecordIndex < y.RecordIndex
		}
		return x.Details < y.Details
	})
	return out
}

func refDetails(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func refRFC(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// HistorySpans returns, for each new_terms rule that saw events, the span
// that only built its history and the time from which its events were
// judged (the same bounds flushNewTerms applies), sorted by rule.
func (a *refAggregator) HistorySpans() []report.HistorySpan {
	start := a.opts.Start
	if start.IsZero() {
		start = a.earliest
	}
	var out []report.HistorySpan
	for r := range a.nt {
		out = append(out, report.HistorySpan{
			RuleID: r.ID, RuleName: r.Name, RuleSource: r.Source, Source: a.opts.HistorySource,
			HistoryFrom: start, DetectionFrom: start.Add(r.agg.window),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].RuleSource != out[j].RuleSource {
			return out[i].RuleSource < out[j].RuleSource
		}
		return out[i].RuleID < out[j].RuleID
	})
	return out
}

// flushNewTerms reports, per combination, each event that starts a run of
// occurrences: no occurrence in the history window refBefore it, and a whole
// history window of data refBefore it.
func (a *refAggregator) flushNewTerms(r *Rule, m map[string]map[int64]*refNTBucket, out []report.Finding) []report.Finding {
	spec := r.agg
	start := a.opts.Start
	if start.IsZero() {
		start = a.earliest
	}
	judgeFrom := start.Add(spec.window)
	for _, bs := range m {
		ns := make([]int64, 0, len(bs))
		for n := range bs {
			ns = append(ns, n)
		}
		sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
		var prev *refNTBucket
		for _, n := range ns {
			b := bs[n]
			e := &b.first
			fresh := prev == nil || e.Time.Sub(prev.last) > spec.window
			prev = b
			if !fresh || e.History || e.Time.Before(judgeFrom) {
				continue
			}
			terms := map[string]string{}
			for i, f := range spec.fields {
				terms[f.Name] = e.Key[i]
			}
			f := refFinding(e)
			f.Details = refDetails(map[string]any{
				"new_terms": terms,
				"history": map[string]string{
					"start":  refRFC(e.Time.Add(-spec.window)),
					"end":    refRFC(e.Time),
					"source": a.opts.HistorySource,
				},
				"detection_from": refRFC(judgeFrom),
			})
			out = append(out, f)
		}
	}
	return out
}

// refFlushThreshold reports one finding per group and window that reached the
// threshold: the event at which it did. Like Elastic's threshold signal
// history, events a finding already covered are not counted again: once a
// window of a group fires, the group's later windows count only the events
// after its end (every event of the fired window is at or refBefore its last
// event, and events after the window's end are after it).
func refFlushThreshold(r *Rule, m map[string]map[int64]*refTHWindow, out []report.Finding) []report.Finding {
	spec := r.agg
	step, span := int64(spec.step), int64(spec.window)
	for _, segs := range m {
		starts := make([]int64, 0, len(segs))
		ks := map[int64]bool{}
		for s := range segs {
			starts = append(starts, s)
			for k := refFloorDiv(s, step) + 1; k*step-span <= s; k++ {
				ks[k] = true
			}
		}
		sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
		windows := make([]int64, 0, len(ks))
		for k := range ks {
			windows = append(windows, k)
		}
		sort.Slice(windows, func(i, j int) bool { return windows[i] < windows[j] })
		cut := int64(math.MinInt64)
		for _, k := range windows {
			from := max(k*step-span, cut)
			lo := sort.Search(len(starts), func(i int) bool { return starts[i] >= from })
			hi := sort.Search(len(starts), func(i int) bool { return starts[i] >= k*step })
			if lo >= hi {
				continue
			}
			w := refMergeSegments(starts[lo:hi], segs, spec)
			f, ok := w.fire(spec)
			if !ok {
				continue
			}
			cut = k * step
			end := time.Unix(0, k*step).UTC()
			d := map[string]any{
				"group":  f.group,
				"count":  w.count,
				"window": map[string]string{"start": refRFC(end.Add(-spec.window)), "end": refRFC(end)},
			}
			if len(spec.card) > 0 {
				d["cardinality"] = f.cards
			}
			if from > k*step-span {
				d["counted_from"] = refRFC(time.Unix(0, from).UTC())
			}
			fd := refFinding(f.trigger)
			fd.Details = refDetails(d)
			out = append(out, fd)
		}
	}
	return out
}

// refMergeSegments merges the segments at starts into one window.
func refMergeSegments(starts []int64, segs map[int64]*refTHWindow, spec *aggSpec) *refTHWindow {
	w := &refTHWindow{card: make([]map[string]Event, len(spec.card))}
	for _, s := range starts {
		sg := segs[s]
		w.count += sg.count
		for i := range sg.top {
			w.insertTop(&sg.top[i], spec.value)
		}
		for j, vals := range sg.card {
			for v, e := range vals {
				if w.card[j] == nil {
					w.card[j] = map[string]Event{}
				}
				if old, ok := w.card[j][v]; !ok || refBefore(&e, &old) {
					w.card[j][v] = e
				}
			}
		}
	}
	return w
}

// refTHFire is a window that reached the threshold.
type refTHFire struct {
	trigger *Event
	group   map[string]string
	cards   map[string]int
}

// fire decides whether w reaches the threshold and, when it does, at which
// event.
func (w *refTHWindow) fire(spec *aggSpec) (refTHFire, bool) {
	if w.count < spec.value {
		return refTHFire{}, false
	}
	f := refTHFire{trigger: &w.top[spec.value-1], cards: map[string]int{}}
	for j, fl := range spec.card {
		vals := make([]*Event, 0, len(w.card[j]))
		for v := range w.card[j] {
			e := w.card[j][v]
			vals = append(vals, &e)
		}
		f.cards[fl.Name] = len(vals)
		if len(vals) < spec.cardN[j] {
			return refTHFire{}, false
		}
		sort.Slice(vals, func(x, y int) bool { return refBefore(vals[x], vals[y]) })
		if t := vals[spec.cardN[j]-1]; refBefore(f.trigger, t) {
			f.trigger = t
		}
	}
	f.group = map[string]string{}
	for i, fl := range spec.fields {
		f.group[fl.Name] = f.trigger.Key[i]
	}
	return f, true
}

// refFlushSequence runs the sequence state machine over the selected events in
// time order, per join key. Each key keeps, per step, the most recent
// partial sequence that completed it; partial sequences older than maxspan
// are dropped.
func refFlushSequence(r *Rule, evs []Event, out []report.Finding) []report.Finding {
	spec := r.agg
	sort.Slice(evs, func(i, j int) bool { return refBefore(&evs[i], &evs[j]) })
	type partial struct{ events []*Event }
	state := map[string][]*partial{}
	n := len(spec.steps)
	for i := range evs {
		e := &evs[i]
		key := strings.Join(e.Key, "\x00")
		st := state[key]
		if st == nil {
			st = make([]*partial, n)
			state[key] = st
		}
		for s := n - 1; s >= 0; s-- {
			if e.Steps&(1<<s) == 0 {
				continue
			}
			if s == 0 {
				st[0] = &partial{events: []*Event{e}}
				continue
			}
			p := st[s-1]
			if p == nil {
				continue
			}
			if spec.maxspan > 0 && e.Time.Sub(p.events[0].Time) > spec.maxspan {
				st[s-1] = nil
				continue
			}
			st[s-1] = nil
			np := &partial{events: append(append([]*Event(nil), p.events...), e)}
			if s < n-1 {
				st[s] = np
				continue
			}
			ids := make([]string, len(np.events))
			for j, x := range np.events {
				ids[j] = x.ID
			}
			by := map[string]string{}
			for j, f := range spec.keys[0] {
				by[f.Name] = e.Key[j]
			}
			f := refFinding(e)
			f.Details = refDetails(map[string]any{
				"sequence": map[string]any{"by": by, "event_ids": ids, "start": refRFC(np.events[0].Time)},
			})
			out = append(out, f)
		}
	}
	return out
}

// refFinding is the finding an event's payload holds (see testEvents).
func refFinding(e *Event) report.Finding {
	var f report.Finding
	if err := report.DecodeFinding(e.Payload, &f); err != nil {
		panic(err)
	}
	f.SourceURI = e.Source
	return f
}
