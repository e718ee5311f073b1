package scan

import (
	"encoding/binary"
	"errors"
	"time"

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
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	list := func(ss []string) {
		b = binary.AppendUvarint(b, uint64(len(ss)))
		for _, s := range ss {
			str(s)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(evs)))
	for i := range evs {
		e := &evs[i]
		str(e.Rule.Key())
		b = binary.AppendVarint(b, e.Time.Unix())
		b = binary.AppendUvarint(b, uint64(e.Time.Nanosecond()))
		list(e.Key)
		list(e.Card)
		b = binary.AppendUvarint(b, e.Steps)
		if e.History {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = binary.AppendVarint(b, e.Index)
		str(e.ID)
		if e.Payload == nil {
			b = append(b, 0)
		} else {
			b = append(b, 1)
			str(string(e.Payload))
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
	bad := false
	uvarint := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			bad, b = true, nil
			return 0
		}
		b = b[n:]
		return v
	}
	bytes := func() []byte {
		n := uvarint()
		if n > uint64(len(b)) {
			bad, b = true, nil
			return nil
		}
		s := b[:n]
		b = b[n:]
		return s
	}
	list := func() []string {
		n := uvarint()
		if n == 0 {
			return nil
		}
		if n > uint64(len(b)) {
			bad, b = true, nil
			return nil
		}
		out := make([]string, n)
		for i := range out {
			out[i] = string(bytes())
		}
		return out
	}
	n := uvarint()
	if n > uint64(len(b)) {
		return nil, errBadEvents
	}
	out := make([]rule.Event, 0, n)
	for range n {
		r := rules[string(bytes())]
		sec, k := binary.Varint(b)
		if k <= 0 {
			return nil, errBadEvents
		}
		b = b[k:]
		e := rule.Event{Rule: r, Time: time.Unix(sec, int64(uvarint())).UTC()}
		e.Key, e.Card, e.Steps = list(), list(), uvarint()
		if len(b) == 0 {
			return nil, errBadEvents
		}
		e.History, b = b[0] == 1, b[1:]
		e.Source = uri
		idx, k := binary.Varint(b)
		if k <= 0 {
			return nil, errBadEvents
		}
		e.Index, b = idx, b[k:]
		e.ID = string(bytes())
		if len(b) == 0 {
			return nil, errBadEvents
		}
		has := b[0] == 1
		b = b[1:]
		if has {
			e.Payload = append([]byte{}, bytes()...)
		}
		if bad {
			return nil, errBadEvents
		}
		if r != nil {
			out = append(out, e)
		}
	}
	if bad || len(b) != 0 {
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
