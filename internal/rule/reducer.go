package rule

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"github.com/trailsweep/trailsweep/internal/esql"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Payloader makes the payload of the current record's event for rule r:
// the caller's encoding of what the event becomes when an aggregate rule
// decides it (a finding). The Reducer asks only for events that can still
// become one. EventID is the current record's event id, which sequence
// decisions list.
type Payloader interface {
	Payload(r *Rule) []byte
	EventID() string
}

// Keeper is a Payloader that can also keep the current record for less
// than its payload costs, and make the payload of a kept record of the
// current object later: the Reducer keeps the record a group's latest row
// may come from, and asks for one payload when the object ends.
type Keeper interface {
	Payloader
	Keep() any
	PayloadOf(r *Rule, kept any) []byte
}

// Reducer turns one scan worker's records into aggregate events, object by
// object, keeping only what can change a decision. Of a new_terms
// combination's events within one history-window-sized bucket of time
// (NewTermsBucket), only the earliest can be new and only the latest time
// matters to what follows; so within an object it keeps, per combination
// and bucket, the earliest event (with a payload) and one bare event with
// the latest time, and it asks for no payload when another object already
// committed an earlier event of the same combination and bucket (Shared).
// Threshold and sequence events are kept whole; an ES|QL STATS group's
// rows within one segment of time become one event carrying their partial
// aggregates, at the latest of them. The Aggregator's decisions are those
// of every event with a payload. A Reducer is not safe for
// concurrent use: each worker owns one.
type Reducer struct {
	shared  *Shared
	p       Payloader
	history bool

	source string
	events []Event
	slots  map[*Rule]map[string]int // bucket and combination → index in list
	// ES|QL STATS: segment and group → index in esqlState.
	esqlSlots map[*Rule]map[string]int
	esqlState []esqlSlot
	list      []ntSlot
	buf       []byte
	sbuf      []byte // scratch for an ES|QL group's state
}

// ntSlot is what an object's records gave one new_terms combination and
// bucket so far: the index in events of its earliest event and the latest
// time seen, with its record.
type ntSlot struct {
	first int
	last  time.Time
	lastI int64
}

// NewReducer returns a Reducer whose events' payloads come from p; with
// history, the events only build new_terms history (a separate --history
// span) and other rules give none. shared may be nil.
func NewReducer(shared *Shared, p Payloader, history bool) *Reducer {
	return &Reducer{shared: shared, p: p, history: history, slots: map[*Rule]map[string]int{}, esqlSlots: map[*Rule]map[string]int{}}
}

// Begin starts an object read from source; its events are appended to dst.
func (x *Reducer) Begin(source string, dst []Event) {
	x.source, x.events = source, dst[:0]
}

// slotKey returns the key of a slot in x.buf: the bucket, then the
// combination (NUL-joined). Valid until the next call.
func (x *Reducer) slotKey(bucket int64, key string) []byte {
	x.buf = binary.LittleEndian.AppendUint64(x.buf[:0], uint64(bucket))
	return append(x.buf, key...)
}

