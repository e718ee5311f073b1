package eql

import "fmt"

// newCallCond builds a callCond and, when every argument after the first
// is a constant, precomputes the texts they give (and each one as a
// one-element list for the tests that take one), so that match allocates
// nothing for the usual stringContains(field, "literal").
func newCallCond(name string, fold bool, args []val, test func(bool, string, []string) bool) *callCond {
	c := &callCond{name: name, fold: fold, args: args, test: test}
	if len(args) < 2 {
		return c
	}
	var rest []string
	for _, a := range args[1:] {
		l, ok := a.(litVal)
		if !ok {
			return c
		}
		if len(l.vs) == 0 {
			if name == "wildcard" {
				continue
			}
			c.never = true // a null argument makes the call false
			return c
		}
		for _, v := range l.vs {
			rest = append(rest, text(v))
		}
	}
	c.lit = true
	c.rest = rest
	for _, r := range rest {
		c.ones = append(c.ones, []string{r})
	}
	return c
}

// mergeCalls merges, among the terms of a disjunction, the calls of one
// function on one field with constant arguments into one call taking all
// their constants: stringContains(f, "a") or stringContains(f, "b") reads
// f once. A call is true when some value of f passes with some constant,
// so the merged call is true exactly when one of the calls was. startsWith
// is left alone, since the rule index reads its one prefix (constrain).
func mergeCalls(xs []cond) []cond {
	var out []cond
	first := map[string]int{} // name, case folding and field → index in out
	for _, x := range xs {
		c, ok := x.(*callCond)
		f, isField := fieldOf(c, ok)
		if !isField || !c.lit || c.never || c.name == "startswith" || c.name == "wildcard" {
			out = append(out, x)
			continue
		}
		key := fmt.Sprintf("%s\x00%v\x00%s", c.name, c.fold, f)
		i, seen := first[key]
		if !seen {
			first[key] = len(out)
			out = append(out, x)
			continue
		}
		m := out[i].(*callCond)
		merged := &callCond{name: m.name, fold: m.fold, test: m.test, lit: true,
			args: append(append([]val(nil), m.args...), c.args[1:]...),
			rest: append(append([]string(nil), m.rest...), c.rest...),
			ones: append(append([][]string(nil), m.ones...), c.ones...)}
		out[i] = merged
	}
	return out
}

// fieldOf returns the name of the field c's first argument reads, false
// when c is not a call (ok false) or its first argument is not a field.
func fieldOf(c *callCond, ok bool) (string, bool) {
	if !ok || len(c.args) < 2 {
		return "", false
	}
	f, isField := c.args[0].(fieldVal)
	return f.f.Name, isField
}
