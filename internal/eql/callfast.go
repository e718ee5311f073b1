package eql

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
