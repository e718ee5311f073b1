package query

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// term is a toy query over one multi-valued field, enough to check And and
// Or against brute force: a leaf (equal to exact, or starting with prefix,
// or free: anything goes), or a conjunction or disjunction of terms.
type term struct {
	op   string // "eq", "pre", "free", "and", "or"
	s    string
	kids []term
}

func (t term) match(vals []string) bool {
	switch t.op {
	case "eq":
		return slices.Contains(vals, t.s)
	case "pre":
		return slices.ContainsFunc(vals, func(v string) bool { return strings.HasPrefix(v, t.s) })
	case "free":
		return true
	case "and":
		for _, k := range t.kids {
			if !k.match(vals) {
				return false
			}
		}
		return true
	}
	for _, k := range t.kids {
		if k.match(vals) {
			return true
		}
	}
	return false
}

func (t term) constrain() (Constraint, bool) {
	switch t.op {
	case "eq":
		return Constraint{Exact: []string{t.s}}, true
	case "pre":
		return Constraint{Prefixes: []string{t.s}}, true
	case "free":
		return Constraint{}, false
	case "and":
		return And(t.kids, term.constrain)
	}
	return Or(t.kids, term.constrain)
}

func TestAndOr(t *testing.T) {
	eq := func(s string) term { return term{op: "eq", s: s} }
	pre := func(s string) term { return term{op: "pre", s: s} }
	free := term{op: "free"}
	and := func(k ...term) term { return term{op: "and", kids: k} }
	or := func(k ...term) term { return term{op: "or", kids: k} }
	tests := []struct {
		name string
		t    term
		want string // fmt of the constraint, "free" when ok is false
	}{
		{"and picks the fewest", and(or(eq("a"), eq("b")), eq("c"), or(eq("d"), eq("e"))), "{[c] []}"},
		{"and: first on a tie", and(eq("a"), eq("b")), "{[a] []}"},
		{"and skips free terms", and(free, or(eq("a"), pre("b"))), "{[a] [b]}"},
		{"and of free terms", and(free, free), "free"},
		{"and: matches nothing wins", and(eq("a"), or()), "{[] []}"},
		{"or: union", or(eq("a"), pre("b")), "{[a] [b]}"},
		{"or: one free term frees it", or(eq("a"), free), "free"},
		{"or: repeated values once", or(eq("a"), eq("b"), eq("a"), pre("p"), pre("p")), "{[a b] [p]}"},
		{"or: a prefix covers values", or(eq("CreateUser"), pre("Create"), eq("Delete")), "{[Delete] [Create]}"},
		{"or: a shorter prefix covers", or(pre("Create"), pre("Cr"), pre("Delete")), "{[] [Cr Delete]}"},
		{"or of and", or(and(eq("a"), free), and(free, pre("b"))), "{[a] [b]}"},
		{"or: nested dedup", or(or(eq("a"), eq("b")), or(eq("b"), eq("a"))), "{[a b] []}"},
	}
	for _, tt := range tests {
		c, ok := tt.t.constrain()
		got := "free"
		if ok {
			got = fmt.Sprint(c)
		}
		if got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestConstraintSound checks, over random queries and documents with zero
// to three values, that a document a query matches satisfies its
// constraint, and that Or's union of leaves admits exactly what they match.
func TestConstraintSound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"", "a", "ab", "abc", "b", "ba", "c"}
	var gen func(depth int) term
	gen = func(depth int) term {
		switch n := r.IntN(6); {
		case depth > 3 || n < 2:
			return term{op: "eq", s: words[r.IntN(len(words))]}
		case n == 2:
			return term{op: "pre", s: words[1+r.IntN(len(words)-1)]}
		case n == 3 && depth > 0:
			return term{op: "free"}
		default:
			t := term{op: "and"}
			if n == 5 {
				t.op = "or"
			}
			for range r.IntN(4) {
				t.kids = append(t.kids, gen(depth+1))
			}
			return t
		}
	}
	for range 20000 {
		q := gen(0)
		c, ok := q.constrain()
		var vals []string
		for range r.IntN(4) {
			vals = append(vals, words[r.IntN(len(words))])
		}
		if ok && q.match(vals) && !slices.ContainsFunc(vals, c.Admits) {
			t.Fatalf("query %+v matches %q but its constraint %v admits none", q, vals, c)
		}
		if q.op == "or" && ok && leaves(q) {
			for _, v := range words {
				if got, want := c.Admits(v), q.match([]string{v}); got != want {
					t.Fatalf("or %+v: constraint %v admits %q %v, the terms %v", q, c, v, got, want)
				}
			}
		}
	}
}

