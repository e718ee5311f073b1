package kql

import (
	"strconv"
	"strings"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Leaf keys and shared leaves: the rule engine evaluates a predicate that
// several rules test (event.provider: "iam.amazonaws.com") once per record.
// LeafKeys names each leaf of a compiled query by what it tests; Share
// returns a Matcher whose leaves with an id note their outcome on the
// record (ecs.Record.Memo) and read it back there.
//
// A key names the predicate's meaning, not its spelling: two leaves with
// one key give the same verdict on every document. Keys start with the
// kind of test; a test that EQL spells with the same meaning has the same
// key there (query.StrEqKey), so the two languages share it.

// leafKey returns the key of a leaf, ok false for a node that is not one.
func leafKey(x expr) (string, bool) {
	switch x := x.(type) {
	case existsExpr:
		return "kql.exists\x00" + x.f.Name, true
	case *anyExpr:
		return anyKey(x)
	}
	return "", false
}

func anyKey(x *anyExpr) (string, bool) {
	var b strings.Builder
	switch p := x.p.(type) {
	case *exactPred:
		if !p.isNum && !p.isBool && query.PlainString(p.s) {
			return query.StrEqKey(x.f.Name, p.s), true
		}
		b.WriteString("kql.eq")
		b.WriteString(strconv.FormatBool(p.isNum))
		b.WriteString(strconv.FormatBool(p.isBool))
		b.WriteByte(0)
		b.WriteString(strconv.Quote(p.s))
	case *pattern:
		b.WriteString("kql.glob\x00")
		b.WriteString(strconv.Quote(p.prefix))
		for _, m := range p.middle {
			b.WriteString(strconv.Quote(m))
		}
		b.WriteString(strconv.Quote(p.suffix))
	case ipPred:
		b.WriteString("kql.ip\x00" + p.a.String())
	case cidrPred:
		b.WriteString("kql.cidr\x00" + p.p.String())
	case *rangePred:
		b.WriteString("kql.range\x00" + p.op + "\x00" + strconv.Quote(p.s))
	default:
		return "", false
	}
	b.WriteByte(0)
	b.WriteString(x.f.Name)
	return b.String(), true
}

// sharedExpr is a leaf whose outcome is noted on the record under id.
type sharedExpr struct {
	id int32
	x  expr
}

func (x *sharedExpr) eval(d query.Doc) bool {
	r, ok := d.(*ecs.Record)
	if !ok {
		return x.x.eval(d)
	}
	if v, ok := r.Memo(x.id); ok {
		return v
	}
	v := x.x.eval(d)
	r.SetMemo(x.id, v)
	return v
}

func (x *sharedExpr) constrain(field string) (query.Constraint, bool) { return x.x.constrain(field) }

// LeafKeys returns the key of every leaf of the query, in evaluation
// order, with repeats.
func (m *Matcher) LeafKeys() []string {
	var keys []string
	walk(m.root, func(x expr) expr {
		if k, ok := leafKey(x); ok {
			keys = append(keys, k)
		}
		return x
	})
	return keys
}

// Share returns a Matcher that evaluates as m does, with each leaf whose
// key id maps noting its outcome on an *ecs.Record (ecs.Record.Memo) under
// that id and reading it from there when the record has it. m is not
// changed.
func (m *Matcher) Share(id func(key string) (int32, bool)) *Matcher {
	root := walk(m.root, func(x expr) expr {
		if k, ok := leafKey(x); ok {
			if n, ok := id(k); ok {
				return &sharedExpr{id: n, x: x}
			}
		}
		return x
	})
	return &Matcher{root: root, fields: m.fields, ast: m.ast}
}

// walk returns a copy of x with every node below the connectives replaced
// by leaf(node); connectives are copied, not shared with x.
func walk(x expr, leaf func(expr) expr) expr {
	switch x := x.(type) {
	case orExpr:
		out := make(orExpr, len(x))
		for i, t := range x {
			out[i] = walk(t, leaf)
		}
		return out
	case andExpr:
		out := make(andExpr, len(x))
		for i, t := range x {
			out[i] = walk(t, leaf)
		}
		return out
	case notExpr:
		return notExpr{walk(x.x, leaf)}
	}
	return leaf(x)
}