// Add takes rule r's events for the record d of the current object at
// time t and position index, r's query having matched d.
func (x *Reducer) Add(r *Rule, d query.Doc, t time.Time, index int64) {
	if b, newTerms := r.NewTermsBucket(t); newTerms && len(x.list) > 0 {
		// The usual case: a combination this object already gave, at or
		// after its earliest event. Only the latest time moves; nothing is
		// built or kept.
		k, ok := r.NewTermsKey(d, x.slotKey(b, ""))
		x.buf = k
		if ok {
			if j, seen := x.slots[r][string(k)]; seen {
				if s := &x.list[j]; !t.Before(x.events[s.first].Time) {
					if t.After(s.last) {
						s.last, s.lastI = t, index
					}
					return
				}
			}
		}
	}
	if _, ok := r.esqlSegment(t); ok {
		if !x.history { // ES|QL events build no history
			x.addESQL(r, d, t, index)
		}
		return
	}
	n0 := len(x.events)
	evs := r.EventsAt(d, t, x.history, x.events)
	out := evs[:n0]
	for i := n0; i < len(evs); i++ {
		e := evs[i]
		e.Source, e.Index = x.source, index
		b, newTerms := r.NewTermsBucket(e.Time)
		if !newTerms {
			e.Payload = x.p.Payload(r)
			if r.agg.kind == aggSequence {
				e.ID = x.p.EventID()
			}
			out = append(out, e)
			continue
		}
		key := strings.Join(e.Key, "\x00")
		m := x.slots[r]
		if m == nil {
			m = map[string]int{}
			x.slots[r] = m
		}
		sk := x.slotKey(b, key)
		j, seen := m[string(sk)]
		if !seen {
			e.Payload = x.payload(r, b, key, e.Time)
			out = append(out, e)
			m[string(sk)] = len(x.list)
			x.list = append(x.list, ntSlot{first: len(out) - 1, last: e.Time, lastI: index})
			continue
		}
		s := &x.list[j]
		// Records come in index order, so an event at the same time as the
		// first one is after it (the Aggregator's order).
		if e.Time.Before(out[s.first].Time) {
			e.Payload = x.payload(r, b, key, e.Time)
			out[s.first] = e
		}
		if e.Time.After(s.last) {
			s.last, s.lastI = e.Time, index
		}
	}
	x.events = out
}

// payload is the payload of a new_terms event of rule r at time t in
// bucket b: none when another object's committed event of the combination
// and bucket is earlier (it cannot be the bucket's first).
func (x *Reducer) payload(r *Rule, b int64, key string, t time.Time) []byte {
	if x.history || x.shared != nil && x.shared.earlier(&ntKey{rule: r, bucket: b, key: key}, t) {
		return nil
	}
	return x.p.Payload(r)
}

// End ends the object and returns its events, valid until the next Begin:
// each new_terms combination and bucket whose latest time is after its
// earliest event's gets one more, bare event with that time, so that the
// Aggregator sees the same latest time as if every event had been kept.
// Being later than the earliest event, it never becomes the bucket's first.
func (x *Reducer) End() []Event {
	for _, s := range x.list {
		f := &x.events[s.first]
		if !s.last.After(f.Time) {
			continue
		}
		x.events = append(x.events, Event{Rule: f.Rule, Time: s.last, Key: f.Key, History: f.History,
			Source: x.source, Index: s.lastI})
	}
	for _, m := range x.slots {
		clear(m)
	}
	for _, s := range x.esqlState {
		e := &x.events[s.event]
		if s.g != nil {
			x.sbuf = s.g.AppendState(x.sbuf[:0])
			e.Card = []string{string(x.sbuf)}
		} else {
			e.Card = []string{s.state}
		}
		if s.kept != nil {
			e.Payload = x.p.(Keeper).PayloadOf(e.Rule, s.kept)
		}
	}
	clear(x.esqlState) // let the groups go
	x.esqlState = x.esqlState[:0]
	for _, m := range x.esqlSlots {
		clear(m)
	}
	x.list = x.list[:0]
	return x.events
}

// Shared is shared by a scan's Reducers: for each new_terms combination and
// bucket, the earliest time of an event with a payload among the objects
// committed so far without error. A Reducer that meets a later event of the
// same combination and bucket in another object knows it cannot be the
// bucket's first (the Aggregator also gets that committed event), so it
// asks for no payload. What it skips never depends on timing, only how
// much: the decisions are the same. It holds a bounded number of entries:
// once full, it only answers for what it has.
type Shared struct {
	seed     maphash.Seed
	perShard int
	shards   [64]sharedShard
}

type sharedShard struct {
	mu sync.RWMutex
	m  map[ntKey]int64 // unix nanoseconds
}

// ntKey is one new_terms combination (NUL-joined) within one bucket.
type ntKey struct {
	rule   *Rule
	bucket int64
	key    string
}

// NewShared returns an empty Shared that holds up to about entries.
func NewShared(entries int) *Shared {
	s := &Shared{seed: maphash.MakeSeed(), perShard: max(1, entries/64)}
	for i := range s.shards {
		s.shards[i].m = map[ntKey]int64{}
	}
	return s
}

func (s *Shared) shard(k *ntKey) *sharedShard {
	h := maphash.String(s.seed, k.key) ^ uint64(k.bucket)
	return &s.shards[h%uint64(len(s.shards))]
}

