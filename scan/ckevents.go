package scan

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/trailsweep/trailsweep/internal/binenc"
	"github.com/trailsweep/trailsweep/internal/rule"
)

// errBadEvents is returned for stored events that appendEvents did not
// write.
var errBadEvents = errors.New("bad stored aggregate events")

// appendEvents appends an object's aggregate events in the compact binary
// form a checkpoint entry keeps: a count, then per event its rule's key,
// time, term or group values, cardinality values, sequence steps, history
// flag, record index, event id and payload (its finding, see payload). The
// Source is the entry's.
func appendEvents(b []byte, evs []rule.Event) []byte {
	if len(evs) == 0 {
		return b
	}
	b = binary.AppendUvarint(b, uint64(len(evs)))
	for i := range evs {
		e := &evs[i]
		// e.Rule.Key(), without building it
		b = binary.AppendUvarint(b, uint64(len(e.Rule.Source)+1+len(e.Rule.ID)))
		b = append(append(append(b, e.Rule.Source...), ':'), e.Rule.ID...)
		b = binary.AppendVarint(b, e.Time.Unix())
		b = binary.AppendUvarint(b, uint64(e.Time.Nanosecond()))
		b = binenc.AppendStrings(b, e.Key)
		b = binenc.AppendStrings(b, e.Card)
		b = binary.AppendUvarint(b, e.Steps)
		b = binenc.AppendBool(b, e.History)
		b = binary.AppendVarint(b, e.Index)
		b = binenc.AppendString(b, e.ID)
		b = binenc.AppendBool(b, e.Payload != nil)
		if e.Payload != nil {
			b = binenc.AppendString(b, string(e.Payload))
		}
	}
	return b
}

// decodeEvents reads what appendEvents wrote for the object uri, each
// event's rule looked up in rules; events of rules it lacks (a resume
// forced with another rule set) are dropped.
func decodeEvents(b []byte, uri string, rules map[string]*rule.Rule) ([]rule.Event, error) {
	if len(b) == 0 {
		return nil, nil
	}
	d := binenc.NewReader(b)
	n := d.Uvarint()
	if n > uint64(d.Len()) {
		return nil, errBadEvents
	}
	out := make([]rule.Event, 0, n)
	for range n {
		r := rules[string(d.Bytes())]
		sec := d.Varint()
		e := rule.Event{Rule: r, Time: time.Unix(sec, int64(d.Uvarint())).UTC(), Source: uri}
		e.Key, e.Card, e.Steps = d.Strings(), d.Strings(), d.Uvarint()
		e.History = d.Bool()
		e.Index = d.Varint()
		e.ID = d.String()
		if d.Bool() {
			e.Payload = append([]byte{}, d.Bytes()...)
		}
		if d.Bad() {
			return nil, errBadEvents
		}
		if r != nil {
			out = append(out, e)
		}
	}
	if d.Len() != 0 {
		return nil, errBadEvents
	}
	return out, nil
}

// aggregateRules maps the key (source and id) of each runnable aggregate
// rule of set to it (keys of runnable rules are unique in a Set).
func aggregateRules(set *rule.Set) map[string]*rule.Rule {
	m := map[string]*rule.Rule{}
	if set == nil {
		return m
	}
	for _, r := range set.Runnable() {
		if r.Aggregate() {
			m[r.Key()] = r
		}
	}
	return m
}
