package sigma

import (
	"strings"

	"github.com/trailsweep/trailsweep/internal/query"
)

// Explain evaluates the detection over doc, as Match does, and returns the
// verdict with the part of the condition that decided it, as condition text:
// for `a and b`, the side that failed (all of it when both held); for
// `a or b` and `1 of x*`, the search that held; for `all of x*`, the search
// that failed; for `not x`, `not` and what decided x. A search names itself,
// and when it failed on one field of a selection, that field
// (`selection (eventName)`). Several conditions are ORed: the first that
// held decides, else each says why it failed, joined by "; ".
func (d *Detection) Explain(doc query.Doc) (bool, string) {
	rd, ok := doc.(Doc)
	if !ok {
		return false, "not a raw record"
	}
	var whys []string
	for _, x := range d.exprs {
		ok, why := d.explain(x, rd)
		if ok {
			return true, why
		}
		whys = append(whys, why)
	}
	return false, strings.Join(whys, "; ")
}

func (d *Detection) explain(x Expr, doc Doc) (bool, string) {
	switch x := x.(type) {
	case Ident:
		return d.search(x.Name, doc)
	case Paren:
		return d.explain(x.X, doc)
	case Not:
		ok, why := d.explain(x.X, doc)
		if strings.ContainsAny(why, " ") && !strings.HasSuffix(why, ")") {
			why = "(" + why + ")"
		}
		return !ok, "not " + why
	case And:
		if ok, why := d.explain(x.L, doc); !ok {
			return false, why
		}
		if ok, why := d.explain(x.R, doc); !ok {
			return false, why
		}
		return true, x.String()
	case Or:
		if ok, why := d.explain(x.L, doc); ok {
			return true, why
		}
		if ok, why := d.explain(x.R, doc); ok {
			return true, why
		}
		return false, x.String()
	case Of:
		for _, name := range d.names {
			if x.Pattern == "them" && strings.HasPrefix(name, "_") || x.Pattern != "them" && !matchPattern(x.Pattern, name) {
				continue
			}
			if ok, why := d.search(name, doc); ok != x.All {
				return ok, why
			}
		}
		return x.All, x.String()
	}
	return false, x.String()
}

// search evaluates one named search; when a selection (an AND of fields)
// fails, it names the first field that did not match.
func (d *Detection) search(name string, doc Doc) (bool, string) {
	n, ok := d.searches[name]
	if !ok {
		return false, name
	}
	if n.eval(doc) {
		return true, name
	}
	switch n := n.(type) {
	case *fieldNode:
		return false, name + " (" + n.name + ")"
	case andNode:
		for _, c := range n {
			if f, ok := c.(*fieldNode); ok && !f.eval(doc) {
				return false, name + " (" + f.name + ")"
			}
		}
	}
	return false, name
}
