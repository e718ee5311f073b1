package eql

import (
	"strconv"
	"strings"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Leaf keys and shared leaves, as kql.Matcher's (see kql/share.go): a
// comparison of a field with constants is named by what it tests, and
// `field == "s"` with a plain string s has query.StrEqKey, the key of KQL's
// `field: "s"`, which means the same.

// leafKey returns the key of a comparison of one field with constants, ok
// false for other conditions (functions of functions, fields compared with
// fields, connectives).
func leafKey(c cond) (string, bool) {
	var b strings.Builder
	switch c := c.(type) {
	case *cmpCond:
		f, ok := c.l.(fieldVal)
		lit, ok2 := c.r.(litVal)
		if !ok || !ok2 {
			return "", false
		}
		if lit.null {
			if c.op != "==" {
				return "", false
			}
			return "eql.null\x00" + f.f.Name, true
		}
		if s, ok := stringLit(c.r); ok && c.op == "==" && query.PlainString(s) {
			return query.StrEqKey(f.f.Name, s), true
		}
		b.WriteString("eql.cmp\x00" + c.op + "\x00" + f.f.Name)
		writeLits(&b, lit)
	case *inCond:
		f, ok := c.x.(fieldVal)
		if !ok {
			return "", false
		}
		b.WriteString("eql.in\x00" + strconv.FormatBool(c.fold) + "\x00" + f.f.Name)
		for _, it := range c.list {
			lit, ok := it.(litVal)
			if !ok {
				return "", false
			}
			writeLits(&b, lit)
		}
	case *callCond:
		f, ok := fieldOf(c, true)
		if !ok || !c.lit {
			return "", false
		}
		b.WriteString("eql.call\x00" + c.name + "\x00" + strconv.FormatBool(c.fold) + "\x00" + strconv.FormatBool(c.never) + "\x00" + f)
		for _, r := range c.rest {
			b.WriteString(strconv.Quote(r))
		}
	default:
		return "", false
	}
	return b.String(), true
}

// writeLits writes the constants of lit, each with its kind, to b.
func writeLits(b *strings.Builder, lit litVal) {
	b.WriteString("\x00(")
	if lit.null {
		b.WriteString("null")
	}
	for _, v := range lit.vs {
		b.WriteString(strconv.Itoa(int(v.Kind)))
		b.WriteString(strconv.Quote(v.S))
		b.WriteString(strconv.FormatFloat(v.N, 'g', -1, 64))
		b.WriteString(strconv.FormatBool(v.B))
	}
	b.WriteByte(')')
}

// sharedCond is a leaf whose outcome is noted on the record under id.
type sharedCond struct {
	id int32
	c  cond
}

func (x *sharedCond) match(d query.Doc) bool {
	r, ok := d.(*ecs.Record)
	if !ok {
		return x.c.match(d)
	}
	if v, ok := r.Memo(x.id); ok {
		return v
	}
	v := x.c.match(d)
	r.SetMemo(x.id, v)
	return v
}

func (x *sharedCond) constrain(field string) (query.Constraint, bool) { return x.c.constrain(field) }

// LeafKeys returns the key of every leaf of the query that has one, in
// evaluation order, with repeats.
func (m *Matcher) LeafKeys() []string {
	var keys []string
	walk(m.root, func(c cond) cond {
		if k, ok := leafKey(c); ok {
			keys = append(keys, k)
		}
		return c
	})
	return keys
}

// Share returns a Matcher that evaluates as m does, with each leaf whose
// key id maps noting its outcome on an *ecs.Record (ecs.Record.Memo) under
// that id and reading it from there when the record has it. m is not
// changed.
func (m *Matcher) Share(id func(key string) (int32, bool)) *Matcher {
	root := walk(m.root, func(c cond) cond {
		if k, ok := leafKey(c); ok {
			if n, ok := id(k); ok {
				return &sharedCond{id: n, c: c}
			}
		}
		return c
	})
	return &Matcher{root: root, fields: m.fields, q: m.q, catF: m.catF}
}

// walk returns a copy of c with every node below the connectives replaced
// by leaf(node); connectives are copied, not shared with c.
func walk(c cond, leaf func(cond) cond) cond {
	switch c := c.(type) {
	case andCond:
		out := make(andCond, len(c))
		for i, t := range c {
			out[i] = walk(t, leaf)
		}
		return out
	case orCond:
		out := make(orCond, len(c))
		for i, t := range c {
			out[i] = walk(t, leaf)
		}
		return out
	case notCond:
		return notCond{walk(c.x, leaf)}
	}
	return leaf(c)
}
