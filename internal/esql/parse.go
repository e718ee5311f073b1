package esql

import (
	"strconv"
	"strings"

	"github.com/trailsweep/trailsweep/internal/query"
)

// parser is a recursive-descent parser with one token of lookahead.
type parser struct {
	input string
	lex   *lexer
	tok   item
	depth int
}

// Parse parses an ES|QL query. Errors are *query.SyntaxError.
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

// advanceIn reads the next token in lexer mode m.
func (p *parser) advanceIn(m lexMode) {
	p.lex.mode = m
	p.advance()
	p.lex.mode = modeExpr
}

func (p *parser) fail(format string, args ...any) { p.failAt(p.tok.pos, format, args...) }

func (p *parser) failAt(pos int, format string, args ...any) {
	panic(query.Errorf(p.input, pos, format, args...))
}

// is reports whether the current token is the operator or keyword s.
func (p *parser) is(s string) bool {
	switch p.tok.typ {
	case itemOp:
		return p.tok.val == s
	case itemIdent:
		return strings.EqualFold(p.tok.val, s)
	}
	return false
}

func (p *parser) expect(s string) {
	if !p.is(s) {
		p.fail("expected %q, found %s", s, p.tok)
	}
	p.advance()
}

// query = "FROM" source {"|" command}
func (p *parser) query() *Query {
	if !p.is("from") {
		p.fail("expected FROM, found %s", p.tok)
	}
	q := &Query{From: p.from()}
	for p.is("|") {
		p.advance()
		q.Commands = append(q.Commands, p.command())
	}
	return q
}

// from = "FROM" index {"," index} ["METADATA" name {"," name}]
func (p *parser) from() *From {
	f := &From{}
	for {
		p.advanceIn(modeSource)
		if p.tok.typ != itemPattern && p.tok.typ != itemString {
			p.fail("expected an index pattern, found %s", p.tok)
		}
		f.Indices = append(f.Indices, p.tok.val)
		p.advanceIn(modeSource)
		if p.tok.typ == itemPattern && strings.EqualFold(p.tok.val, "metadata") {
			p.advance()
			f.Metadata = append(f.Metadata, p.name())
			for p.is(",") {
				p.advance()
				f.Metadata = append(f.Metadata, p.name())
			}
			return f
		}
		if p.tok.typ == itemPattern {
			p.fail("unexpected %s: index patterns are separated by commas", p.tok)
		}
		if !p.is(",") {
			return f
		}
	}
}

// name = ident | quotedIdent
func (p *parser) name() string {
	switch p.tok.typ {
	case itemIdent:
		if keywords[strings.ToLower(p.tok.val)] {
			p.fail("expected a name, found keyword %s", p.tok)
		}
	case itemQuoted:
	default:
		p.fail("expected a name, found %s", p.tok)
	}
	n := p.tok.val
	p.advance()
	return n
}

// command = where | eval | stats | keep | drop | rename | sort | limit |
// grok | dissect | mv_expand
func (p *parser) command() Command {
	if p.tok.typ != itemIdent {
		p.fail("expected a command, found %s", p.tok)
	}
	switch strings.ToLower(p.tok.val) {
	case "where":
		p.advance()
		return &Where{Cond: p.expr()}
	case "eval":
		p.advance()
		return &Eval{Fields: p.assigns()}
	case "stats":
		return p.stats()
	case "keep":
		return &Keep{Patterns: p.patterns()}
	case "drop":
		return &Drop{Patterns: p.patterns()}
	case "rename":
		return p.rename()
	case "sort":
		return p.sort()
	case "limit":
		p.advance()
		if p.tok.typ != itemNumber {
			p.fail("expected a row count, found %s", p.tok)
		}
		n, err := strconv.ParseInt(p.tok.val, 10, 64)
		if err != nil || n < 0 {
			p.fail("invalid row count %s", p.tok)
		}
		p.advance()
		return &Limit{N: n}
	case "grok":
		p.advance()
		in := p.primary()
		return &Grok{Input: in, Pattern: p.str()}
	case "dissect":
		p.advance()
		d := &Dissect{Input: p.primary(), Pattern: p.str()}
		if p.is("append_separator") {
			p.advance()
			p.expect("=")
			s := p.str()
			d.Separator = &s
		}
		return d
	case "mv_expand":
		p.advance()
		return &MvExpand{Field: p.name()}
	}
	p.fail("unknown command %s", p.tok)
	return nil
}

func (p *parser) str() string {
	if p.tok.typ != itemString {
		p.fail("expected a string, found %s", p.tok)
	}
	s := p.tok.val
	p.advance()
	return s
}

// assigns = assign {"," assign}
func (p *parser) assigns() []Assign {
	as := []Assign{p.assign()}
	for p.is(",") {
		p.advance()
		as = append(as, p.assign())
	}
	return as
}

