package kql

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/trailsweep/trailsweep/internal/query"
)

// Parse parses one KQL query (../shared/spec/KQL.md). An empty or
// all-whitespace query yields *EmptyNode. Errors are *query.SyntaxError;
// nesting deeper than query.MaxDepth (parentheses, braces, not) is one,
// wrapping query.ErrTooDeep.
func Parse(query string) (Node, error) {
	p := &parser{src: query, lex: lex(query)}
	return p.parse()
}

// parser is a recursive-descent parser over the lexer's items with one
// item of lookahead.
type parser struct {
	src    string
	lex    *lexer
	peeked bool
	tok    item
	depth  int
}

func (p *parser) next() item {
	if p.peeked {
		p.peeked = false
		return p.tok
	}
	p.tok = p.lex.nextItem()
	if p.tok.typ == itemError {
		p.fail(p.tok.pos, "%s", p.tok.val)
	}
	return p.tok
}

func (p *parser) peek() item {
	if !p.peeked {
		p.tok = p.next()
		p.peeked = true
	}
	return p.tok
}

// position returns the line and column of byte offset off.
func (p *parser) position(off int) Pos {
	line := 1 + strings.Count(p.src[:off], "\n")
	lineStart := strings.LastIndexByte(p.src[:off], '\n') + 1
	return Pos{line, 1 + utf8.RuneCountInString(p.src[lineStart:off])}
}

func (p *parser) fail(off int, format string, args ...any) {
	panic(query.Errorf(p.src, off, format, args...))
}

// unexpected fails at it, saying what was expected.
func (p *parser) unexpected(it item, want string) {
	if want != "" {
		p.fail(it.pos, "unexpected %s, want %s", it, want)
	}
	p.fail(it.pos, "unexpected %s", it)
}

func (p *parser) expect(t itemType, want string) item {
	it := p.next()
	if it.typ != t {
		p.unexpected(it, want)
	}
	return it
}

func (p *parser) enter(it item) {
	p.depth++
	if p.depth > query.MaxDepth {
		panic(query.TooDeep(p.src, it.pos))
	}
}

func (p *parser) leave() { p.depth-- }

// parse parses the whole query.
//
//	start = Space* OrQuery? Space*
func (p *parser) parse() (n Node, err error) {
	defer query.Recover(&err)
	if p.peek().typ == itemEOF {
		return &EmptyNode{}, nil
	}
	root := p.orQuery()
	if it := p.next(); it.typ != itemEOF {
		p.unexpected(it, "")
	}
	return root, nil
}

// orQuery parses
//
//	OrQuery = AndQuery (Or AndQuery)*
func (p *parser) orQuery() Node {
	first := p.andQuery()
	if p.peek().typ != itemOr {
		return first
	}
	or := &OrNode{Pos: nodePos(first), Terms: []Node{first}}
	for p.peek().typ == itemOr {
		p.next()
		or.Terms = append(or.Terms, p.andQuery())
	}
	return or
}

// andQuery parses
//
//	AndQuery = NotQuery (And NotQuery)*
func (p *parser) andQuery() Node {
	first := p.notQuery()
	if p.peek().typ != itemAnd {
		return first
	}
	and := &AndNode{Pos: nodePos(first), Terms: []Node{first}}
	for p.peek().typ == itemAnd {
		p.next()
		and.Terms = append(and.Terms, p.notQuery())
	}
	return and
}

// notQuery parses
//
//	NotQuery = Not SubQuery | SubQuery
func (p *parser) notQuery() Node {
	if it := p.peek(); it.typ == itemNot {
		p.next()
		p.enter(it)
		defer p.leave()
		return &NotNode{Pos: p.position(it.pos), Term: p.subQuery()}
	}
	return p.subQuery()
}

