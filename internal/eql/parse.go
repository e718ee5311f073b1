package eql

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/query"
)

// parser is a recursive-descent parser with one token of lookahead.
type parser struct {
	input string
	lex   *lexer
	tok   item
	depth int
}

// Parse parses an EQL query. Errors are *query.SyntaxError; nesting deeper
// than query.MaxDepth is one, wrapping query.ErrTooDeep.
func Parse(src string) (q *Query, err error) {
	p := &parser{input: src, lex: lex(src)}
	defer query.Recover(&err)
	p.advance()
	parsed := p.query()
	if p.tok.typ != itemEOF {
		p.fail("unexpected %s after the query", p.tok)
	}
	return parsed, nil
}

func (p *parser) advance() {
	p.tok = p.lex.next()
	if p.tok.typ == itemError {
		p.failAt(p.tok.pos, "%s", p.tok.val)
	}
}

func (p *parser) fail(format string, args ...any) { p.failAt(p.tok.pos, format, args...) }

func (p *parser) failAt(pos int, format string, args ...any) {
	panic(query.Errorf(p.input, pos, format, args...))
}

// deeper counts one more level of nesting, failing past query.MaxDepth.
func (p *parser) deeper() {
	p.depth++
	if p.depth > query.MaxDepth {
		panic(query.TooDeep(p.input, p.tok.pos))
	}
}

// is reports whether the current token is the operator or keyword s.
func (p *parser) is(s string) bool {
	switch p.tok.typ {
	case itemOp:
		return p.tok.val == s
	case itemIdent:
		return strings.EqualFold(p.tok.val, s) && keywords[strings.ToLower(s)]
	}
	return false
}

func (p *parser) expect(s string) {
	if !p.is(s) {
		p.fail("expected %q, found %s", s, p.tok)
	}
	p.advance()
}

// query = sequence | eventQuery
func (p *parser) query() *Query {
	if p.is("sequence") {
		return &Query{Sequence: p.sequence()}
	}
	return &Query{Event: p.eventQuery()}
}

// sequence = "sequence" ["by" fields] ["with" "maxspan" "=" duration] step step {step}
func (p *parser) sequence() *Sequence {
	p.advance()
	s := &Sequence{}
	if p.is("by") {
		p.advance()
		s.By = p.fields()
	}
	if p.is("with") {
		p.advance()
		p.expect("maxspan")
		p.expect("=")
		if p.tok.typ != itemNumber {
			p.fail("expected a duration, found %s", p.tok)
		}
		d, err := ParseDuration(p.tok.val)
		if err != nil {
			p.fail("%v", err)
		}
		s.MaxSpan = d
		p.advance()
	}
	for p.is("[") {
		s.Steps = append(s.Steps, p.step())
	}
	if len(s.Steps) < 2 {
		p.fail("a sequence needs at least two [queries], found %s", p.tok)
	}
	if p.is("until") {
		p.fail("sequence ... until is not supported")
	}
	return s
}

// step = "[" eventQuery "]" ["by" fields]
func (p *parser) step() *Step {
	p.expect("[")
	st := &Step{Query: p.eventQuery()}
	p.expect("]")
	if p.is("by") {
		p.advance()
		st.By = p.fields()
	}
	return st
}

// fields = field {"," field}
func (p *parser) fields() []string {
	var out []string
	for {
		if p.tok.typ != itemIdent || keywords[strings.ToLower(p.tok.val)] {
			p.fail("expected a field name, found %s", p.tok)
		}
		out = append(out, p.tok.val)
		p.advance()
		if !p.is(",") {
			return out
		}
		p.advance()
	}
}

// eventQuery = category "where" expr
func (p *parser) eventQuery() *EventQuery {
	var cat string
	switch {
	case p.tok.typ == itemString:
		cat = p.tok.val
	case p.tok.typ == itemIdent && (!keywords[strings.ToLower(p.tok.val)] || strings.EqualFold(p.tok.val, "any")):
		cat = p.tok.val
		if strings.EqualFold(cat, "any") {
			cat = "any"
		}
	default:
		p.fail("expected an event category, found %s", p.tok)
	}
	p.advance()
	p.expect("where")
	return &EventQuery{Category: cat, Cond: p.or()}
}

// or = and {"or" and}
func (p *parser) or() Expr {
	x := p.and()
	if !p.is("or") {
		return x
	}
	l := &Logic{Op: "or", X: []Expr{x}}
	for p.is("or") {
		p.advance()
		l.X = append(l.X, p.and())
	}
	return l
}

