package scan

import (
	"time"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/report"
)

// storedEvent is a rule.Event as a checkpoint part keeps it: its rule by
// id, everything else as the worker produced it.
type storedEvent struct {
	Rule    string         `json:"rule"`
	Time    time.Time      `json:"time"`
	Key     []string       `json:"key,omitempty"`
	Card    []string       `json:"card,omitempty"`
	Steps   uint64         `json:"steps,omitempty"`
	History bool           `json:"history,omitempty"`
	Finding report.Finding `json:"finding"`
}

// storeEvents converts an object's aggregate events for its entry.
func storeEvents(evs []rule.Event) []storedEvent {
	if len(evs) == 0 {
		return nil
	}
	out := make([]storedEvent, len(evs))
	for i := range evs {
		e := &evs[i]
		out[i] = storedEvent{Rule: e.Rule.Key(), Time: e.Time, Key: e.Key, Card: e.Card, Steps: e.Steps,
			History: e.History, Finding: e.Finding}
	}
	return out
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

// restore turns a stored event back into the rule.Event the worker made,
// its rule looked up in rules; false when rules has no such aggregate rule
// (a resume forced with another rule set).
func (s *storedEvent) restore(rules map[string]*rule.Rule) (rule.Event, bool) {
	r := rules[s.Rule]
	if r == nil {
		return rule.Event{}, false
	}
	return rule.Event{Rule: r, Time: s.Time, Key: s.Key, Card: s.Card, Steps: s.Steps, History: s.History,
		Finding: s.Finding}, true
}