// subQuery parses
//
//	SubQuery = '(' Space* OrQuery Space* ')' | NestedQuery | Expression
func (p *parser) subQuery() Node {
	if it := p.peek(); it.typ == itemLParen {
		p.next()
		p.enter(it)
		defer p.leave()
		n := p.orQuery()
		p.expect(itemRParen, `")"`)
		return n
	}
	return p.expression()
}

// expression parses an expression or a nested query:
//
//	NestedQuery = Field Space* ':' Space* '{' Space* OrQuery Space* '}'
//	Expression  = Field Space* RangeOp Space* Literal
//	            | Field Space* ':' Space* ListOfValues
//	            | ValueExpression
func (p *parser) expression() Node {
	lit := p.literal("a field or a value")
	switch it := p.peek(); it.typ {
	case itemRange:
		p.next()
		val := p.literal("a value")
		if val.Wildcard() {
			p.fail(p.offset(val), "wildcard in range value")
		}
		return &RangeNode{Pos: lit.Pos, Field: lit, Op: it.val, Value: val}
	case itemColon:
		p.next()
		switch v := p.peek(); v.typ {
		case itemLBrace:
			return p.nestedQuery(lit)
		case itemLiteral:
			if v.val == "*" {
				p.next()
				return &ExistsNode{Pos: lit.Pos, Field: lit}
			}
		}
		return &FieldNode{Pos: lit.Pos, Field: lit, Value: p.listOfValues()}
	}
	return p.valueExpression(lit)
}

// offset returns the byte offset of a node's position (for errors).
func (p *parser) offset(l *Literal) int {
	off := 0
	for line := 1; line < l.Pos.Line; line++ {
		off += strings.IndexByte(p.src[off:], '\n') + 1
	}
	for col := 1; col < l.Pos.Col; col++ {
		_, w := utf8.DecodeRuneInString(p.src[off:])
		off += w
	}
	return off
}

// nestedQuery parses the part after the field:
//
//	NestedQuery = Field Space* ':' Space* '{' Space* OrQuery Space* '}'
func (p *parser) nestedQuery(path *Literal) Node {
	it := p.expect(itemLBrace, `"{"`)
	p.enter(it)
	defer p.leave()
	q := p.orQuery()
	p.expect(itemRBrace, `"}"`)
	return &NestedNode{Pos: path.Pos, Path: path, Query: q}
}

// valueExpression parses a field-less term, whose value was read as lit:
//
//	ValueExpression = Value
func (p *parser) valueExpression(lit *Literal) Node {
	return &TermNode{Pos: lit.Pos, Value: lit}
}

// listOfValues parses
//
//	ListOfValues = '(' Space* OrListOfValues Space* ')' | Value
func (p *parser) listOfValues() Node {
	if it := p.peek(); it.typ == itemLParen {
		p.next()
		p.enter(it)
		defer p.leave()
		n := p.orListOfValues()
		p.expect(itemRParen, `")"`)
		return n
	}
	return p.literal("a value")
}

// orListOfValues parses
//
//	OrListOfValues = AndListOfValues (Or AndListOfValues)*
func (p *parser) orListOfValues() Node {
	first := p.andListOfValues()
	if p.peek().typ != itemOr {
		return first
	}
	or := &OrNode{Pos: nodePos(first), Terms: []Node{first}}
	for p.peek().typ == itemOr {
		p.next()
		or.Terms = append(or.Terms, p.andListOfValues())
	}
	return or
}

// andListOfValues parses
//
//	AndListOfValues = NotListOfValues (And NotListOfValues)*
func (p *parser) andListOfValues() Node {
	first := p.notListOfValues()
	if p.peek().typ != itemAnd {
		return first
	}
	and := &AndNode{Pos: nodePos(first), Terms: []Node{first}}
	for p.peek().typ == itemAnd {
		p.next()
		and.Terms = append(and.Terms, p.notListOfValues())
	}
	return and
}

