package rule

import (
	"fmt"
	"regexp"
	"slices"
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
	var techniques []string
	for _, r := range rules {
		ids[r.ID] = true
		for _, t := range r.Threats {
			tactics[tacticKey(t.Tactic.Name)] = true
			tactics[tacticKey(t.Tactic.ID)] = true
			delete(tactics, "")
		}
		techniques = append(techniques, r.Techniques()...)
	}
	for _, list := range [][]string{sel.IDs, sel.ExcludeIDs} {
		for _, id := range list {
			if !ids[id] {
				return nil, fmt.Errorf("rule id %q: no loaded rule has it", id)
			}
		}
	}
	for _, t := range sel.Tactics {
		if !tactics[tacticKey(t)] {
			return nil, fmt.Errorf("--tactic %q: no loaded rule maps to it (use a tactic name such as Persistence or an id such as TA0003)", t)
		}
	}
	for _, t := range sel.Techniques {
		if !techniqueID.MatchString(strings.ToUpper(t)) {
			return nil, fmt.Errorf("--technique %q: want an ATT&CK id such as T1078 or T1078.004", t)
		}
		if !slices.ContainsFunc(techniques, func(id string) bool { return techniqueMatch(id, t) }) {
			return nil, fmt.Errorf("--technique %q: no loaded rule maps to it or to a sub-technique of it", t)
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
			for _, want := range sel.Tactics {
				k := tacticKey(want)
				hit = hit || k != "" && (k == tacticKey(t.Tactic.Name) || k == tacticKey(t.Tactic.ID))
			}
		}
		if !hit {
			return false
		}
	}
	if len(sel.Techniques) > 0 {
		hit := false
		for _, id := range r.Techniques() {
			for _, want := range sel.Techniques {
				hit = hit || techniqueMatch(id, want)
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

// techniqueMatch reports whether a rule's technique id is want or one of
// its sub-techniques.
func techniqueMatch(id, want string) bool {
	want = strings.ToUpper(want)
	return id == want || strings.HasPrefix(id, want+".")
}

// tacticIDs maps ATT&CK Enterprise tactic names, lower case, to their ids.
// Elastic rules carry both; Sigma tags carry only the name
// (attack.persistence), so a name and its id must select the same rules.
// Sigma's attack.stealth and attack.defense-impairment (ATT&CK's later
// split of Defense Evasion) count as Defense Evasion, TA0005.
var tacticIDs = map[string]string{
	"reconnaissance":       "ta0043",
	"resource development": "ta0042",
	"initial access":       "ta0001",
	"execution":            "ta0002",
	"persistence":          "ta0003",
	"privilege escalation": "ta0004",
	"defense evasion":      "ta0005",
	"stealth":              "ta0005",
	"defense impairment":   "ta0005",
	"credential access":    "ta0006",
	"discovery":            "ta0007",
	"lateral movement":     "ta0008",
	"collection":           "ta0009",
	"exfiltration":         "ta0010",
	"command and control":  "ta0011",
	"impact":               "ta0040",
}

// tacticKey returns the key a tactic name or id is compared by: the
// lower-case id for a known name (separators '-', '_' and ' ' alike, as
// in Sigma's attack.privilege-escalation), else the lower-case text.
// "" stays "" and matches nothing.
func tacticKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return ""
	}
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }), " ")
	if id, ok := tacticIDs[s]; ok {
		return id
	}
	return s
}

// Emptied names the parts of sel that leave none of rules, as flags
// ("--technique T9999"): each part that alone selects no rule, or, when
// each alone keeps some, all of them together. It returns "" when sel
// selects some rule or rules is empty. Values must be valid (see Select).
func (sel Selection) Emptied(rules []*Rule) string {
	if len(rules) == 0 {
		return ""
	}
	if out, err := Select(rules, sel); err != nil || len(out) > 0 {
		return ""
	}
	var parts, alone []string
	try := func(flag string, vals []string, one Selection) {
		if len(vals) == 0 {
			return
		}
		var fs []string
		for _, v := range vals {
			fs = append(fs, flag+" "+v)
		}
		part := strings.Join(fs, " ")
		parts = append(parts, part)
		if out, err := Select(rules, one); err == nil && len(out) == 0 {
			alone = append(alone, part)
		}
	}
	var min []string
	if sel.MinSeverity != "" {
		min = []string{sel.MinSeverity}
	}
	try("--min-severity", min, Selection{MinSeverity: sel.MinSeverity})
	try("--rule-id", sel.IDs, Selection{IDs: sel.IDs})
	try("--exclude-rule-id", sel.ExcludeIDs, Selection{ExcludeIDs: sel.ExcludeIDs})
	try("--tactic", sel.Tactics, Selection{Tactics: sel.Tactics})
	try("--technique", sel.Techniques, Selection{Techniques: sel.Techniques})
	try("--rule-type", sel.Types, Selection{Types: sel.Types})
	if len(alone) > 0 {
		return strings.Join(alone, ", ")
	}
	return strings.Join(parts, " with ")
}