func TestUnion(t *testing.T) {
	got := Union(Constraint{Exact: []string{"", "a"}}, Constraint{Exact: []string{"", "ab"}, Prefixes: []string{"a"}}, Constraint{})
	if want := `{[""] ["a"]}`; fmt.Sprintf("%q", got) != want {
		t.Errorf("Union = %v, want %s", got, want)
	}
	got = Union(Constraint{Exact: []string{"", "x"}}, Constraint{Exact: []string{"", "y"}})
	if want := `{["" "x" "y"] []}`; fmt.Sprintf("%q", got) != want {
		t.Errorf("Union = %v, want %s", got, want)
	}
	if got := Union(); got.Exact != nil || got.Prefixes != nil {
		t.Errorf("Union() = %+v, want the constraint nothing satisfies", got)
	}
}

// leaves reports whether t is a disjunction of leaves and disjunctions of
// leaves, whose constraint admits exactly what it matches on one value.
func leaves(t term) bool {
	switch t.op {
	case "eq", "pre":
		return true
	case "or":
		for _, k := range t.kids {
			if !leaves(k) {
				return false
			}
		}
		return true
	}
	return false
}

func TestErrorf(t *testing.T) {
	tests := []struct {
		src       string
		off       int
		line, col int
		text      string
		str       string
	}{
		{"a: b)", 4, 1, 5, "a: b)", `1:5: unexpected ")" near ")"`},
		{"a: (b", 5, 1, 6, "a: (b", `1:6: unexpected ")"`},
		{"a: b and\n  c: d e: f", 16, 2, 8, "  c: d e: f", `2:8: unexpected ")" near "e: f"`},
		{"x\r\ny)", 4, 2, 2, "y)", `2:2: unexpected ")" near ")"`},
		{"\"é\" é: x", 5, 1, 5, "\"é\" é: x", `1:5: unexpected ")" near "é: x"`},
		{"event.action: x) and event.provider: y", 15, 1, 16, "event.action: x) and event.provider: y", `1:16: unexpected ")" near ") and event.provider…"`},
		{"ab", 99, 1, 3, "ab", `1:3: unexpected ")"`},
		{"ab", -1, 1, 1, "ab", `1:1: unexpected ")" near "ab"`},
		{"", 0, 1, 1, "", `1:1: unexpected ")"`},
	}
	for _, tt := range tests {
		e := Errorf(tt.src, tt.off, "unexpected %q", ")")
		if e.Line != tt.line || e.Col != tt.col || e.Text != tt.text || e.Error() != tt.str {
			t.Errorf("Errorf(%q, %d) = %d:%d %q %q; want %d:%d %q %q", tt.src, tt.off, e.Line, e.Col, e.Text, e.Error(), tt.line, tt.col, tt.text, tt.str)
		}
		if e.Err != nil {
			t.Errorf("Errorf(%q, %d) wraps %v", tt.src, tt.off, e.Err)
		}
	}
}

func TestTooDeep(t *testing.T) {
	var err error = TooDeep("((((x", 2)
	if !errors.Is(err, ErrTooDeep) {
		t.Errorf("%v does not wrap ErrTooDeep", err)
	}
	var se *SyntaxError
	if !errors.As(err, &se) || se.Col != 3 || !strings.Contains(se.Msg, "nested too deeply (more than 100 levels)") {
		t.Errorf("TooDeep = %+v", se)
	}
}

// TestRecover: a *SyntaxError panic becomes the error; another panic goes
// on.
func TestRecover(t *testing.T) {
	parse := func(v any) (err error) {
		defer Recover(&err)
		panic(v)
	}
	se := Errorf("a b", 2, "unexpected %q", "b")
	if err := parse(se); err != se {
		t.Errorf("got %v, want the SyntaxError %v", err, se)
	}
	defer func() {
		if r := recover(); r != "other" {
			t.Errorf("recovered %v, want the other panic to go on", r)
		}
	}()
	_ = parse("other")
	t.Error("an other panic was swallowed")
}