// assign = [name "="] expr
func (p *parser) assign() Assign {
	e := p.expr()
	if !p.is("=") {
		return Assign{Expr: e}
	}
	r, ok := e.(*Ref)
	if !ok {
		p.fail("expected a column name before \"=\"")
	}
	p.advance()
	return Assign{Name: r.Name, Expr: p.expr()}
}

// stats = "STATS" [agg {"," agg}] ["BY" assign {"," assign}]
// agg = assign ["WHERE" expr]
func (p *parser) stats() *Stats {
	p.advance()
	s := &Stats{}
	if !p.is("by") && !p.is("|") && p.tok.typ != itemEOF {
		for {
			a := p.assign()
			ag := Agg{Name: a.Name, Expr: a.Expr}
			if p.is("where") {
				p.advance()
				ag.Filter = p.expr()
			}
			s.Aggs = append(s.Aggs, ag)
			if !p.is(",") {
				break
			}
			p.advance()
		}
	}
	if p.is("by") {
		p.advance()
		s.By = p.assigns()
	}
	if len(s.Aggs) == 0 && len(s.By) == 0 {
		p.fail("STATS needs an aggregate or BY, found %s", p.tok)
	}
	return s
}

// patterns = pattern {"," pattern}, after KEEP or DROP
func (p *parser) patterns() []string {
	var out []string
	for {
		p.advanceIn(modePattern)
		if p.tok.typ != itemPattern {
			p.fail("expected a column name or pattern, found %s", p.tok)
		}
		out = append(out, p.tok.val)
		p.advance()
		if !p.is(",") {
			return out
		}
	}
}

// rename = "RENAME" name "AS" name {"," name "AS" name}
func (p *parser) rename() *Rename {
	r := &Rename{}
	for {
		p.advance()
		old := p.name()
		p.expect("as")
		r.Pairs = append(r.Pairs, RenamePair{Old: old, New: p.name()})
		if !p.is(",") {
			return r
		}
	}
}

// sort = "SORT" key {"," key}; key = expr ["ASC"|"DESC"] ["NULLS" ("FIRST"|"LAST")]
func (p *parser) sort() *Sort {
	s := &Sort{}
	for {
		p.advance()
		k := SortKey{Expr: p.expr()}
		if p.is("asc") {
			p.advance()
		} else if p.is("desc") {
			p.advance()
			k.Desc = true
		}
		if p.is("nulls") {
			p.advance()
			switch {
			case p.is("first"):
				k.Nulls = "FIRST"
			case p.is("last"):
				k.Nulls = "LAST"
			default:
				p.fail("expected FIRST or LAST, found %s", p.tok)
			}
			p.advance()
		}
		s.Keys = append(s.Keys, k)
		if !p.is(",") {
			return s
		}
	}
}

func (p *parser) enter() {
	p.depth++
	if p.depth > query.MaxDepth {
		panic(query.TooDeep(p.input, p.tok.pos))
	}
}

func (p *parser) leave() { p.depth-- }

// expr = andExpr {"OR" andExpr}
func (p *parser) expr() Expr {
	p.enter()
	defer p.leave()
	e := p.and()
	for p.is("or") {
		p.advance()
		e = &Binary{Op: "OR", L: e, R: p.and()}
	}
	return e
}

// andExpr = notExpr {"AND" notExpr}
func (p *parser) and() Expr {
	e := p.not()
	for p.is("and") {
		p.advance()
		e = &Binary{Op: "AND", L: e, R: p.not()}
	}
	return e
}

// notExpr = "NOT" notExpr | predicate
func (p *parser) not() Expr {
	if p.is("not") {
		p.enter()
		defer p.leave()
		p.advance()
		return &Unary{Op: "NOT", X: p.not()}
	}
	return p.predicate()
}

// predicate = value [["NOT"] "IN" "(" expr {"," expr} ")" |
// ["NOT"] ("LIKE"|"RLIKE") patterns | "IS" ["NOT"] "NULL"]
// patterns = string | "(" string {"," string} ")"
func (p *parser) predicate() Expr {
	x := p.value()
	not := false
	if p.is("not") {
		p.advance()
		not = true
		if !p.is("in") && !p.is("like") && !p.is("rlike") {
			p.fail("expected IN, LIKE or RLIKE after NOT, found %s", p.tok)
		}
	}
	switch {
	case p.is("in"):
		p.advance()
		p.expect("(")
		in := &In{X: x, Not: not, List: []Expr{p.expr()}}
		for p.is(",") {
			p.advance()
			in.List = append(in.List, p.expr())
		}
		p.expect(")")
		return in
	case p.is("like"), p.is("rlike"):
		l := &Like{X: x, Not: not, RLike: p.is("rlike")}
		p.advance()
		if p.is("(") {
			p.advance()
			l.Patterns = append(l.Patterns, p.str())
			for p.is(",") {
				p.advance()
				l.Patterns = append(l.Patterns, p.str())
			}
			p.expect(")")
		} else {
			l.Patterns = []string{p.str()}
		}
		return l
	case p.is("is"):
		p.advance()
		n := &IsNull{X: x}
		if p.is("not") {
			p.advance()
			n.Not = true
		}
		p.expect("null")
		return n
	}
	return x
}

