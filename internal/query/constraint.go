package query

import "strings"

// Constraint says which values a field must have for a query to match: a
// matching document has a value equal to one of Exact or starting with one
// of Prefixes. Both empty means no document matches.
//
// A language reports one through a method Constraint(field) (Constraint, ok
// bool), ok false when the query can match whatever the field holds. It
// must be sound: a document the query matches always satisfies it, since
// the rule index (rule.Set) never evaluates a rule whose constraint a
// record's eventSource, eventName or userIdentity.type fails. Leaves build
// constraints from their literals; And and Or combine them, the same way in
// every language.
type Constraint struct {
	Exact    []string
	Prefixes []string
}

// Admits reports whether the value v satisfies c.
func (c Constraint) Admits(v string) bool {
	for _, e := range c.Exact {
		if v == e {
			return true
		}
	}
	for _, p := range c.Prefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// size is the number of alternatives c admits a value by: the measure And
// minimises.
func (c Constraint) size() int { return len(c.Exact) + len(c.Prefixes) }

// And returns the constraint of a conjunction of terms, from each term's
// constraint (constrain returns ok false for a term that leaves the field
// free): the constrained term with the fewest alternatives, the first of
// them on a tie; ok false when no term is constrained.
//
// It picks one term rather than intersecting them because a field may hold
// several values: `a: x and a: y` matches a document whose a is [x, y], which
// the intersection (nothing) would exclude. Any one term's constraint is
// sound, and the one with the fewest alternatives is the tightest of them.
func And[T any](terms []T, constrain func(T) (Constraint, bool)) (Constraint, bool) {
	var best Constraint
	found := false
	for _, t := range terms {
		c, ok := constrain(t)
		if ok && (!found || c.size() < best.size()) {
			best, found = c, true
		}
	}
	return best, found
}

// Or returns the constraint of a disjunction of terms: the union of every
// term's constraint, ok false as soon as one term leaves the field free (it
// then may match whatever the field holds). The union holds each value
// once, and drops a value (or a longer prefix) that one of its prefixes
// already admits: it admits exactly what the terms admit, with the fewest
// alternatives.
func Or[T any](terms []T, constrain func(T) (Constraint, bool)) (Constraint, bool) {
	cs := make([]Constraint, 0, len(terms))
	for _, t := range terms {
		c, ok := constrain(t)
		if !ok {
			return Constraint{}, false
		}
		cs = append(cs, c)
	}
	return Union(cs...), true
}

// Union returns the constraint a value satisfies when it satisfies any of
// cs, as Or builds it (each value once, none a prefix already admits). A
// leaf that lists values (EQL's in, a Sigma value list) is a disjunction
// and builds its constraint with it.
func Union(cs ...Constraint) Constraint {
	var u Constraint
	for _, c := range cs {
		u.Exact = append(u.Exact, c.Exact...)
		u.Prefixes = append(u.Prefixes, c.Prefixes...)
	}
	return u.normal()
}

// normal returns c without repeated values, without a prefix that a shorter
// one admits, and without an exact value that a prefix admits; the order of
// first occurrence is kept. It admits what c admits.
func (c Constraint) normal() Constraint {
	var out Constraint
	for i, p := range c.Prefixes {
		covered := false
		for j, q := range c.Prefixes {
			// q covers p when p starts with it; of equal prefixes the first stays.
			if j != i && strings.HasPrefix(p, q) && (len(q) < len(p) || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out.Prefixes = append(out.Prefixes, p)
		}
	}
	for i, e := range c.Exact {
		covered := false
		for _, q := range out.Prefixes {
			if strings.HasPrefix(e, q) {
				covered = true
				break
			}
		}
		for _, f := range c.Exact[:i] {
			if covered || f == e {
				covered = true
				break
			}
		}
		if !covered {
			out.Exact = append(out.Exact, e)
		}
	}
	return out
}