// and = not {"and" not}
func (p *parser) and() Expr {
	x := p.not()
	if !p.is("and") {
		return x
	}
	l := &Logic{Op: "and", X: []Expr{x}}
	for p.is("and") {
		p.advance()
		l.X = append(l.X, p.not())
	}
	return l
}

// not = "not" not | comparison
func (p *parser) not() Expr {
	if p.is("not") {
		p.advance()
		p.deeper()
		x := p.not()
		p.depth--
		return &Not{X: x}
	}
	return p.comparison()
}

// comparison = value [cmpop value | ["not"] "in" ["~"] list | patop (value | list)]
func (p *parser) comparison() Expr {
	x := p.value()
	switch {
	case p.tok.typ == itemOp && (p.tok.val == "==" || p.tok.val == "!=" || p.tok.val == "<" || p.tok.val == "<=" || p.tok.val == ">" || p.tok.val == ">="):
		op := p.tok.val
		p.advance()
		return &Compare{Op: op, L: x, R: p.value()}
	case p.is("not") || p.is("in"):
		in := &In{X: x}
		if p.is("not") {
			in.Negated = true
			p.advance()
			if !p.is("in") {
				p.fail("expected \"in\" after \"not\", found %s", p.tok)
			}
		}
		p.advance()
		in.Insensitive = p.tilde()
		if !p.is("(") {
			p.fail("expected a parenthesised list after in, found %s", p.tok)
		}
		in.List = p.list()
		return in
	case p.is(":") || p.is("like") || p.is("regex"):
		op := strings.ToLower(p.tok.val)
		p.advance()
		if op != ":" && p.tilde() {
			op += "~"
		}
		pt := &Pattern{Op: op, X: x}
		if p.is("(") {
			pt.Paren = true
			pt.List = p.list()
		} else {
			pt.List = []Expr{p.value()}
		}
		return pt
	}
	return x
}

// tilde consumes an optional "~" directly after the previous token.
func (p *parser) tilde() bool {
	if p.is("~") {
		p.advance()
		return true
	}
	return false
}

// list = "(" value {"," value} ")"
func (p *parser) list() []Expr {
	p.expect("(")
	var out []Expr
	for {
		out = append(out, p.value())
		if !p.is(",") {
			break
		}
		p.advance()
	}
	p.expect(")")
	return out
}

// value = literal | ["?"] field | name ["~"] "(" [expr {"," expr}] ")" | "(" or ")"
//
// Parentheses and calls count towards query.MaxDepth, as not does.
func (p *parser) value() Expr {
	t := p.tok
	switch t.typ {
	case itemString:
		p.advance()
		return &Literal{Kind: LitString, Text: t.val}
	case itemNumber:
		if _, err := strconv.ParseFloat(t.val, 64); err != nil {
			p.fail("invalid number %s", t.val)
		}
		p.advance()
		return &Literal{Kind: LitNumber, Text: t.val}
	case itemOp:
		switch t.val {
		case "(":
			p.deeper()
			p.advance()
			x := p.or()
			p.expect(")")
			p.depth--
			return x
		case "?":
			p.advance()
			if p.tok.typ != itemIdent {
				p.fail("expected a field name after ?, found %s", p.tok)
			}
			f := &Field{Name: p.tok.val, Optional: true}
			p.advance()
			return f
		}
	case itemIdent:
		low := strings.ToLower(t.val)
		switch low {
		case "true", "false":
			p.advance()
			return &Literal{Kind: LitBool, Text: low}
		case "null":
			p.advance()
			return &Literal{Kind: LitNull, Text: low}
		}
		if keywords[low] {
			break
		}
		p.advance()
		if p.is("~") || p.is("(") {
			c := &Call{Name: t.val, Insensitive: p.tilde()}
			p.deeper()
			p.expect("(")
			if !p.is(")") {
				for {
					c.Args = append(c.Args, p.or())
					if !p.is(",") {
						break
					}
					p.advance()
				}
			}
			p.expect(")")
			p.depth--
			return c
		}
		return &Field{Name: t.val}
	}
	p.fail("unexpected %s", t)
	return nil
}

// ParseDuration parses an EQL time span: an integer and a unit ms, s, m, h
// or d.
func ParseDuration(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, fmt.Errorf("invalid duration %q (want a number and a unit: ms, s, m, h, d)", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	units := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	u, ok := units[s[i:]]
	if !ok {
		return 0, fmt.Errorf("invalid duration %q (unit must be ms, s, m, h or d)", s)
	}
	return time.Duration(n) * u, nil
}
