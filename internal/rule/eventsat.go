package rule

import (
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/query"
)

// EventsAt is Events without the finding: the appended events carry t as
// their time and a zero Finding, which the caller fills for the events that
// can still become findings (see NewTermsBucket).
func (r *Rule) EventsAt(d query.Doc, t time.Time, history bool, dst []Event) []Event {
	a := r.agg
	if a == nil || (history && a.kind != aggNewTerms) {
		return dst
	}
	ev := Event{Rule: r, Time: t, History: history}
	switch a.kind {
	case aggESQL:
		return r.esqlEvents(d, t, dst)
	case aggThreshold:
		for _, c := range a.card {
			vs := d.Values(c)
			if len(vs) == 0 {
				ev.Card = append(ev.Card, "")
				continue
			}
			ev.Card = append(ev.Card, strings.Clone(valueText(vs[0]))) // the event outlives the record
		}
	case aggSequence:
		for i, s := range a.steps {
			if s.Match(d) {
				ev.Steps |= 1 << i
			}
		}
		// Join keys of the steps have the same arity; use step 0's names
		// unless a step names its own, taking the first matching step's.
		for i := range a.steps {
			if ev.Steps&(1<<i) != 0 {
				return combos(d, a.keys[i], ev, dst)
			}
		}
		return dst
	}
	return combos(d, a.fields, ev, dst)
}

// NewTermsBucket returns the history-window-sized bucket of time that t
// falls in for a new_terms rule (the Aggregator keeps, per term combination
// and bucket, only the earliest event and the latest time); false for any
// other rule. Of a bucket's events, only the earliest can become a finding.
func (r *Rule) NewTermsBucket(t time.Time) (int64, bool) {
	if r.agg == nil || r.agg.kind != aggNewTerms {
		return 0, false
	}
	return t.UnixNano() / int64(r.agg.window), true
}

// NewTermsKey appends to buf the term combination of the new_terms rule r
// for d when each of its new_terms fields has exactly one value: the values
// joined by NUL bytes, as strings.Join of the Key of the one event EventsAt
// would append. The values are read, not kept. false, with buf unchanged,
// when r is not new_terms or a field has no value or several: EventsAt
// then says what the events are.
func (r *Rule) NewTermsKey(d query.Doc, buf []byte) ([]byte, bool) {
	a := r.agg
	if a == nil || a.kind != aggNewTerms {
		return buf, false
	}
	n := len(buf)
	for i, f := range a.fields {
		vs := d.Values(f)
		if len(vs) != 1 {
			return buf[:n], false
		}
		if i > 0 {
			buf = append(buf, 0)
		}
		buf = append(buf, valueText(vs[0])...)
	}
	return buf, true
}
