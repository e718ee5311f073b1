package rule

import (
	"fmt"
	"regexp"
	"strings"
)

// Selection narrows the rules a scan runs. Empty fields select everything;
// within a field values are alternatives, across fields all must hold.
type Selection struct {
	MinSeverity string   // low|medium|high|critical
	IDs         []string // --rule-id
	ExcludeIDs  []string // --exclude-rule-id
	Tactics     []string // ATT&CK tactic names or ids (TA0003), case-insensitive
	Techniques  []string // technique ids; T1078 also selects T1078.004
	Types       []string // query, eql, new_terms, threshold, …
}

var severityRank = map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}

// ruleTypes are the rule types Select accepts.
var ruleTypes = map[string]bool{"query": true, "eql": true, "esql": true, "new_terms": true, "threshold": true,
	"machine_learning": true, "threat_match": true, "saved_query": true, "sigma": true}

var techniqueID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// Select returns the rules of rules that sel selects, in order. An unknown
// value (a severity, a rule type, a rule id that no loaded rule has, a
// tactic no loaded rule names, a malformed technique id) is an error naming
// it.
func Select(rules []*Rule, sel Selection) ([]*Rule, error) {
	min := 0
	if sel.MinSeverity != "" {
		var ok bool
		if min, ok = severityRank[strings.ToLower(sel.MinSeverity)]; !ok {
			return nil, fmt.Errorf("--min-severity %q: want low, medium, high or critical", sel.MinSeverity)
		}
	}
	ids := map[string]bool{}
	tactics := map[string]bool{}
	for _, r := range rules {
		ids[r.ID] = true
		for _, t := range r.Threats {
			tactics[strings.ToLower(t.Tactic.Name)] = true
			tactics[strings.ToLower(t.Tactic.ID)] = true
		}
	}
	for _, list := range [][]string{sel.IDs, sel.ExcludeIDs} {
		for _, id := range list {
			if !ids[id] {
				return nil, fmt.Errorf("rule id %q: no loaded rule has it", id)
			}
		}
	}
	for _, t := range sel.Tactics {
		if !tactics[strings.ToLower(t)] {
			return nil, fmt.Errorf("--tactic %q: no loaded rule maps to it (use a tactic name such as Persistence or an id such as TA0003)", t)
		}
	}
	for _, t := range sel.Techniques {
		if !techniqueID.MatchString(strings.ToUpper(t)) {
			return nil, fmt.Errorf("--technique %q: want an ATT&CK id such as T1078 or T1078.004", t)
		}
	}
	for _, t := range sel.Types {
		if !ruleTypes[t] {
			return nil, fmt.Errorf("--rule-type %q: want one of query, eql, esql, new_terms, threshold, machine_learning, threat_match, saved_query", t)
		}
	}
	var out []*Rule
	for _, r := range rules {
		if sel.selects(r, min) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (sel *Selection) selects(r *Rule, min int) bool {
	if severityRank[r.Severity] < min || contains(sel.ExcludeIDs, r.ID, false) {
		return false
	}
	if len(sel.IDs) > 0 && !contains(sel.IDs, r.ID, false) {
		return false
	}
	if len(sel.Types) > 0 && !contains(sel.Types, r.Type, false) {
		return false
	}
	if len(sel.Tactics) > 0 {
		hit := false
		for _, t := range r.Threats {
			hit = hit || contains(sel.Tactics, t.Tactic.Name, true) || contains(sel.Tactics, t.Tactic.ID, true)
		}
		if !hit {
			return false
		}
	}
	if len(sel.Techniques) > 0 {
		hit := false
		for _, id := range r.Techniques() {
			for _, want := range sel.Techniques {
				want = strings.ToUpper(want)
				hit = hit || id == want || strings.HasPrefix(id, want+".")
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func contains(list []string, s string, fold bool) bool {
	for _, x := range list {
		if x == s || (fold && strings.EqualFold(x, s)) {
			return true
		}
	}
	return false
}
