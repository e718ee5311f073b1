package kql

import (
	"fmt"
	"strings"
)

// itemType identifies the type of a lexical item.
type itemType int

const (
	itemError   itemType = iota // error; val is the message
	itemEOF                     // end of input
	itemLParen                  // (
	itemRParen                  // )
	itemLBrace                  // {
	itemRBrace                  // }
	itemColon                   // :
	itemRange                   // <, <=, > or >=
	itemString                  // quoted string; val is the raw text with its quotes
	itemLiteral                 // unquoted literal; val is the raw text, trailing whitespace dropped
	itemOr                      // the keyword or
	itemAnd                     // the keyword and
	itemNot                     // the keyword not
)

// item is one token of a query: its type, byte offset and source text.
type item struct {
	typ itemType
	pos int
	val string
}

func (i item) String() string {
	switch i.typ {
	case itemEOF:
		return "end of query"
	case itemError:
		return i.val
	case itemOr, itemAnd, itemNot:
		return "keyword " + strings.ToLower(i.val)
	case itemString:
		return "quoted string " + i.val
	case itemLiteral:
		return fmt.Sprintf("%q", i.val)
	}
	return fmt.Sprintf("%q", i.val)
}

// stateFn is a lexer state; it returns the next state.
type stateFn func(*lexer) stateFn

// lexer holds the state of the scanner. It runs synchronously: nextItem
// runs state functions until one emits an item.
type lexer struct {
	input   string
	start   int  // start of the current item
	pos     int  // current position
	item    item // the item most recently emitted
	emitted bool
	// operand is true when the last item ends an operand (a literal, a
	// quoted string, ")" or "}"): only then can whitespace followed by
	// or/and be a keyword, because everywhere else the grammar has
	// already consumed the whitespace (Or = Space+ 'or' Space+).
	operand bool
	state   stateFn
}

func lex(input string) *lexer {
	return &lexer{input: input, state: lexAny}
}

// nextItem returns the next item. After itemEOF or itemError it keeps
// returning that item.
func (l *lexer) nextItem() item {
	l.emitted = false
	for l.state != nil {
		l.state = l.state(l)
		if l.emitted {
			return l.item
		}
	}
	return l.item
}

func (l *lexer) emit(t itemType) {
	l.emitVal(t, l.input[l.start:l.pos])
}

func (l *lexer) emitVal(t itemType, val string) {
	l.item = item{t, l.start, val}
	l.emitted = true
	l.start = l.pos
	switch t {
	case itemLiteral, itemString, itemRParen, itemRBrace:
		l.operand = true
	default:
		l.operand = false
	}
}

// errorf emits an error item at offset pos and stops the lexer.
func (l *lexer) errorf(pos int, format string, args ...any) stateFn {
	l.item = item{itemError, pos, fmt.Sprintf(format, args...)}
	l.emitted = true
	return nil
}

// isSpace reports whether c is grammar whitespace (Space = [ \t\r\n]).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// isSpecial reports whether c is one of KQL's special characters.
func isSpecial(c byte) bool {
	return strings.IndexByte(`\():<>"*{}`, c) >= 0
}

// hasWordAt reports whether input[i:] starts with word (ASCII, any case)
// followed by at least one whitespace character.
func hasWordAt(input string, i int, word string) bool {
	j := i + len(word)
	return j < len(input) && strings.EqualFold(input[i:j], word) && isSpace(input[j])
}

// orAndAt returns the keyword (or/and) that starts at i and is followed
// by whitespace, or "".
func orAndAt(input string, i int) string {
	for _, w := range [...]string{"or", "and"} {
		if hasWordAt(input, i, w) {
			return w
		}
	}
	return ""
}