// earlier reports whether a committed event of k is strictly before t.
func (s *Shared) earlier(k *ntKey, t time.Time) bool {
	sh := s.shard(k)
	sh.mu.RLock()
	v, ok := sh.m[*k]
	sh.mu.RUnlock()
	return ok && v < t.UnixNano()
}

// Commit records the new_terms events with a payload of an object read
// without error, once it is committed (handed to the Aggregator or a
// checkpoint). One goroutine calls it.
func (s *Shared) Commit(evs []Event) {
	for i := range evs {
		e := &evs[i]
		if e.Payload == nil {
			continue // a bare event proves nothing
		}
		b, ok := e.Rule.NewTermsBucket(e.Time)
		if !ok {
			continue
		}
		k := ntKey{rule: e.Rule, bucket: b, key: strings.Join(e.Key, "\x00")}
		t := e.Time.UnixNano()
		sh := s.shard(&k)
		sh.mu.Lock()
		if v, ok := sh.m[k]; ok && t < v || !ok && len(sh.m) < s.perShard {
			sh.m[k] = t
		}
		sh.mu.Unlock()
	}
}

// addESQL folds the rows of record d at t of an ES|QL rule with STATS
// into the object's partial state of each group and segment of time they
// fall in (see esqlGroup): one event per group and segment, with the
// state of all its rows in the object, at the latest of them, whose
// payload it carries: an execution's finding is the latest event of its
// group's last segment, and the latest of all objects' latest events is
// the latest event. End writes the states.
func (x *Reducer) addESQL(r *Rule, d query.Doc, t time.Time, index int64) {
	seg, _ := r.esqlSegment(t)
	m := x.esqlSlots[r]
	if m == nil {
		m = map[string]int{}
		x.esqlSlots[r] = m
	}
	p := r.agg.esql
	for _, row := range r.esqlRows(d, t) {
		vals, args := p.InputValues(row)
		for _, v := range vals {
			x.addESQLRow(r, m, seg, v, args, t, index)
		}
	}
}

// addESQLRow folds a row of group key values vals (esql.Program.InputValues)
// into its slot of segment seg in m. The slot's key is encoded in the
// Reducer's buffer, as esqlInputs's keys joined by NUL: the group's key
// strings are built only for a new slot.
func (x *Reducer) addESQLRow(r *Rule, m map[string]int, seg int64, vals, args []any, t time.Time, index int64) {
	x.buf = esql.AppendKey(x.slotKey(seg, ""), vals)
	sk := x.buf
	j, seen := m[string(sk)]
	if !seen {
		// The state is encoded now: the row's values are views of the
		// record's bytes (a group copies what it keeps).
		m[string(sk)] = len(x.esqlState)
		x.esqlState = append(x.esqlState, esqlSlot{event: len(x.events), state: string(r.agg.esql.AppendRowState(x.sbuf[:0], args))})
		x.events = append(x.events, Event{Rule: r, Time: t, Key: esql.EncodeKey(vals), Source: x.source, Index: index, Payload: x.p.Payload(r)})
		return
	}
	s := &x.esqlState[j]
	if s.g == nil {
		g, err := r.agg.esql.NewGroup(x.events[s.event].Key)
		if err == nil {
			err = g.MergeState(s.state)
		}
		if err != nil {
			panic(fmt.Sprintf("rule: esql state written here does not read back: %v", err))
		}
		s.g = g
	}
	s.g.Add(args)
	// Records come in index order: at the same time, this one is the later.
	if e := &x.events[s.event]; !t.Before(e.Time) {
		e.Time, e.Index = t, index
		if k, ok := x.p.(Keeper); ok {
			e.Payload, s.kept = nil, k.Keep()
		} else {
			e.Payload = x.p.Payload(r)
		}
	}
}

// esqlSlot is an object's partial state of one ES|QL STATS group and
// segment: its event in the object's events and the group's aggregates
// (a group only once a second row comes: most have one).
type esqlSlot struct {
	event int
	state string      // the first row's (AppendRowState)
	g     *esql.Group // from the second row on
	kept  any         // Keeper.Keep of the event's record, whose payload End makes
}
