package kql

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trailsweep/trailsweep/internal/strlit"
)

// Pos is the 1-based line and column (in runes) where a node starts.
type Pos struct {
	Line, Col int
}

// EmptyNode is the empty query; it matches every document.
type EmptyNode struct{}

// OrNode is a disjunction of two or more terms. At query level the terms
// are queries; inside a value list (FieldNode.Value) they are value trees.
type OrNode struct {
	Pos   Pos
	Terms []Node
}

// AndNode is a conjunction of two or more terms, like OrNode.
type AndNode struct {
	Pos   Pos
	Terms []Node
}

// NotNode negates its term, a query or (inside a value list) a value tree.
type NotNode struct {
	Pos  Pos
	Term Node
}

// FieldNode is `field: value` or `field: (value list)`. Value is a
// *Literal, or an *OrNode, *AndNode or *NotNode whose leaves are
// *Literal; each leaf means `field: leaf`.
type FieldNode struct {
	Pos   Pos
	Field *Literal
	Value Node
}

// ExistsNode is `field: *`, true when the field has a value.
type ExistsNode struct {
	Pos   Pos
	Field *Literal
}

// RangeNode is `field op value` with op one of <, <=, >, >=.
type RangeNode struct {
	Pos   Pos
	Field *Literal
	Op    string
	Value *Literal
}

// NestedNode is `path: { query }`; the field names of Query are relative
// to Path.
type NestedNode struct {
	Pos   Pos
	Path  *Literal
	Query Node
}

// TermNode is a field-less term (a value with no field). It parses, but
// Compile rejects it.
type TermNode struct {
	Pos   Pos
	Value *Literal
}

// LiteralKind is the type of a literal.
type LiteralKind uint8

const (
	// LiteralText is a string: quoted, or unquoted and not one below.
	LiteralText LiteralKind = iota
	// LiteralBool is the unquoted literal true or false.
	LiteralBool
	// LiteralNull is the unquoted literal null.
	LiteralNull
)

// Literal is a value or a field name with its escapes resolved. Parts is
// the text split at its wildcards: an unquoted `a*b*` has Parts
// ["a", "b", ""]; a literal without wildcards (every quoted string) has
// exactly one part.
type Literal struct {
	Pos   Pos
	Kind  LiteralKind
	Parts []string
}

// Text returns the literal's text with each wildcard written as "*".
func (l *Literal) Text() string { return strings.Join(l.Parts, "*") }

// Wildcard reports whether the literal contains a wildcard.
func (l *Literal) Wildcard() bool { return len(l.Parts) > 1 }

// isStar reports whether the literal is a lone wildcard.
func (l *Literal) isStar() bool {
	return len(l.Parts) == 2 && l.Parts[0] == "" && l.Parts[1] == ""
}

func (*EmptyNode) String() string { return "" }

func (n *OrNode) String() string {
	var b strings.Builder
	for i, t := range n.Terms {
		if i > 0 {
			b.WriteString(" or ")
		}
		_, paren := t.(*OrNode)
		writeTerm(&b, t, paren)
	}
	return b.String()
}

func (n *AndNode) String() string {
	var b strings.Builder
	for i, t := range n.Terms {
		if i > 0 {
			b.WriteString(" and ")
		}
		writeTerm(&b, t, isBoolean(t))
	}
	return b.String()
}

func (n *NotNode) String() string {
	var b strings.Builder
	b.WriteString("not ")
	_, not := n.Term.(*NotNode)
	writeTerm(&b, n.Term, not || isBoolean(n.Term))
	return b.String()
}

func (n *FieldNode) String() string {
	var b strings.Builder
	b.WriteString(n.Field.String())
	b.WriteString(": ")
	if lit, ok := n.Value.(*Literal); ok && !lit.isStar() {
		// A bare "*" would read back as an ExistsNode; (*) does not.
		b.WriteString(lit.String())
	} else {
		writeTerm(&b, n.Value, true)
	}
	return b.String()
}

func (n *ExistsNode) String() string { return n.Field.String() + ": *" }

func (n *RangeNode) String() string {
	return n.Field.String() + " " + n.Op + " " + n.Value.String()
}

func (n *NestedNode) String() string {
	return n.Path.String() + ": { " + n.Query.String() + " }"
}

func (n *TermNode) String() string { return n.Value.String() }

func isBoolean(n Node) bool {
	switch n.(type) {
	case *OrNode, *AndNode:
		return true
	}
	return false
}

func writeTerm(b *strings.Builder, n Node, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	b.WriteString(n.String())
	if paren {
		b.WriteByte(')')
	}
}

// String prints the literal so that it parses back to the same literal:
// typed literals bare, text bare when that is unambiguous and quoted
// otherwise, wildcard literals unquoted with escapes.
func (l *Literal) String() string {
	switch l.Kind {
	case LiteralBool, LiteralNull:
		return l.Parts[0]
	}
	if !l.Wildcard() {
		if bare(l.Parts[0]) {
			return l.Parts[0]
		}
		return strlit.Quote(l.Parts[0])
	}
	var b strings.Builder
	for i, p := range l.Parts {
		if i > 0 {
			b.WriteByte('*')
		}
		writeUnquoted(&b, p, i == len(l.Parts)-1)
	}
	return b.String()
}

// bare reports whether s can be printed as an unquoted literal as is: it
// is not empty, has no special character and no whitespace (so no keyword
// can start inside it and nothing is trimmed), does not end with "not"
// (which the next whitespace would turn into a keyword) and is not a typed
// literal.
func bare(s string) bool {
	if s == "" || s == "true" || s == "false" || s == "null" {
		return false
	}
	if len(s) >= 3 && strings.EqualFold(s[len(s)-3:], "not") {
		return false
	}
	for _, r := range s {
		if r < utf8.RuneSelf && isSpecial(byte(r)) || isTrimSpace(r) {
			return false
		}
	}
	return true
}

// writeUnquoted writes one part of a wildcard literal with the escapes an
// unquoted literal needs: special characters, \t \r \n, and keywords that
// would otherwise end the literal (or/and after a space as \or \and; not
// with its n as \u006e, since \n is a newline). last says the part ends
// the literal, where what follows may be whitespace.
func writeUnquoted(b *strings.Builder, s string, last bool) {
	// followedBySpace reports whether a keyword ending at j is followed by
	// whitespace, counting the end of the literal as whitespace.
	followedBySpace := func(j int) bool {
		if j == len(s) {
			return last
		}
		return isSpace(s[j])
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i > 0 && s[i-1] == ' ' {
			if w := keywordPrefix(s[i:], "or", "and"); w > 0 && followedBySpace(i+w) {
				b.WriteByte('\\')
				b.WriteString(s[i : i+w])
				i += w - 1
				continue
			}
		}
		if w := keywordPrefix(s[i:], "not"); w > 0 && followedBySpace(i+w) {
			if c == 'n' {
				b.WriteString(`\u006e`)
			} else {
				b.WriteString(`\u004e`)
			}
			continue
		}
		switch {
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\n':
			b.WriteString(`\n`)
		case isSpecial(c):
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
}

// keywordPrefix returns the length of the first of words (any case) that
// s starts with, or 0.
func keywordPrefix(s string, words ...string) int {
	for _, w := range words {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			return len(w)
		}
	}
	return 0
}

// isTrimSpace reports whether r is removed when a literal is trimmed (the
// whitespace of JavaScript's String.prototype.trim).
func isTrimSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\ufeff'
}
