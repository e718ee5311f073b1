package eql

import (
	"strconv"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/strlit"
)

// Query is a parsed EQL query: an event query, or a sequence of them.
// Exactly one of Event and Sequence is set. String prints text that parses
// back to the same tree.
type Query struct {
	Event    *EventQuery
	Sequence *Sequence
}

// EventQuery is `CATEGORY where CONDITION`; Category "any" matches every
// event.
type EventQuery struct {
	Category string
	Cond     Expr
}

// Sequence is `sequence [by F, …] [with maxspan=D] [Q] [by F, …] …`.
type Sequence struct {
	By      []string
	MaxSpan time.Duration // 0: unbounded
	Steps   []*Step
}

// Step is one bracketed event query of a sequence with its own join keys.
type Step struct {
	Query *EventQuery
	By    []string
}

// Expr is a node of a condition: *Logic, *Not, *Compare, *In, *Pattern,
// *Call, *Field or *Literal.
type Expr interface {
	String() string
}

// Logic is a chain of two or more operands joined by "and" or "or".
type Logic struct {
	Op string // "and" or "or"
	X  []Expr
}

// Not is `not X`.
type Not struct{ X Expr }

// Compare is `L op R` for ==, !=, <, <=, > and >=.
type Compare struct {
	Op   string
	L, R Expr
}

// In is `X [not] in[~] (V, …)`.
type In struct {
	X                    Expr
	Negated, Insensitive bool
	List                 []Expr
}

// Pattern is `X : V`, `X : (V, …)`, and the like, like~, regex and regex~
// forms.
type Pattern struct {
	Op   string // ":", "like", "like~", "regex", "regex~"
	X    Expr
	List []Expr
	// Paren records that the right-hand side was a parenthesised list.
	Paren bool
}

// Call is a function call; Insensitive is the ~ suffix.
type Call struct {
	Name        string
	Insensitive bool
	Args        []Expr
}

// Field is a field reference; Optional is the ? prefix.
type Field struct {
	Name     string
	Optional bool
}

// Literal kinds.
const (
	LitString = iota
	LitNumber
	LitBool
	LitNull
)

// Literal is a string, number, boolean or null constant. Text is the
// decoded string, or the number, boolean or null as written.
type Literal struct {
	Kind int
	Text string
}

func (q *Query) String() string {
	if q.Sequence != nil {
		return q.Sequence.String()
	}
	return q.Event.String()
}

func (e *EventQuery) String() string {
	return quoteCategory(e.Category) + " where " + e.Cond.String()
}

func quoteCategory(c string) string {
	if c == "" || !isIdentStart(c[0]) || strings.ContainsFunc(c, func(r rune) bool { return r > 127 || !isIdentChar(byte(r)) || r == '.' }) {
		return strlit.Quote(c)
	}
	return c
}

func (s *Sequence) String() string {
	var b strings.Builder
	b.WriteString("sequence")
	if len(s.By) > 0 {
		b.WriteString(" by " + fieldList(s.By))
	}
	if s.MaxSpan > 0 {
		b.WriteString(" with maxspan=" + FormatDuration(s.MaxSpan))
	}
	for _, st := range s.Steps {
		b.WriteString(" [" + st.Query.String() + "]")
		if len(st.By) > 0 {
			b.WriteString(" by " + fieldList(st.By))
		}
	}
	return b.String()
}

func fieldList(fs []string) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fieldName(f)
	}
	return strings.Join(out, ", ")
}

// FormatDuration prints d in the largest EQL unit (d, h, m, s, ms) that
// divides it.
func FormatDuration(d time.Duration) string {
	for _, u := range []struct {
		s string
		d time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.s
		}
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// prec orders operators: a child of lower precedence is parenthesised.
func prec(e Expr) int {
	switch e := e.(type) {
	case *Logic:
		if e.Op == "or" {
			return 1
		}
		return 2
	case *Not:
		return 3
	case *Compare, *In, *Pattern:
		return 4
	}
	return 5
}

func wrap(e Expr, min int) string {
	if prec(e) < min {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func (e *Logic) String() string {
	p := prec(e)
	parts := make([]string, len(e.X))
	for i, x := range e.X {
		parts[i] = wrap(x, p+1)
	}
	return strings.Join(parts, " "+e.Op+" ")
}

func (e *Not) String() string { return "not " + wrap(e.X, 3) }

func (e *Compare) String() string {
	return wrap(e.L, 5) + " " + e.Op + " " + wrap(e.R, 5)
}

func list(xs []Expr) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = wrap(x, 5)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func (e *In) String() string {
	op := "in"
	if e.Negated {
		op = "not in"
	}
	if e.Insensitive {
		op += "~"
	}
	return wrap(e.X, 5) + " " + op + " " + list(e.List)
}

func (e *Pattern) String() string {
	rhs := list(e.List)
	if !e.Paren && len(e.List) == 1 {
		rhs = wrap(e.List[0], 5)
	}
	return wrap(e.X, 5) + " " + e.Op + " " + rhs
}

func (e *Call) String() string {
	name := e.Name
	if e.Insensitive {
		name += "~"
	}
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

func (e *Field) String() string {
	if e.Optional {
		return "?" + fieldName(e.Name)
	}
	return fieldName(e.Name)
}

// fieldName escapes a name with backticks when it is not a plain identifier
// or collides with a keyword.
func fieldName(n string) string {
	plain := n != "" && isIdentStart(n[0]) && !keywords[n]
	for i := 0; plain && i < len(n); i++ {
		plain = isIdentChar(n[i])
	}
	if plain {
		return n
	}
	return "`" + n + "`"
}

func (e *Literal) String() string {
	if e.Kind == LitString {
		return strlit.Quote(e.Text)
	}
	return e.Text
}

// keywords may not be used as bare field names.
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "where": true, "sequence": true,
	"by": true, "with": true, "until": true, "like": true, "regex": true,
	"true": true, "false": true, "null": true, "any": true, "maxspan": true,
}
