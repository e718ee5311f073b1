package query

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting (parentheses, braces, not, function
// calls) a parser of any of the languages accepts; past it, it fails with a
// SyntaxError wrapping ErrTooDeep rather than recurse further.
const MaxDepth = 100

// ErrTooDeep is wrapped by the SyntaxError of a query nested deeper than
// MaxDepth.
var ErrTooDeep = fmt.Errorf("nested too deeply (more than %d levels)", MaxDepth)

// SyntaxError is a query that does not parse, in any of the languages.
// Line and Col are 1-based, Col counting characters (runes) from the start
// of the line; Text is that line of the query, without its newline.
type SyntaxError struct {
	Line, Col int
	Text      string
	Msg       string
	Err       error // a sentinel the error wraps (ErrTooDeep, a language's own), or nil
}

// Errorf returns the SyntaxError at byte offset off of the query src (off
// is clamped to the query). The message is formatted as by fmt.Errorf: a %w verb
// sets Err.
func Errorf(src string, off int, format string, args ...any) *SyntaxError {
	off = max(0, min(off, len(src)))
	start := strings.LastIndexByte(src[:off], '\n') + 1
	end := strings.IndexByte(src[off:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += off
	}
	text := strings.TrimSuffix(src[start:end], "\r")
	msg := fmt.Errorf(format, args...)
	return &SyntaxError{
		Line: 1 + strings.Count(src[:start], "\n"),
		Col:  1 + utf8.RuneCountInString(src[start:off]),
		Text: text,
		Msg:  msg.Error(),
		Err:  errors.Unwrap(msg),
	}
}

// TooDeep returns the SyntaxError for nesting past MaxDepth at byte offset
// off of src.
func TooDeep(src string, off int) *SyntaxError {
	return Errorf(src, off, "%w", ErrTooDeep)
}

// nearMax is how many characters of the line Error quotes.
const nearMax = 20

// Error returns "line:col: msg near "text"", text being the line from the
// column on, shortened to 20 characters and "…"; without the near part at
// the end of the line.
func (e *SyntaxError) Error() string {
	near := e.Near()
	if near == "" {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%d:%d: %s near %q", e.Line, e.Col, e.Msg, near)
}

// Near returns the line's text from the error's column on, shortened to 20
// characters and "…"; "" at the end of the line.
func (e *SyntaxError) Near() string {
	rest := e.Text
	for i := 1; i < e.Col && rest != ""; i++ {
		_, w := utf8.DecodeRuneInString(rest)
		rest = rest[w:]
	}
	if utf8.RuneCountInString(rest) <= nearMax {
		return rest
	}
	i := 0
	for n := 0; n < nearMax; n++ {
		_, w := utf8.DecodeRuneInString(rest[i:])
		i += w
	}
	return rest[:i] + "…"
}

// Unwrap returns the wrapped sentinel, if any.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Recover, deferred by a recursive-descent parser that unwinds with
// panic(*SyntaxError), stores that error in *err; any other panic goes on.
// The parser's other results keep their zero values, since the panic cut
// their assignment short.
//
//	defer query.Recover(&err)
func Recover(err *error) {
	if r := recover(); r != nil {
		se, ok := r.(*SyntaxError)
		if !ok {
			panic(r)
		}
		*err = se
	}
}
