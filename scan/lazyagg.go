package scan

import (
	"encoding/binary"
	"strings"
	"time"
	"unsafe"

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
	slot  map[string]int // slotKey → index in slots
	slots []ntSlot
	buf   []byte // slotKey's
}

// slotKey returns the key of slot for rule ru, bucket b and the term
// combination key (NUL-joined), in st.buf: valid until the next call.
func (st *ntState) slotKey(ru *rule.Rule, b int64, key string) []byte {
	st.buf = binary.LittleEndian.AppendUint64(st.buf[:0], uint64(uintptr(unsafe.Pointer(ru)))) // identity only: Go's heap does not move
	st.buf = binary.LittleEndian.AppendUint64(st.buf, uint64(b))
	return append(st.buf, key...)
}

// aggEvents appends the aggregate events of rule ru for the current record
// to r.events, building the finding of those that can still become one.
func (w *worker) aggEvents(r *result, ru *rule.Rule, t time.Time, index int64) {
	if eagerEvents {
		f := w.finding(ru, r.obj, t, index)
		r.events = ru.Events(w.rec, &f, w.cfg.HistoryOnly, r.events)
		return
	}
	if b, newTerms := ru.NewTermsBucket(t); newTerms && len(w.nt.slots) > 0 {
		// The usual case: a combination this object already gave, at or
		// after its earliest event. Only the latest time moves; nothing is
		// built or kept.
		k, ok := ru.NewTermsKey(w.rec, w.nt.slotKey(ru, b, ""))
		w.nt.buf = k
		if ok {
			if j, seen := w.nt.slot[string(k)]; seen {
				if s := &w.nt.slots[j]; !t.Before(r.events[s.first].Time) {
					if t.After(s.last) {
						s.last, s.lastI = t, index
					}
					return
				}
			}
		}
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
			w.nt.slot = map[string]int{}
		}
		k := ntKey{rule: ru, bucket: b, key: strings.Join(e.Key, "\x00")}
		sk := w.nt.slotKey(ru, b, k.key)
		j, seen := w.nt.slot[string(sk)]
		if !seen {
			e.Finding = w.ntFinding(r, ru, &k, e.Time, t, index)
			out = append(out, e)
			w.nt.slot[string(sk)] = len(w.nt.slots)
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
