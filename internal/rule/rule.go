// Package rule loads detection rules (Elastic's TOML format, the built-in
// rules embedded in the binary, and ad-hoc KQL queries), compiles the ones
// trailsweep can run, and indexes them by event.provider and event.action so
// that the scanner evaluates only the rules that could match a record.
//
// A rule that cannot run (EQL, ES|QL, new_terms, threshold, machine
// learning…) is still loaded, with Supported false and a one-line Reason: it
// is never silently dropped.
package rule

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/kql"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Rule sources.
const (
	SourceBuiltin = "builtin"
	SourceElastic = "elastic"
	SourceSigma   = "sigma"
	SourceAdhoc   = "adhoc"
)

// Rule is one detection rule.
type Rule struct {
	ID, Name, Description string
	Source                string // "builtin", "elastic", "sigma", "adhoc"
	Type, Language, Query string
	Severity              string // low|medium|high|critical
	RiskScore             int

	Index                                                    []string
	From, Interval, TimestampOverride, EventCategoryOverride string

	NewTermsFields     []string
	HistoryWindowStart string
	Threshold          *Threshold

	Threats                                               []Threat
	InvestigationFields, FalsePositives, Tags, References []string
	Note                                                  string

	Path string // file it came from ("" for adhoc, "builtin:<name>" for built-ins)

	// Digest is a SHA-256 (hex) of the whole definition the rule was
	// parsed from: its file's bytes (and, for Sigma, the placeholder
	// values), or an ad-hoc query. Any edit of the rule changes it.
	Digest string

	Supported bool
	Reason    string // why the rule cannot run, when !Supported

	// Status is a Sigma rule's status (stable, test, experimental,
	// deprecated, unsupported); "" for other sources.
	Status string

	m   Matcher  // compiled query (*kql.Matcher, *eql.Matcher, a Sigma detection…); nil when none
	agg *aggSpec // state across records (new_terms, threshold, EQL sequence); nil for per-record rules
}

// Matcher is a compiled rule query of any language: a *kql.Matcher, an
// *eql.Matcher, a Sigma detection. Constraint has query.Constraint's
// contract (sound, case-sensitive, combined by query.And and query.Or); a Matcher
// whose values compare case-insensitively also implements FoldConstrainer.
type Matcher interface {
	Match(d query.Doc) bool
	Fields() []ecs.Field
	Constraint(field string) (query.Constraint, bool)
}

var _ Matcher = (*kql.Matcher)(nil)

// Threshold is the [rule.threshold] table of a threshold rule.
type Threshold struct {
	Fields      []string // group-by fields
	Value       int      // alert when a group reaches this many events
	Cardinality []Cardinality
}

// Cardinality is one [[rule.threshold.cardinality]] entry: alert when the
// number of distinct values of Field in a group reaches Value.
type Cardinality struct {
	Field string
	Value int
}

// Threat is one [[rule.threat]] entry: a MITRE ATT&CK tactic and the
// techniques of that tactic the rule detects.
type Threat struct {
	Framework  string
	Tactic     Tactic
	Techniques []Technique
}

// Tactic is an ATT&CK tactic, e.g. TA0003 Persistence.
type Tactic struct {
	ID, Name, Reference string
}

// Technique is an ATT&CK technique or sub-technique, e.g. T1578 or T1578.005.
type Technique struct {
	ID, Name, Reference string
	Subtechniques       []Technique
}

// Tactics returns the rule's tactic names (e.g. "Persistence"), deduplicated,
// in file order.
func (r *Rule) Tactics() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range r.Threats {
		n := t.Tactic.Name
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}

// Techniques returns the rule's technique and sub-technique ids (e.g.
// "T1578", "T1578.005"), deduplicated, in file order, each technique before
// its sub-techniques.
func (r *Rule) Techniques() []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, t := range r.Threats {
		for _, tech := range t.Techniques {
			add(tech.ID)
			for _, sub := range tech.Subtechniques {
				add(sub.ID)
			}
		}
	}
	return out
}

// Match reports whether d satisfies the rule's compiled query. It returns
// false for a rule without one (a query that is not KQL). For a KQL rule of
// an unsupported type (new_terms, threshold) it evaluates the query that
// selects the events, which alone does not make a finding.
func (r *Rule) Match(d query.Doc) bool {
	if r.m == nil {
		return false
	}
	return r.m.Match(d)
}

// Fields returns the ECS fields the rule's query reads, nil for a rule
// without a compiled query.
func (r *Rule) Fields() []ecs.Field {
	if r.m == nil {
		return nil
	}
	return r.m.Fields()
}

// Runnable reports whether the scanner can evaluate the rule on its own:
// it is supported and its query is compiled.
func (r *Rule) Runnable() bool { return r.Supported && r.m != nil }

// Key identifies a rule within a Set: its source and ID. IDs are unique
// within one source only (SigmaHQ reuses some of Elastic's rule ids).
func (r *Rule) Key() string { return r.Source + ":" + r.ID }

// digest returns the hex SHA-256 of parts, each length-prefixed.
func digest(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}
