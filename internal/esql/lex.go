package esql

import (
	"fmt"
	"strings"
)

// itemType identifies the type of a lexical item.
type itemType int

const (
	itemError   itemType = iota // error; val is the message
	itemEOF                     // end of query
	itemIdent                   // identifier or dotted name (keywords and command names included)
	itemQuoted                  // `quoted` identifier; val is the name without the backquotes
	itemString                  // "string" or """raw string"""; val is the decoded text
	itemNumber                  // integer or decimal literal
	itemOp                      // operator or punctuation: == != < <= > >= + - * / % ( ) , = |
	itemPattern                 // index pattern (FROM) or name pattern (KEEP, DROP): val as written
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

// lexMode says how the lexer reads names: ES|QL reads index patterns after
// FROM and name patterns (with *) after KEEP and DROP.
type lexMode int

const (
	modeExpr    lexMode = iota
	modeSource          // FROM: index patterns such as logs-aws.cloudtrail-*
	modePattern         // KEEP, DROP: names that may hold *
)

// stateFn is a lexer state; it returns the next state.
type stateFn func(*lexer) stateFn

// lexer scans a query synchronously: next runs state functions until one
// emits an item. The parser sets mode before it asks for the next item.
type lexer struct {
	input   string
	start   int
	pos     int
	mode    lexMode
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
			switch l.mode {
			case modeSource:
				return lexSource
			case modePattern:
				return lexPattern
			}
			return lexToken
		}
	}
	l.start = l.pos
	return l.emit(itemEOF, "")
}

// lexSource reads an index pattern: anything up to a blank, a comma, a pipe
// or a comment.
func lexSource(l *lexer) stateFn {
	if c := l.input[l.pos]; c == ',' || c == '|' {
		l.pos++
		return l.emit(itemOp, string(c))
	}
	if l.input[l.pos] == '"' {
		return lexString
	}
	for l.pos < len(l.input) {
		c := l.input[l.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '|' || c == '"' ||
			strings.HasPrefix(l.input[l.pos:], "//") || strings.HasPrefix(l.input[l.pos:], "/*") {
			break
		}
		l.pos++
	}
	return l.emit(itemPattern, l.input[l.start:l.pos])
}

// lexPattern reads a name that may hold * (KEEP Esql.*), or punctuation.
func lexPattern(l *lexer) stateFn {
	c := l.input[l.pos]
	if !isIdentStart(c) && c != '*' && c != '`' {
		return lexToken
	}
	for l.pos < len(l.input) {
		c := l.input[l.pos]
		switch {
		case isIdentChar(c) || c == '*' || c == '.':
			l.pos++
		case c == '`':
			end := strings.IndexByte(l.input[l.pos+1:], '`')
			if end < 0 {
				return l.errorf("unterminated quoted name")
			}
			l.pos += end + 2
		default:
			return l.emit(itemPattern, l.input[l.start:l.pos])
		}
	}
	return l.emit(itemPattern, l.input[l.start:l.pos])
}

var ops = []string{"==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",", "=", "|"}

func lexToken(l *lexer) stateFn {
	rest := l.input[l.pos:]
	c := rest[0]
	switch {
	case c == '"':
		return lexString
	case c == '`':
		return lexQuoted
	case c >= '0' && c <= '9':
		return lexNumber
	case isIdentStart(c):
		return lexIdent
	}
	for _, op := range ops {
		if strings.HasPrefix(rest, op) {
			l.pos += len(op)
			return l.emit(itemOp, op)
		}
	}
	return l.errorf("unexpected character %q", c)
}

// lexQuoted reads a `quoted` name; two backquotes inside stand for one.
func lexQuoted(l *lexer) stateFn {
	var b strings.Builder
	for i := l.pos + 1; i < len(l.input); i++ {
		if l.input[i] != '`' {
			b.WriteByte(l.input[i])
			continue
		}
		if i+1 < len(l.input) && l.input[i+1] == '`' {
			b.WriteByte('`')
			i++
			continue
		}
		l.pos = i + 1
		if b.Len() == 0 {
			return l.errorf("empty quoted name")
		}
		return l.emit(itemQuoted, b.String())
	}
	return l.errorf("unterminated quoted name")
}

// lexIdent reads a name: parts of letters, digits, _ and @ joined by dots.
func lexIdent(l *lexer) stateFn {
	for l.pos < len(l.input) {
		c := l.input[l.pos]
		if isIdentChar(c) {
			l.pos++
			continue
		}
		if c == '.' && l.pos+1 < len(l.input) && isIdentStart(l.input[l.pos+1]) {
			l.pos++
			continue
		}
		break
	}
	return l.emit(itemIdent, l.input[l.start:l.pos])
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '@' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lexNumber reads 12, 1.5, 1e3 or 2.5E-1.
func lexNumber(l *lexer) stateFn {
	for l.pos < len(l.input) && isDigit(l.input[l.pos]) {
		l.pos++
	}
	if l.pos+1 < len(l.input) && l.input[l.pos] == '.' && isDigit(l.input[l.pos+1]) {
		l.pos++
		for l.pos < len(l.input) && isDigit(l.input[l.pos]) {
			l.pos++
		}
	}
	if l.pos < len(l.input) && (l.input[l.pos] == 'e' || l.input[l.pos] == 'E') {
		j := l.pos + 1
		if j < len(l.input) && (l.input[j] == '+' || l.input[j] == '-') {
			j++
		}
		if j < len(l.input) && isDigit(l.input[j]) {
			for l.pos = j; l.pos < len(l.input) && isDigit(l.input[l.pos]); l.pos++ {
			}
		}
	}
	if l.pos < len(l.input) && isIdentStart(l.input[l.pos]) {
		return l.errorf("unexpected %q after a number", l.input[l.start:l.pos+1])
	}
	return l.emit(itemNumber, l.input[l.start:l.pos])
}

// lexString reads "…" (with \" \\ \n \r \t escapes) or """…""" (raw).
func lexString(l *lexer) stateFn {
	rest := l.input[l.pos:]
	if strings.HasPrefix(rest, `"""`) {
		end := strings.Index(rest[3:], `"""`)
		if end < 0 {
			return l.errorf("unterminated string")
		}
		// """a"""" ends at the last of a run of quotes.
		for end+6 < len(rest)+0 && end+3+3 < len(rest) && rest[end+6] == '"' {
			end++
		}
		l.pos += end + 6
		return l.emit(itemString, rest[3:end+3])
	}
	var b strings.Builder
	for i := 1; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '"':
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
			case '\\', '"':
				b.WriteByte(e)
			default:
				l.start = l.pos + i - 1
				return l.errorf("invalid escape \\%c in string", e)
			}
		case c == '\n' || c == '\r':
			return l.errorf("newline in string")
		default:
			b.WriteByte(c)
		}
	}
	return l.errorf("unterminated string")
}