// lexAny scans between items: whitespace, keywords, punctuation.
func lexAny(l *lexer) stateFn {
	spaces := l.pos
	for l.pos < len(l.input) && isSpace(l.input[l.pos]) {
		l.pos++
	}
	spaces = l.pos - spaces
	l.start = l.pos
	if l.pos == len(l.input) {
		l.emitVal(itemEOF, "")
		return nil
	}
	if spaces > 0 && l.operand {
		switch orAndAt(l.input, l.pos) {
		case "or":
			l.pos += 2
			l.emit(itemOr)
			return lexAny
		case "and":
			l.pos += 3
			l.emit(itemAnd)
			return lexAny
		}
	}
	if hasWordAt(l.input, l.pos, "not") {
		l.pos += 3
		l.emit(itemNot)
		return lexAny
	}
	switch c := l.input[l.pos]; c {
	case '(':
		l.pos++
		l.emit(itemLParen)
	case ')':
		l.pos++
		l.emit(itemRParen)
	case '{':
		l.pos++
		l.emit(itemLBrace)
	case '}':
		l.pos++
		l.emit(itemRBrace)
	case ':':
		l.pos++
		l.emit(itemColon)
	case '<', '>':
		l.pos++
		if l.pos < len(l.input) && l.input[l.pos] == '=' {
			l.pos++
		}
		l.emit(itemRange)
	case '"':
		return lexQuote
	default:
		return lexLiteral
	}
	return lexAny
}

// lexQuote scans a quoted string; the opening quote is at l.pos.
func lexQuote(l *lexer) stateFn {
	l.pos++
	for {
		if l.pos >= len(l.input) {
			return l.errorf(l.start, "unterminated quoted string")
		}
		switch l.input[l.pos] {
		case '\\':
			// \" and \\ are the escapes that matter for finding the end;
			// any other backslash pair is skipped whole just as well.
			l.pos += 2
			continue
		case '"':
			l.pos++
			l.emit(itemString)
			return lexAny
		}
		l.pos++
	}
}

// lexLiteral scans an unquoted literal. It ends at a special character,
// where whitespace, or/and, whitespace begins, or where not followed by
// whitespace begins; trailing whitespace is left out of the item.
func lexLiteral(l *lexer) stateFn {
	in := l.input
scan:
	for l.pos < len(in) {
		c := in[l.pos]
		switch {
		case isSpace(c):
			end := l.pos
			for end < len(in) && isSpace(in[end]) {
				end++
			}
			if orAndAt(in, end) != "" {
				break scan
			}
			l.pos = end
			continue
		case hasWordAt(in, l.pos, "not"):
			break scan
		case c == '*':
			l.pos++
			continue
		case c == '\\':
			n := escapeLen(in[l.pos:])
			if n == 0 {
				return l.errorf(l.pos, "invalid escape %q in unquoted literal", escapeNear(in[l.pos:]))
			}
			l.pos += n
			continue
		case isSpecial(c):
			break scan
		}
		l.pos++
	}
	if l.pos == l.start {
		return l.errorf(l.pos, "unexpected %q", in[l.pos:l.pos+1])
	}
	end := l.pos
	for end > l.start && isSpace(in[end-1]) {
		end--
	}
	l.emitVal(itemLiteral, in[l.start:end])
	return lexAny
}

// escapeLen returns the length of the unquoted-literal escape that s
// starts with (s[0] is a backslash), or 0 when it is not one. The
// alternatives are tried in the grammar's order: \t \r \n, a special
// character, \uXXXX, then \or \and \not.
func escapeLen(s string) int {
	if len(s) < 2 {
		return 0
	}
	switch c := s[1]; {
	case c == 't' || c == 'r' || c == 'n':
		return 2
	case isSpecial(c):
		return 2
	case c == 'u' && len(s) >= 6 && isHex4(s[2:6]):
		return 6
	}
	for _, w := range [...]string{"or", "and", "not"} {
		if len(s) >= 1+len(w) && strings.EqualFold(s[1:1+len(w)], w) {
			return 1 + len(w)
		}
	}
	return 0
}

func escapeNear(s string) string {
	if len(s) > 2 {
		return s[:2]
	}
	return s
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
