package eql

import (
	"fmt"
	"strings"
)

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
	c.gates = containsGates(c.name, c.fold, c.rest)
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
		merged.gates = containsGates(merged.name, merged.fold, merged.rest)
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

// gate is a substring that each of its needles contains: a text lacking it
// contains none of them.
type gate struct {
	s       string
	needles []string
}

// minGate is the shortest substring worth a gate: a shorter one occurs in
// too many texts to rule a search out.
const minGate = 3

// maxGate bounds the substrings tried as gates, so that a long needle costs
// little to compile.
const maxGate = 16

// containsGates returns the gates of a case-sensitive stringContains with
// constant needles (nil for any other call, or fewer than two needles):
// every needle belongs to exactly one gate, which is a substring of it, so
// a text contains some needle exactly when, for some gate, it contains the
// gate and one of the gate's needles. Needles sharing a substring are then
// looked for only when the text holds it: stringContains(user_agent.original,
// "distrib#kali", "+kali", "kali-amd64") searches a user agent without
// "kali" once rather than three times. Built greedily: the substring (of
// minGate to maxGate bytes) that the most needles not yet in a gate
// contain, the best of them by betterGate, until no two needles share one;
// each needle left is its own gate.
func containsGates(name string, fold bool, needles []string) []gate {
	if name != "stringcontains" || fold || len(needles) < 2 {
		return nil
	}
	left := append([]string(nil), needles...)
	var gates []gate
	for len(left) > 1 {
		count := map[string]int{}
		for _, n := range left {
			seen := map[string]bool{}
			for i := 0; i < len(n); i++ {
				for j := i + minGate; j <= min(len(n), i+maxGate); j++ {
					if sub := n[i:j]; !seen[sub] {
						seen[sub] = true
						count[sub]++
					}
				}
			}
		}
		best, most := "", 1
		for sub, k := range count {
			if k > most || (k == most && most > 1 && betterGate(sub, best)) {
				best, most = sub, k
			}
		}
		if most < 2 {
			break
		}
		g := gate{s: best}
		rest := left[:0:0]
		for _, n := range left {
			if strings.Contains(n, best) {
				g.needles = append(g.needles, n)
			} else {
				rest = append(rest, n)
			}
		}
		gates = append(gates, g)
		left = rest
	}
	for _, n := range left {
		gates = append(gates, gate{s: n, needles: []string{n}})
	}
	return gates
}

// commonBytes lists bytes from the most to the least frequent in the texts
// rules search (user agents, ARNs, names); a byte not listed is rarer than
// all of them.
const commonBytes = " etaoinsrhldcu/.m-:0123456789pfgwybv_kxjqzAWSEPCTIONRMLDHU+()[]"

// betterGate reports whether the substring a makes a better gate than b,
// which the same needles contain: strings.Index looks for a gate's first
// byte, and stops at each occurrence of it, so the rarer that byte the
// better; then the longer, the fewer texts hold it; then the least, for a
// choice that does not depend on map order.
func betterGate(a, b string) bool {
	ra, rb := byteRank(a[0]), byteRank(b[0])
	if ra != rb {
		return ra > rb
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a < b
}

// byteRank ranks c by rarity: the index of c in commonBytes, len(commonBytes)
// when it is not listed.
func byteRank(c byte) int {
	if i := strings.IndexByte(commonBytes, c); i >= 0 {
		return i
	}
	return len(commonBytes)
}

// containsAny reports whether s contains one of the needles of gates.
func containsAny(s string, gates []gate) bool {
	for _, g := range gates {
		if !strings.Contains(s, g.s) {
			continue
		}
		if len(g.needles) == 1 && g.needles[0] == g.s {
			return true
		}
		for _, n := range g.needles {
			if strings.Contains(s, n) {
				return true
			}
		}
	}
	return false
}
