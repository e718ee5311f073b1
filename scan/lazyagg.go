package scan

import (
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/rule"
)

// eagerEvents makes workers build every aggregate event's finding, as
// before aggEvents reduced them: tests compare the two.
var eagerEvents = false

// ntKey is one new_terms term combination within one bucket of time, in
// the current object.
type ntKey struct {
	rule   *rule.Rule
	bucket int64
	key    string
}

// ntSlot is what an object's records gave one ntKey so far: the index in
// result.events of its earliest event (the only one that carries a
// finding) and the latest time seen, with its record.
type ntSlot struct {
	first int
	last  time.Time
	lastI int64
}

// ntState reduces an object's new_terms events the way rule.Aggregator does
// per bucket (the earliest event, the latest time), so that the worker
// builds a finding only for the earliest event of each combination and
// bucket instead of for every selected record. It is reset per object.
type ntState struct {
	slot  map[ntKey]int
	slots []ntSlot
}

// aggEvents appends the aggregate events of rule ru for the current record
// to r.events, building the finding of those that can still become one.
func (w *worker) aggEvents(r *result, ru *rule.Rule, t time.Time, index int64) {
	if eagerEvents {
		f := w.finding(ru, r.obj, t, index)
		r.events = ru.Events(w.rec, &f, w.cfg.HistoryOnly, r.events)
		return
	}
	n0 := len(r.events)
	evs := ru.EventsAt(w.rec, t, w.cfg.HistoryOnly, r.events)
	out := evs[:n0]
	for i := n0; i < len(evs); i++ {
		e := evs[i]
		b, newTerms := ru.NewTermsBucket(e.Time)
		if !newTerms {
			e.Finding = w.finding(ru, r.obj, t, index)
			out = append(out, e)
			continue
		}
		if w.nt.slot == nil {
			w.nt.slot = map[ntKey]int{}
		}
		k := ntKey{rule: ru, bucket: b, key: strings.Join(e.Key, "\x00")}
		j, seen := w.nt.slot[k]
		if !seen {
			e.Finding = w.ntFinding(r, ru, &k, e.Time, t, index)
			out = append(out, e)
			w.nt.slot[k] = len(w.nt.slots)
			w.nt.slots = append(w.nt.slots, ntSlot{first: len(out) - 1, last: e.Time, lastI: index})
			continue
		}
		s := &w.nt.slots[j]
		// Records come in index order, so an event at the same time as the
		// first one is after it (rule.before).
		if e.Time.Before(out[s.first].Time) {
			e.Finding = w.ntFinding(r, ru, &k, e.Time, t, index)
			out[s.first] = e
		}
		if e.Time.After(s.last) {
			s.last, s.lastI = e.Time, index
		}
	}
	r.events = out
}

// flushNewTerms ends an object: each combination and bucket whose latest
// time is after its earliest event's gets one more event with that time
// and no finding, so that the Aggregator sees the same latest time as if
// every event had been kept. Being later than the earliest event, it never
// becomes the bucket's first.
func (w *worker) flushNewTerms(r *result) {
	for _, s := range w.nt.slots {
		f := &r.events[s.first]
		if !s.last.After(f.Time) {
			continue
		}
		r.events = append(r.events, rule.Event{Rule: f.Rule, Time: s.last, Key: f.Key, History: f.History,
			Finding: bareFinding(r.obj, s.last, s.lastI)})
	}
	clear(w.nt.slot)
	w.nt.slots = w.nt.slots[:0]
}
