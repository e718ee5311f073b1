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

// lintUnknownFields warns about fields a rule's compiled query and
// aggregation read that the ECS view never produces (LintFields).
func lintUnknownFields(r *Rule) []Warning {
	if r.m == nil {
		return nil
	}
	fields := append([]ecs.Field(nil), r.m.Fields()...)
	if r.agg != nil {
		fields = append(append(fields, r.agg.fields...), r.agg.card...)
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return LintFields(r, names)
}

// LintFields returns a Warning for each of the ECS field names a rule of
// any language reads that the view never produces from a CloudTrail record,
// once per name, in the order given, saying why (ecs.Lacks: source.as.*
// without an ASN database, an entity field, a raw CloudTrail name, a typo):
// conditions on them never hold. A language's LintCheck calls it with the
// fields its query reads; r only names the rule in the warnings.
func LintFields(r *Rule, fields []string) []Warning {
	var out []Warning
	seen := map[string]bool{}
	for _, name := range fields {
		if seen[name] {
			continue
		}
		seen[name] = true
		if why, lacks := ecs.Lacks(name); lacks {
			out = append(out, Warning{RuleID: r.ID, RuleName: r.Name, Path: r.Path, Field: name,
				Msg: fmt.Sprintf("reads %s: %s", name, why)})
		}
	}
	return out
}
