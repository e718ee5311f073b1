package esql

import (
	"strings"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Constraint returns the values source field must have for a record to
// get past the WHERE commands before STATS, ok=false when the query does
// not constrain it (or computes a column of that name first). It is sound,
// and case-sensitive like ==: a record the query keeps always satisfies
// it. The rule index uses it to skip records by event.provider and
// event.action.
//
// A condition that can never hold on the view constrains every field to
// nothing: one on a field the view never produces (always null, so a
// comparison, LIKE or IS NOT NULL is never true) or one requiring a data
// set other than aws.cloudtrail (data_stream.dataset and event.dataset are
// constant).
func (p *Program) Constraint(field string) (query.Constraint, bool) {
	computed := map[string]bool{}
	for _, cmd := range p.q.Commands {
		switch c := cmd.(type) {
		case *Where:
			if k, ok := constrain(c.Cond, field, computed); ok {
				return k, true
			}
		case *Eval:
			for _, a := range c.Fields {
				if colName(a) == field {
					return query.Constraint{}, false
				}
				computed[colName(a)] = true
			}
		case *Rename:
			for _, pr := range c.Pairs {
				if pr.New == field || pr.Old == field {
					return query.Constraint{}, false
				}
			}
		case *Stats, *Grok, *Dissect, *MvExpand, *Keep, *Drop, *Limit:
			// GROK and DISSECT may name a column like a field; past STATS
			// or KEEP the source is gone.
			return query.Constraint{}, false
		}
	}
	return query.Constraint{}, false
}

func constrain(e Expr, field string, computed map[string]bool) (query.Constraint, bool) {
	if never(e, computed) {
		return query.Constraint{}, true
	}
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "AND", "OR":
			terms := []Expr{x.L, x.R}
			each := func(t Expr) (query.Constraint, bool) { return constrain(t, field, computed) }
			if x.Op == "AND" {
				return query.And(terms, each)
			}
			return query.Or(terms, each)
		case "==":
			if s, ok := fieldEquals(x.L, x.R, field); ok {
				return query.Constraint{Exact: []string{s}}, true
			}
			if s, ok := fieldEquals(x.R, x.L, field); ok {
				return query.Constraint{Exact: []string{s}}, true
			}
		}
	case *In:
		if ref, ok := x.X.(*Ref); !ok || ref.Name != field || x.Not {
			return query.Constraint{}, false
		}
		var k query.Constraint
		for _, v := range x.List {
			lit, ok := v.(*Literal)
			if !ok {
				return query.Constraint{}, false
			}
			s, ok := lit.Val.(string)
			if !ok {
				return query.Constraint{}, false
			}
			k.Exact = append(k.Exact, s)
		}
		return query.Union(k), true
	case *Like:
		if ref, ok := x.X.(*Ref); !ok || ref.Name != field || x.Not || x.RLike {
			return query.Constraint{}, false
		}
		var k query.Constraint
		for _, pt := range x.Patterns {
			body := strings.TrimSuffix(pt, "*")
			if strings.ContainsAny(body, `*?\`) {
				return query.Constraint{}, false
			}
			if body == pt {
				k.Exact = append(k.Exact, pt)
			} else {
				k.Prefixes = append(k.Prefixes, body)
			}
		}
		return query.Union(k), true
	}
	return query.Constraint{}, false
}

// fieldEquals reports whether a is the field and b a string literal.
func fieldEquals(a, b Expr, field string) (string, bool) {
	ref, ok := a.(*Ref)
	if !ok || ref.Name != field {
		return "", false
	}
	lit, ok := b.(*Literal)
	if !ok {
		return "", false
	}
	s, ok := lit.Val.(string)
	return s, ok
}

// constantFields are the fields whose value is the same on every record of
// the view.
var constantFields = map[string]string{"data_stream.dataset": "aws.cloudtrail", "event.dataset": "aws.cloudtrail"}

// absent reports whether e names a source field the view never produces.
func absent(e Expr, computed map[string]bool) bool {
	r, ok := e.(*Ref)
	return ok && !computed[r.Name] && !strings.HasPrefix(r.Name, "_") && !ecs.Known(r.Name)
}

// never reports whether condition e is never true on a record of the view.
func never(e Expr, computed map[string]bool) bool {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "==", "!=", "<", "<=", ">", ">=":
			if absent(x.L, computed) || absent(x.R, computed) {
				return true
			}
			if x.Op == "==" {
				for _, pair := range [][2]Expr{{x.L, x.R}, {x.R, x.L}} {
					if r, ok := pair[0].(*Ref); ok && !computed[r.Name] {
						if v, ok := constantFields[r.Name]; ok {
							if s, ok := fieldEquals(pair[0], pair[1], r.Name); ok && s != v {
								return true
							}
						}
					}
				}
			}
		}
	case *In:
		if absent(x.X, computed) {
			return true
		}
		r, ok := x.X.(*Ref)
		v, constant := "", false
		if ok && !computed[r.Name] {
			v, constant = constantFields[r.Name]
		}
		if !constant || x.Not {
			return false
		}
		for _, e := range x.List {
			lit, ok := e.(*Literal)
			if !ok {
				return false
			}
			if s, ok := lit.Val.(string); !ok || s == v {
				return false
			}
		}
		return true
	case *Like:
		return absent(x.X, computed)
	case *IsNull:
		return x.Not && absent(x.X, computed)
	}
	return false
}
