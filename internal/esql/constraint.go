package esql

import (
	"strings"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/kql"
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
func (p *Program) Constraint(field string) (kql.Constraint, bool) {
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
					return kql.Constraint{}, false
				}
				computed[colName(a)] = true
			}
		case *Rename:
			for _, pr := range c.Pairs {
				if pr.New == field || pr.Old == field {
					return kql.Constraint{}, false
				}
			}
		case *Stats, *Grok, *Dissect, *MvExpand, *Keep, *Drop, *Limit:
			// GROK and DISSECT may name a column like a field; past STATS
			// or KEEP the source is gone.
			return kql.Constraint{}, false
		}
	}
	return kql.Constraint{}, false
}

func constrain(e Expr, field string, computed map[string]bool) (kql.Constraint, bool) {
	if never(e, computed) {
		return kql.Constraint{}, true
	}
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "AND":
			l, lok := constrain(x.L, field, computed)
			r, rok := constrain(x.R, field, computed)
			switch {
			case lok && rok:
				if len(r.Exact)+len(r.Prefixes) < len(l.Exact)+len(l.Prefixes) {
					return r, true
				}
				return l, true
			case lok:
				return l, true
			case rok:
				return r, true
			}
		case "OR":
			l, lok := constrain(x.L, field, computed)
			r, rok := constrain(x.R, field, computed)
			if lok && rok {
				return kql.Constraint{Exact: append(l.Exact, r.Exact...), Prefixes: append(l.Prefixes, r.Prefixes...)}, true
			}
		case "==":
			if s, ok := fieldEquals(x.L, x.R, field); ok {
				return kql.Constraint{Exact: []string{s}}, true
			}
			if s, ok := fieldEquals(x.R, x.L, field); ok {
				return kql.Constraint{Exact: []string{s}}, true
			}
		}
	case *In:
		if ref, ok := x.X.(*Ref); !ok || ref.Name != field || x.Not {
			return kql.Constraint{}, false
		}
		var k kql.Constraint
		for _, v := range x.List {
			lit, ok := v.(*Literal)
			if !ok {
				return kql.Constraint{}, false
			}
			s, ok := lit.Val.(string)
			if !ok {
				return kql.Constraint{}, false
			}
			k.Exact = append(k.Exact, s)
		}
		return k, true
	case *Like:
		if ref, ok := x.X.(*Ref); !ok || ref.Name != field || x.Not || x.RLike {
			return kql.Constraint{}, false
		}
		var k kql.Constraint
		for _, pt := range x.Patterns {
			body := strings.TrimSuffix(pt, "*")
			if strings.ContainsAny(body, `*?\`) {
				return kql.Constraint{}, false
			}
			if body == pt {
				k.Exact = append(k.Exact, pt)
			} else {
				k.Prefixes = append(k.Prefixes, body)
			}
		}
		return k, true
	}
	return kql.Constraint{}, false
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
