package sigma

import (
	"fmt"
	"strings"

	"github.com/trailsweep/trailsweep/internal/query"
)

// A Sigma condition, e.g. `selection and not 1 of filter_*`.
//
// Grammar (precedence from loosest to tightest: or, and, not):
//
//	condition = or EOF
//	or        = and { "or" and }
//	and       = not { "and" not }
//	not       = "not" not | primary
//	primary   = "(" or ")" | quantifier | IDENT
//	quantifier = ( "1" | "any" | "all" ) "of" ( PATTERN | "them" )
//
// Keywords are lowercase. An aggregation (`| count() by x > 5`, Sigma v1)
// is refused with ErrAggregation.

// Expr is a node of a parsed condition. String prints it back in a form
// that parses to the same tree.
type Expr interface {
	String() string
	expr()
}

type (
	// Ident names one search of the detection.
	Ident struct{ Name string }
	// Not negates X.
	Not struct{ X Expr }
	// And is true when both sides are.
	And struct{ L, R Expr }
	// Or is true when either side is.
	Or struct{ L, R Expr }
	// Paren is a parenthesized expression, kept so that String round-trips.
	Paren struct{ X Expr }
	// Of is `1 of PATTERN` (All false) or `all of PATTERN`; Pattern "them"
	// means every search whose name does not start with "_".
	Of struct {
		All     bool
		Pattern string
	}
)

func (Ident) expr() {}
func (Not) expr()   {}
func (And) expr()   {}
func (Or) expr()    {}
func (Paren) expr() {}
func (Of) expr()    {}

func (x Ident) String() string { return x.Name }
func (x Not) String() string   { return "not " + x.X.String() }
func (x And) String() string   { return x.L.String() + " and " + x.R.String() }
func (x Or) String() string    { return x.L.String() + " or " + x.R.String() }
func (x Paren) String() string { return "(" + x.X.String() + ")" }
func (x Of) String() string {
	if x.All {
		return "all of " + x.Pattern
	}
	return "1 of " + x.Pattern
}

// ErrAggregation is wrapped by the error ParseCondition returns for a Sigma
// v1 aggregation (`… | count() > 5`).
var ErrAggregation = fmt.Errorf("aggregation expressions (| count() …) are not supported; use a correlation rule")

type itemType int

const (
	itemEOF itemType = iota
	itemIdent
	itemAnd
	itemOr
	itemNot
	itemOf
	itemThem
	itemAll
	itemOne // "1" or "any"
	itemLParen
	itemRParen
	itemPipe
	itemError
)

type item struct {
	typ itemType
	pos int // 0-based byte offset
	val string
}

var keywords = map[string]itemType{
	"and": itemAnd, "or": itemOr, "not": itemNot, "of": itemOf, "them": itemThem,
	"all": itemAll, "1": itemOne, "any": itemOne,
}

// lex splits a condition into items, synchronously.
func lex(s string) []item {
	var items []item
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			items = append(items, item{itemLParen, i, "("})
			i++
		case c == ')':
			items = append(items, item{itemRParen, i, ")"})
			i++
		case c == '|':
			items = append(items, item{itemPipe, i, "|"})
			return append(items, item{itemEOF, len(s), ""})
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			w := s[i:j]
			t, ok := keywords[w]
			if !ok {
				t = itemIdent
			}
			items = append(items, item{t, i, w})
			i = j
		default:
			items = append(items, item{itemError, i, string(c)})
			return append(items, item{itemEOF, len(s), ""})
		}
	}
	return append(items, item{itemEOF, len(s), ""})
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == '*' || c == '?' ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
}

type parser struct {
	src   string
	items []item
	i     int
	depth int
}

// ParseCondition parses one condition expression. Errors are
// *query.SyntaxError, wrapping ErrAggregation for an aggregation and
// query.ErrTooDeep for nesting deeper than query.MaxDepth.
func ParseCondition(s string) (Expr, error) {
	p := &parser{src: s, items: lex(s)}
	x, err := p.or()
	if err != nil {
		return nil, err
	}
	if it := p.peek(); it.typ != itemEOF {
		return nil, p.unexpected(it)
	}
	return x, nil
}

func (p *parser) peek() item { return p.items[p.i] }
func (p *parser) next() item {
	it := p.items[p.i]
	if it.typ != itemEOF {
		p.i++
	}
	return it
}

func (p *parser) errorf(it item, format string, a ...any) error {
	return query.Errorf(p.src, it.pos, format, a...)
}

func (p *parser) unexpected(it item) error {
	switch it.typ {
	case itemEOF:
		return p.errorf(it, "unexpected end of condition")
	case itemPipe:
		return p.errorf(it, "%w", ErrAggregation)
	case itemError:
		return p.errorf(it, "unexpected character %q", it.val)
	}
	return p.errorf(it, "unexpected %q", it.val)
}

// or = and { "or" and }
func (p *parser) or() (Expr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().typ == itemOr {
		p.next()
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		x = Or{x, y}
	}
	return x, nil
}

// and = not { "and" not }
func (p *parser) and() (Expr, error) {
	x, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peek().typ == itemAnd {
		p.next()
		y, err := p.not()
		if err != nil {
			return nil, err
		}
		x = And{x, y}
	}
	return x, nil
}

// deeper counts one more level of nesting (a not, a parenthesis) at it,
// failing past query.MaxDepth; the caller decrements p.depth when done.
func (p *parser) deeper(it item) error {
	p.depth++
	if p.depth > query.MaxDepth {
		return query.TooDeep(p.src, it.pos)
	}
	return nil
}

// not = "not" not | primary
func (p *parser) not() (Expr, error) {
	if it := p.peek(); it.typ == itemNot {
		if err := p.deeper(it); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		p.next()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return Not{x}, nil
	}
	return p.primary()
}

// primary = "(" or ")" | quantifier | IDENT
func (p *parser) primary() (Expr, error) {
	it := p.next()
	switch it.typ {
	case itemIdent:
		return Ident{it.val}, nil
	case itemLParen:
		if err := p.deeper(it); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if r := p.next(); r.typ != itemRParen {
			if r.typ == itemEOF {
				return nil, p.errorf(r, "unclosed (")
			}
			return nil, p.unexpected(r)
		}
		return Paren{x}, nil
	case itemOne, itemAll:
		return p.quantifier(it)
	}
	return nil, p.unexpected(it)
}

// quantifier = ( "1" | "any" | "all" ) "of" ( PATTERN | "them" )
func (p *parser) quantifier(q item) (Expr, error) {
	if of := p.next(); of.typ != itemOf {
		return nil, p.errorf(of, "%q must be followed by \"of\"", q.val)
	}
	t := p.next()
	switch t.typ {
	case itemIdent, itemThem:
		return Of{All: q.typ == itemAll, Pattern: t.val}, nil
	}
	return nil, p.unexpected(t)
}

// matchPattern reports whether name matches a quantifier pattern, where *
// matches any run of characters and ? any one.
func matchPattern(pattern, name string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == name
	}
	// Iterative glob with single-star backtracking.
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == name[n]):
			p++
			n++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
