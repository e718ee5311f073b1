package sigma

import (
	"fmt"
	"strings"

	"github.com/trailsweep/trailsweep/internal/query"
)

// Leaf keys and shared leaves, as kql.Matcher's (see kql/share.go): a
// field condition (`field|modifiers: values`) or a keyword search is named
// by its path, modifiers and compiled values, so that the same selection
// in two rules is evaluated once per record. Sigma compares raw fields
// case-insensitively, so its keys never equal another language's.

// leafKey returns the key of a field condition or keyword search.
func leafKey(n node) (string, bool) {
	var b strings.Builder
	switch n := n.(type) {
	case *fieldNode:
		fmt.Fprintf(&b, "sigma.field\x00%q\x00%v\x00%v\x00", n.path, n.all, n.neq)
		if n.exists != nil {
			fmt.Fprintf(&b, "%v", *n.exists)
		}
		writeValues(&b, n.vals)
	case keywordNode:
		fmt.Fprintf(&b, "sigma.keyword\x00%v", n.all)
		writeValues(&b, n.vals)
	default:
		return "", false
	}
	return b.String(), true
}

// writeValues writes what decides how each value compares.
func writeValues(b *strings.Builder, vals []value) {
	for i := range vals {
		v := &vals[i]
		fmt.Fprintf(b, "\x00[%d %q %v %q %v %q %q %v %+v %q", v.kind, v.text, v.isNum, v.op, v.num, v.part, v.ref, v.nets, v.mods, v.need)
		if v.re != nil {
			fmt.Fprintf(b, " re%q", v.re.String())
		}
		for j := range v.alts {
			a := &v.alts[j]
			fmt.Fprintf(b, " (%d %v %q", a.kind, a.cased, a.s)
			if a.re != nil {
				fmt.Fprintf(b, " %q", a.re.String())
			}
			b.WriteByte(')')
		}
		b.WriteByte(']')
	}
}

// sharedNode is a leaf whose outcome is noted on the record under id.
type sharedNode struct {
	id int32
	n  node
}

func (x *sharedNode) eval(d Doc) bool {
	if v, ok := d.Memo(x.id); ok {
		return v
	}
	v := x.n.eval(d)
	d.SetMemo(x.id, v)
	return v
}

func (x *sharedNode) constrain(path []string) (query.Constraint, bool) { return x.n.constrain(path) }

// LeafKeys returns the key of every field condition and keyword search of
// the detection, in evaluation order, with repeats.
func (d *Detection) LeafKeys() []string {
	var keys []string
	walk(d.root, func(n node) node {
		if k, ok := leafKey(n); ok {
			keys = append(keys, k)
		}
		return n
	})
	return keys
}

// Share returns a Detection that evaluates as d does, with each leaf whose
// key id maps noting its outcome on the record (ecs.Record.Memo) under that
// id and reading it from there when the record has it. d is not changed.
func (d *Detection) Share(id func(key string) (int32, bool)) *Detection {
	out := *d
	out.root = walk(d.root, func(n node) node {
		if k, ok := leafKey(n); ok {
			if i, ok := id(k); ok {
				return &sharedNode{id: i, n: n}
			}
		}
		return n
	})
	return &out
}

// walk returns a copy of n with every node below the connectives replaced
// by leaf(node); connectives are copied, not shared with n.
func walk(n node, leaf func(node) node) node {
	switch n := n.(type) {
	case andNode:
		out := make(andNode, len(n))
		for i, t := range n {
			out[i] = walk(t, leaf)
		}
		return out
	case orNode:
		out := make(orNode, len(n))
		for i, t := range n {
			out[i] = walk(t, leaf)
		}
		return out
	case notNode:
		return notNode{walk(n.x, leaf)}
	}
	return leaf(n)
}

// RawPaths returns the raw record paths the detection reads (its fields
// and the fields its |fieldref values name), each once, in evaluation
// order. A keyword search reads the whole record: it adds the empty path.
func (d *Detection) RawPaths() [][]string {
	var paths [][]string
	seen := map[string]bool{}
	add := func(p []string) {
		k := strings.Join(p, "\x00")
		if !seen[k] {
			seen[k] = true
			paths = append(paths, p)
		}
	}
	walk(d.root, func(n node) node {
		leaf := n
		if s, ok := n.(*sharedNode); ok {
			leaf = s.n
		}
		switch x := leaf.(type) {
		case *fieldNode:
			add(x.path)
			for _, v := range x.vals {
				if v.ref != nil {
					add(v.ref)
				}
			}
		case keywordNode:
			add([]string{})
		}
		return n
	})
	return paths
}