// notListOfValues parses
//
//	NotListOfValues = Not ListOfValues | ListOfValues
func (p *parser) notListOfValues() Node {
	if it := p.peek(); it.typ == itemNot {
		p.next()
		p.enter(it)
		defer p.leave()
		return &NotNode{Pos: p.position(it.pos), Term: p.listOfValues()}
	}
	return p.listOfValues()
}

// literal parses a field name or a value:
//
//	Literal = QuotedString | UnquotedLiteral
func (p *parser) literal(want string) *Literal {
	it := p.next()
	switch it.typ {
	case itemString:
		return &Literal{Pos: p.position(it.pos), Parts: []string{unquote(it.val)}}
	case itemLiteral:
		return unquoted(it.val, p.position(it.pos))
	}
	p.unexpected(it, want)
	return nil
}

func nodePos(n Node) Pos {
	switch n := n.(type) {
	case *OrNode:
		return n.Pos
	case *AndNode:
		return n.Pos
	case *NotNode:
		return n.Pos
	case *FieldNode:
		return n.Pos
	case *ExistsNode:
		return n.Pos
	case *RangeNode:
		return n.Pos
	case *NestedNode:
		return n.Pos
	case *TermNode:
		return n.Pos
	case *Literal:
		return n.Pos
	}
	return Pos{}
}

// unquote decodes a quoted string, quotes included: \" \\ \t \r \n and
// \uXXXX are escapes; any other backslash is kept.
func unquote(raw string) string {
	s := raw[1 : len(raw)-1]
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch e := s[i+1]; e {
		case '"', '\\':
			b.WriteByte(e)
			i++
		case 't':
			b.WriteByte('\t')
			i++
		case 'r':
			b.WriteByte('\r')
			i++
		case 'n':
			b.WriteByte('\n')
			i++
		case 'u':
			if r, n := unicodeEscape(s[i:]); n > 0 {
				b.WriteRune(r)
				i += n - 1
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unicodeEscape decodes the \uXXXX escape that s starts with, joining a
// surrogate pair written as two escapes; it returns the rune and the
// number of bytes read, or 0 when s does not start with an escape. A lone
// surrogate decodes to U+FFFD.
func unicodeEscape(s string) (rune, int) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' || !isHex4(s[2:6]) {
		return 0, 0
	}
	r := hex4(s[2:6])
	if utf16.IsSurrogate(r) {
		if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' && isHex4(s[8:12]) {
			if pair := utf16.DecodeRune(r, hex4(s[8:12])); pair != utf8.RuneError {
				return pair, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

func hex4(s string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unquoted decodes an unquoted literal the lexer accepted: it resolves
// escapes, splits the text at wildcards, trims it and types it.
func unquoted(raw string, pos Pos) *Literal {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '*':
			parts = append(parts, b.String())
			b.Reset()
			continue
		case '\\':
		default:
			b.WriteByte(c)
			continue
		}
		switch e := raw[i+1]; {
		case e == 't':
			b.WriteByte('\t')
			i++
		case e == 'r':
			b.WriteByte('\r')
			i++
		case e == 'n':
			b.WriteByte('\n')
			i++
		case isSpecial(e):
			b.WriteByte(e)
			i++
		case e == 'u' && escapeLen(raw[i:]) == 6:
			r, n := unicodeEscape(raw[i:])
			b.WriteRune(r)
			i += n - 1
		default: // \or \and \not: the keyword as text
			n := escapeLen(raw[i:])
			b.WriteString(raw[i+1 : i+n])
			i += n - 1
		}
	}
	parts = append(parts, b.String())
	parts[0] = strings.TrimLeftFunc(parts[0], isTrimSpace)
	last := len(parts) - 1
	parts[last] = strings.TrimRightFunc(parts[last], isTrimSpace)
	lit := &Literal{Pos: pos, Parts: parts}
	if len(parts) == 1 {
		switch parts[0] {
		case "true", "false":
			lit.Kind = LiteralBool
		case "null":
			lit.Kind = LiteralNull
		}
	}
	return lit
}
