package rule

import (
	"fmt"
	"sort"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// Warning is one finding of `trailsweep rules lint` about one rule.
type Warning struct {
	RuleID, RuleName, Path string
	Field                  string // the field concerned, "" when none
	Msg                    string
}

func (w Warning) String() string {
	where := w.Path
	if where == "" {
		where = w.RuleID
	}
	return fmt.Sprintf("%s (%s): %s", where, w.RuleName, w.Msg)
}

// LintCheck inspects one rule. Other rule languages append their checks to
// LintChecks.
type LintCheck func(r *Rule) []Warning

// LintChecks are the checks Lint runs, in order.
var LintChecks = []LintCheck{lintUnknownFields, lintSigma}

// Lint runs every LintCheck over rules and returns the warnings, sorted by
// path, rule id and field.
func Lint(rules []*Rule) []Warning {
	var out []Warning
	for _, r := range rules {
		for _, c := range LintChecks {
			out = append(out, c(r)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Field < b.Field
	})
	return out
}

// lintUnknownFields warns about fields a rule reads that the ECS view never
// produces from a CloudTrail record (source.as.* without an enrichment
// database, a typo): conditions on them never hold.
func lintUnknownFields(r *Rule) []Warning {
	if r.m == nil {
		return nil
	}
	fields := append([]ecs.Field(nil), r.m.Fields()...)
	if r.agg != nil {
		fields = append(append(fields, r.agg.fields...), r.agg.card...)
	}
	var out []Warning
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.Name] || ecs.Known(f.Name) {
			continue
		}
		seen[f.Name] = true
		out = append(out, Warning{RuleID: r.ID, RuleName: r.Name, Path: r.Path, Field: f.Name,
			Msg: fmt.Sprintf("reads %s, which the ECS view of a CloudTrail record never has", f.Name)})
	}
	return out
}
