package sigma

import (
	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
	"slices"
)

// Doc is what a Sigma detection reads: the raw record. It is the concrete
// type, not an interface, so that the per-record callbacks of a match stay
// on the stack.
type Doc = *ecs.Record

// node is a compiled detection expression.
type node interface {
	eval(d Doc) bool
	// constrain returns the values the raw field path (its keys, e.g.
	// ["eventSource"] or ["userIdentity", "type"]) must have, compared
	// after strings.ToLower, when eval is true; ok false when it can hold
	// anything.
	constrain(path []string) (query.Constraint, bool)
}

type (
	andNode   []node
	orNode    []node
	notNode   struct{ x node }
	constNode bool
	// fieldNode is one `field|modifiers: values` entry of a selection.
	fieldNode struct {
		name   string // as written, with modifiers
		path   []string
		vals   []value
		all    bool
		neq    bool
		exists *bool
		rest   []value // vals without the nulls (see split)
		nulls  int     // how many of vals are null
	}
	// keywordNode is a list of values searched in every string of the record.
	keywordNode struct {
		vals []value
		all  bool
	}
)

func (x andNode) eval(d Doc) bool {
	for _, n := range x {
		if !n.eval(d) {
			return false
		}
	}
	return true
}

func (x orNode) eval(d Doc) bool {
	for _, n := range x {
		if n.eval(d) {
			return true
		}
	}
	return false
}

func (x notNode) eval(d Doc) bool { return !x.x.eval(d) }
func (x constNode) eval(Doc) bool { return bool(x) }
func (x keywordNode) eval(d Doc) bool {
	return matchValues(d, x.vals, x.all, nil, true)
}

// candidates calls fn with each scalar of the field at path: the values the
// path reaches (arrays crossed and flattened), and the scalar leaves of any
// object among them; with keyword, every scalar of the record. It stops
// when fn returns false and then returns false. A candidate is passed by
// value (its lazily lowered text is cached in the callee's copy) so that it
// never escapes to the heap.
func candidates(d Doc, path []string, keyword bool, fn func(cand) bool) bool {
	return d.RawValues(path, func(v ecs.RawValue) bool {
		if keyword || v.Kind() == ecs.RawObject {
			return v.Leaves(func(l ecs.RawValue) bool { return fn(newCand(l)) })
		}
		return fn(newCand(v))
	})
}

// matchValues evaluates values against the candidates of path (see
// candidates): any value matching any candidate, or with all, every value
// matching some candidate.
func matchValues(d Doc, vals []value, all bool, path []string, keyword bool) bool {
	if all {
		for i := range vals {
			hit := false
			candidates(d, path, keyword, func(c cand) bool {
				hit = vals[i].match(&c, d)
				return !hit
			})
			if !hit {
				return false
			}
		}
		return len(vals) > 0
	}
	hit := false
	candidates(d, path, keyword, func(c cand) bool {
		for i := range vals {
			if vals[i].match(&c, d) {
				hit = true
				return false
			}
		}
		return true
	})
	return hit
}

func (x *fieldNode) eval(d Doc) bool {
	// One walk of the path: its first few values are kept, so that the
	// comparisons below need not walk it again.
	var buf [4]ecs.RawValue
	n, more, nonNull := 0, false, false
	d.RawValues(x.path, func(v ecs.RawValue) bool {
		if n == len(buf) {
			more = true
			return false
		}
		buf[n] = v
		n++
		if v.Kind() != ecs.RawNull {
			nonNull = true
		}
		return true
	})
	present := n > 0
	if x.exists != nil {
		return present == *x.exists
	}
	if more && !nonNull {
		d.RawValues(x.path, func(v ecs.RawValue) bool {
			if v.Kind() != ecs.RawNull {
				nonNull = true
				return false
			}
			return true
		})
	}
	var list []ecs.RawValue
	if !more {
		list = buf[:n]
	}
	if x.neq {
		// The field has a value, and no value of it equals any listed one.
		return nonNull && !matchValuesIn(d, x.vals, false, x.path, list)
	}
	if x.nulls > 0 {
		if x.all {
			if nonNull {
				return false
			}
			return len(x.rest) == 0
		}
		if !nonNull {
			return true
		}
		if len(x.rest) == 0 {
			return false
		}
	}
	if !nonNull {
		return false
	}
	return matchValuesIn(d, x.rest, x.all, x.path, list)
}

// matchValuesIn is matchValues over list, the values at path already
// collected, when list is not nil.
func matchValuesIn(d Doc, vals []value, all bool, path []string, list []ecs.RawValue) bool {
	if list == nil {
		return matchValues(d, vals, all, path, false)
	}
	each := func(fn func(cand) bool) bool {
		for _, v := range list {
			if v.Kind() == ecs.RawObject {
				if !v.Leaves(func(l ecs.RawValue) bool { return fn(newCand(l)) }) {
					return false
				}
				continue
			}
			if !fn(newCand(v)) {
				return false
			}
		}
		return true
	}
	if all {
		for i := range vals {
			hit := false
			each(func(c cand) bool {
				hit = vals[i].match(&c, d)
				return !hit
			})
			if !hit {
				return false
			}
		}
		return len(vals) > 0
	}
	hit := false
	each(func(c cand) bool {
		for i := range vals {
			if vals[i].match(&c, d) {
				hit = true
				return false
			}
		}
		return true
	})
	return hit
}

// split sets rest and nulls from vals; the compiler calls it once the
// values are known.
func (x *fieldNode) split() {
	x.rest, x.nulls = nil, 0
	for _, v := range x.vals {
		if v.kind == vNull {
			x.nulls++
		} else {
			x.rest = append(x.rest, v)
		}
	}
}

// constrain of a conjunction or a disjunction: query.And and query.Or.
func (x andNode) constrain(path []string) (query.Constraint, bool) {
	return query.And(x, func(n node) (query.Constraint, bool) { return n.constrain(path) })
}

func (x orNode) constrain(path []string) (query.Constraint, bool) {
	return query.Or(x, func(n node) (query.Constraint, bool) { return n.constrain(path) })
}

func (notNode) constrain([]string) (query.Constraint, bool)     { return query.Constraint{}, false }
func (keywordNode) constrain([]string) (query.Constraint, bool) { return query.Constraint{}, false }

func (x constNode) constrain([]string) (query.Constraint, bool) {
	if x {
		return query.Constraint{}, false
	}
	return query.Constraint{}, true // matches nothing
}

// constrain of a field condition on exactly path, with plain or startswith
// values: their literal text (and prefixes up to the first wildcard). The
// empty string is always admitted, since the index sees "" for a key that is
// not a string (an object or array whose leaves could still match).
func (x *fieldNode) constrain(path []string) (query.Constraint, bool) {
	if !slices.Equal(x.path, path) || x.neq || x.exists != nil {
		return query.Constraint{}, false
	}
	c := query.Constraint{Exact: []string{""}}
	vals := x.vals
	if x.all && len(vals) > 0 {
		vals = vals[:1] // every value must match: one of them is enough to pin
	}
	for i := range vals {
		v := &vals[i]
		if v.kind != vStr {
			return query.Constraint{}, false
		}
		for j := range v.alts {
			p, exact := v.alts[j].literalPrefix()
			switch {
			case exact:
				c.Exact = append(c.Exact, p)
			case p != "":
				c.Prefixes = append(c.Prefixes, p)
			default:
				return query.Constraint{}, false
			}
		}
		if v.isNum {
			return query.Constraint{}, false // a number compares numerically too
		}
	}
	return query.Union(c), true
}
