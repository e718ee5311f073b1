package kql

import "github.com/trailsweep/trailsweep/internal/query"

// Explain evaluates the query over d, as Match does, and returns the
// verdict with the subexpression that decided it, a Node whose String parses
// back: for an `and`, the first term that failed (all of it when every
// term held); for an `or`, the first term that held (all of it when none
// did); for `not q`, `not` and what decided q; for `path: { q }`, the path
// around what decided q; a leaf decides by itself. Terms are tried in the
// order written, so the clause named is the first one a reader would check,
// whatever order Match evaluates them in. It is for explaining one record,
// not for the hot path: each leaf it visits is compiled again.
func (m *Matcher) Explain(d query.Doc) (bool, Node) {
	return explain(m.ast, nil, d)
}

func explain(n Node, prefix *Literal, d query.Doc) (bool, Node) {
	switch n := n.(type) {
	case *AndNode:
		for _, t := range n.Terms {
			if ok, why := explain(t, prefix, d); !ok {
				return false, why
			}
		}
		return true, n
	case *OrNode:
		for _, t := range n.Terms {
			if ok, why := explain(t, prefix, d); ok {
				return true, why
			}
		}
		return false, n
	case *NotNode:
		ok, why := explain(n.Term, prefix, d)
		return !ok, &NotNode{Pos: n.Pos, Term: why}
	case *NestedNode:
		path := n.Path
		if prefix != nil {
			path = &Literal{Parts: joinParts(prefix, n.Path)}
		}
		ok, why := explain(n.Query, path, d)
		return ok, &NestedNode{Pos: n.Pos, Path: n.Path, Query: why}
	}
	c := &compiler{seen: map[string]bool{}}
	x, err := c.query(n, prefix)
	if err != nil { // a subtree of a query that compiled compiles
		return false, n
	}
	return x.eval(d), n
}
