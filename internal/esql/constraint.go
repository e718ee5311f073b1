package esql

import (
	"strings"

	"github.com/trailsweep/trailsweep/internal/kql"
)

// Constraint returns the values source field must have for a record to
// get past the WHERE commands before STATS, ok=false when the query does
// not constrain it (or computes a column of that name first). It is sound,
// and case-sensitive like ==: a record the query keeps always satisfies
// it. The rule index uses it to skip records by event.provider and
// event.action.
func (p *Program) Constraint(field string) (kql.Constraint, bool) {
	for _, cmd := range p.q.Commands {
		switch c := cmd.(type) {
		case *Where:
			if k, ok := constrain(c.Cond, field); ok {
				return k, true
			}
		case *Eval:
			for _, a := range c.Fields {
				if colName(a) == field {
					return kql.Constraint{}, false
				}
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

func constrain(e Expr, field string) (kql.Constraint, bool) {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "AND":
			l, lok := constrain(x.L, field)
			r, rok := constrain(x.R, field)
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
			l, lok := constrain(x.L, field)
			r, rok := constrain(x.R, field)
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
