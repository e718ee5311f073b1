package eql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// itemType identifies the type of a lexical item.
type itemType int

const (
	itemError  itemType = iota // error; val is the message
	itemEOF                    // end of query
	itemIdent                  // identifier or dotted field name, keywords included
	itemString                 // quoted string; val is the decoded text
	itemNumber                 // number, possibly with a duration unit (15m)
	itemOp                     // operator or punctuation: == != < <= > >= : ( ) [ ] , = ~ ?
)

// item is one token: its type, byte offset and text.
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
	case itemString:
		return fmt.Sprintf("string %q", i.val)
	}
	return fmt.Sprintf("%q", i.val)
}

// stateFn is a lexer state; it returns the next state.
type stateFn func(*lexer) stateFn

// lexer scans a query synchronously: next runs state functions until one
// emits an item.
type lexer struct {
	input   string
	start   int
	pos     int
	item    item
	emitted bool
}

func lex(input string) *lexer { return &lexer{input: input} }

// next returns the next item.
func (l *lexer) next() item {
	l.emitted = false
	for state := lexAny; !l.emitted; {
		state = state(l)
	}
	return l.item
}

func (l *lexer) emit(t itemType, val string) stateFn {
	l.item = item{typ: t, pos: l.start, val: val}
	l.emitted = true
	l.start = l.pos
	return nil
}

func (l *lexer) errorf(format string, args ...any) stateFn {
	l.item = item{typ: itemError, pos: l.start, val: fmt.Sprintf(format, args...)}
	l.emitted = true
	l.pos = len(l.input)
	return nil
}

// lexAny skips blanks and comments and dispatches on the next character.
func lexAny(l *lexer) stateFn {
	for l.pos < len(l.input) {
		c := l.input[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			l.pos++
		case strings.HasPrefix(l.input[l.pos:], "/*"):
			end := strings.Index(l.input[l.pos+2:], "*/")
			if end < 0 {
				l.start = l.pos
				return l.errorf("unterminated comment")
			}
			l.pos += end + 4
		case strings.HasPrefix(l.input[l.pos:], "//"):
			end := strings.IndexByte(l.input[l.pos:], '\n')
			if end < 0 {
				l.pos = len(l.input)
			} else {
				l.pos += end
			}
		default:
			l.start = l.pos
			return lexToken
		}
	}
	l.start = l.pos
	return l.emit(itemEOF, "")
}

func lexToken(l *lexer) stateFn {
	rest := l.input[l.pos:]
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">", ":", "(", ")", "[", "]", ",", "=", "~", "?"} {
		if strings.HasPrefix(rest, op) {
			l.pos += len(op)
			return l.emit(itemOp, op)
		}
	}
	c := rest[0]
	switch {
	case c == '"' || c == '\'':
		return lexString
	case c == '`':
		end := strings.IndexByte(rest[1:], '`')
		if end < 0 {
			return l.errorf("unterminated escaped field name")
		}
		l.pos += end + 2
		return l.emit(itemIdent, rest[1:end+1])
	case c == '-' || (c >= '0' && c <= '9'):
		return lexNumber
	case isIdentStart(c):
		for l.pos < len(l.input) && isIdentChar(l.input[l.pos]) {
			l.pos++
		}
		return l.emit(itemIdent, l.input[l.start:l.pos])
	}
	r, _ := utf8.DecodeRuneInString(l.input[l.pos:])
	return l.errorf("unexpected character %q", r)
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '@' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c == '.' || (c >= '0' && c <= '9')
}

func lexNumber(l *lexer) stateFn {
	if l.input[l.pos] == '-' {
		l.pos++
	}
	digits := l.pos
	for l.pos < len(l.input) && (l.input[l.pos] >= '0' && l.input[l.pos] <= '9' || l.input[l.pos] == '.') {
		l.pos++
	}
	if l.pos == digits {
		return l.errorf("unexpected character '-'")
	}
	// A duration unit (maxspan=15m) sticks to the number.
	for l.pos < len(l.input) && (l.input[l.pos] >= 'a' && l.input[l.pos] <= 'z') {
		l.pos++
	}
	return l.emit(itemNumber, l.input[l.start:l.pos])
}

// lexString reads "…", '…' or """…""" (raw, no escapes).
func lexString(l *lexer) stateFn {
	rest := l.input[l.pos:]
	if strings.HasPrefix(rest, `"""`) {
		end := strings.Index(rest[3:], `"""`)
		if end < 0 {
			return l.errorf("unterminated string")
		}
		l.pos += end + 6
		return l.emit(itemString, rest[3:end+3])
	}
	q := rest[0]
	var b strings.Builder
	for i := 1; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == q:
			l.pos += i + 1
			return l.emit(itemString, b.String())
		case c == '\\':
			if i+1 >= len(rest) {
				return l.errorf("unterminated string")
			}
			i++
			switch e := rest[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '"', '\'':
				b.WriteByte(e)
			default:
				l.pos += i
				return l.errorf("invalid escape \\%c in string", e)
			}
		case c == '\n':
			return l.errorf("newline in string")
		default:
			b.WriteByte(c)
		}
	}
	return l.errorf("unterminated string")
}
