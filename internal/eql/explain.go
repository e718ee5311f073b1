package eql

import "github.com/trailsweep/trailsweep/internal/query"

// Explain evaluates the event query over d, as Match does, and returns the
// verdict with the subexpression that decided it, an Expr whose String
// parses back: the category test (`event.category == "iam"`) when the
// record is of another category; for an `and`, the first operand that
// failed (all of it when every operand held); for an `or`, the first that
// held (all of it when none did); for `not x`, `not` and what decided x;
// any other expression decides by itself. For explaining one record, not
// for the hot path: each expression it visits is compiled again.
func (m *Matcher) Explain(d query.Doc) (bool, Expr) {
	if m.catF != "" {
		cat := &Compare{Op: "==", L: &Field{Name: m.catF}, R: &Literal{Kind: LitString, Text: m.q.Category}}
		if ok, why := explain(cat, d); !ok {
			return false, why
		}
	}
	return explain(m.q.Cond, d)
}

func explain(e Expr, d query.Doc) (bool, Expr) {
	switch e := e.(type) {
	case *Logic:
		and := e.Op == "and"
		for _, x := range e.X {
			if ok, why := explain(x, d); ok != and {
				return ok, why
			}
		}
		return and, e
	case *Not:
		ok, why := explain(e.X, d)
		return !ok, &Not{X: why}
	}
	c := &compiler{seen: map[string]bool{}}
	x, err := c.cond(e)
	if err != nil { // a part of a query that compiled compiles
		return false, e
	}
	return x.match(d), e
}