// value = additive [("=="|"!="|"<"|"<="|">"|">=") additive]
func (p *parser) value() Expr {
	l := p.additive()
	if p.tok.typ == itemOp {
		switch op := p.tok.val; op {
		case "==", "!=", "<", "<=", ">", ">=":
			p.advance()
			return &Binary{Op: op, L: l, R: p.additive()}
		}
	}
	return l
}

// additive = multiplicative {("+"|"-") multiplicative}
func (p *parser) additive() Expr {
	e := p.multiplicative()
	for p.is("+") || p.is("-") {
		op := p.tok.val
		p.advance()
		e = &Binary{Op: op, L: e, R: p.multiplicative()}
	}
	return e
}

// multiplicative = unary {("*"|"/"|"%") unary}
func (p *parser) multiplicative() Expr {
	e := p.unary()
	for p.is("*") || p.is("/") || p.is("%") {
		op := p.tok.val
		p.advance()
		e = &Binary{Op: op, L: e, R: p.unary()}
	}
	return e
}

// unary = ("-"|"+") unary | primary; a minus before a number is part of
// the literal.
func (p *parser) unary() Expr {
	if p.is("-") || p.is("+") {
		p.enter()
		defer p.leave()
		neg := p.is("-")
		p.advance()
		if p.tok.typ == itemNumber {
			text := p.tok.val
			if neg {
				text = "-" + text
			}
			return p.number(text)
		}
		x := p.unary()
		if !neg {
			return x
		}
		return &Unary{Op: "-", X: x}
	}
	return p.primary()
}

// timeUnits are the units of a time-span literal, singular and plural.
var timeUnits = map[string]bool{
	"millisecond": true, "milliseconds": true, "ms": true,
	"second": true, "seconds": true, "sec": true, "s": true,
	"minute": true, "minutes": true, "min": true,
	"hour": true, "hours": true, "h": true,
	"day": true, "days": true, "d": true,
	"week": true, "weeks": true, "w": true,
}

// number reads the number literal text (the current token, with its sign),
// and a time unit after an integer.
func (p *parser) number(text string) Expr {
	pos := p.tok.pos
	p.advance()
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		if p.tok.typ == itemIdent && timeUnits[strings.ToLower(p.tok.val)] {
			u := strings.ToLower(p.tok.val)
			p.advance()
			return &Literal{Val: Span{N: n, Unit: u}}
		}
		return &Literal{Val: n}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.failAt(pos, "invalid number %q", text)
	}
	return &Literal{Val: f}
}

// primary = number [unit] | string | "null" | "true" | "false" |
// name | name "(" [args] ")" | "(" expr ")"
func (p *parser) primary() Expr {
	switch p.tok.typ {
	case itemNumber:
		return p.number(p.tok.val)
	case itemString:
		return &Literal{Val: p.str()}
	case itemQuoted:
		return &Ref{Name: p.name()}
	case itemIdent:
		switch strings.ToLower(p.tok.val) {
		case "null":
			p.advance()
			return &Literal{Val: nil}
		case "true", "false":
			b := strings.EqualFold(p.tok.val, "true")
			p.advance()
			return &Literal{Val: b}
		}
		n := p.name()
		if !p.is("(") {
			return &Ref{Name: n}
		}
		return p.call(n)
	case itemOp:
		if p.is("(") {
			p.advance()
			e := p.expr()
			p.expect(")")
			return e
		}
	}
	p.fail("unexpected %s", p.tok)
	return nil
}

// call = name "(" ["*" | expr {"," expr}] ")"
func (p *parser) call(name string) Expr {
	p.enter()
	defer p.leave()
	if strings.Contains(name, ".") {
		p.fail("invalid function name %q", name)
	}
	c := &Call{Name: strings.ToUpper(name)}
	p.advance()
	if p.is("*") {
		p.advance()
		c.Star = true
		p.expect(")")
		return c
	}
	if p.is(")") {
		p.advance()
		return c
	}
	c.Args = append(c.Args, p.expr())
	for p.is(",") {
		p.advance()
		c.Args = append(c.Args, p.expr())
	}
	p.expect(")")
	return c
}
