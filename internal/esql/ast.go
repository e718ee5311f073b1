package esql

import (
	"math"
	"strconv"
	"strings"
)

// Query is a parsed ES|QL query: a FROM source command and the processing
// commands piped after it. String prints text that parses back to the same
// tree.
type Query struct {
	From     *From
	Commands []Command
}

func (q *Query) String() string {
	var b strings.Builder
	b.WriteString(q.From.String())
	for _, c := range q.Commands {
		b.WriteString(" | ")
		b.WriteString(c.String())
	}
	return b.String()
}

// Command is a processing command: *Where, *Eval, *Stats, *Keep, *Drop,
// *Rename, *Sort, *Limit, *Grok, *Dissect or *MvExpand.
type Command interface {
	String() string
	command()
}

// From is `FROM index, … [METADATA name, …]`.
type From struct {
	Indices  []string
	Metadata []string
}

func (f *From) String() string {
	idx := make([]string, len(f.Indices))
	for i, x := range f.Indices {
		idx[i] = quoteIndex(x)
	}
	s := "FROM " + strings.Join(idx, ", ")
	if len(f.Metadata) > 0 {
		s += " METADATA " + strings.Join(f.Metadata, ", ")
	}
	return s
}

// Where is `WHERE cond`: it keeps the rows for which cond is true.
type Where struct{ Cond Expr }

// Eval is `EVAL name = expr, …`: it appends (or replaces) columns.
type Eval struct{ Fields []Assign }

// Assign is `[name =] expr`. Name is "" when the query gives none; the
// column is then named after the expression's text.
type Assign struct {
	Name string
	Expr Expr
}

// Stats is `STATS [agg, …] [BY group, …]`.
type Stats struct {
	Aggs []Agg
	By   []Assign
}

// Agg is one aggregate of STATS: `[name =] expr [WHERE filter]`.
type Agg struct {
	Name   string
	Expr   Expr
	Filter Expr // nil when none
}

// Keep is `KEEP pattern, …`: the columns named, in the order named.
type Keep struct{ Patterns []string }

// Drop is `DROP pattern, …`.
type Drop struct{ Patterns []string }

// Rename is `RENAME old AS new, …`.
type Rename struct{ Pairs []RenamePair }

// RenamePair is one `old AS new`.
type RenamePair struct{ Old, New string }

// Sort is `SORT key, …`.
type Sort struct{ Keys []SortKey }

// SortKey is `expr [ASC|DESC] [NULLS FIRST|LAST]`. Nulls is "", "FIRST" or
// "LAST".
type SortKey struct {
	Expr  Expr
	Desc  bool
	Nulls string
}

// Limit is `LIMIT n`.
type Limit struct{ N int64 }

// Grok is `GROK input "pattern"`.
type Grok struct {
	Input   Expr
	Pattern string
}

// Dissect is `DISSECT input "pattern" [APPEND_SEPARATOR = "sep"]`.
type Dissect struct {
	Input     Expr
	Pattern   string
	Separator *string
}

// MvExpand is `MV_EXPAND name`.
type MvExpand struct{ Field string }

func (*Where) command()    {}
func (*Eval) command()     {}
func (*Stats) command()    {}
func (*Keep) command()     {}
func (*Drop) command()     {}
func (*Rename) command()   {}
func (*Sort) command()     {}
func (*Limit) command()    {}
func (*Grok) command()     {}
func (*Dissect) command()  {}
func (*MvExpand) command() {}

func (c *Where) String() string { return "WHERE " + c.Cond.String() }

func (c *Eval) String() string { return "EVAL " + assigns(c.Fields) }

func assigns(as []Assign) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

func (a Assign) String() string {
	if a.Name == "" {
		return a.Expr.String()
	}
	return quoteName(a.Name) + " = " + a.Expr.String()
}

func (c *Stats) String() string {
	s := "STATS"
	if len(c.Aggs) > 0 {
		parts := make([]string, len(c.Aggs))
		for i, a := range c.Aggs {
			parts[i] = Assign{a.Name, a.Expr}.String()
			if a.Filter != nil {
				parts[i] += " WHERE " + a.Filter.String()
			}
		}
		s += " " + strings.Join(parts, ", ")
	}
	if len(c.By) > 0 {
		s += " BY " + assigns(c.By)
	}
	return s
}

func (c *Keep) String() string { return "KEEP " + strings.Join(c.Patterns, ", ") }
func (c *Drop) String() string { return "DROP " + strings.Join(c.Patterns, ", ") }

func (c *Rename) String() string {
	parts := make([]string, len(c.Pairs))
	for i, p := range c.Pairs {
		parts[i] = quoteName(p.Old) + " AS " + quoteName(p.New)
	}
	return "RENAME " + strings.Join(parts, ", ")
}

func (c *Sort) String() string {
	parts := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		parts[i] = k.Expr.String()
		if k.Desc {
			parts[i] += " DESC"
		}
		if k.Nulls != "" {
			parts[i] += " NULLS " + k.Nulls
		}
	}
	return "SORT " + strings.Join(parts, ", ")
}

func (c *Limit) String() string { return "LIMIT " + strconv.FormatInt(c.N, 10) }

func (c *Grok) String() string { return "GROK " + c.Input.String() + " " + quoteString(c.Pattern) }

func (c *Dissect) String() string {
	s := "DISSECT " + c.Input.String() + " " + quoteString(c.Pattern)
	if c.Separator != nil {
		s += " APPEND_SEPARATOR = " + quoteString(*c.Separator)
	}
	return s
}

func (c *MvExpand) String() string { return "MV_EXPAND " + quoteName(c.Field) }

// Expr is an expression: *Literal, *Ref, *Call, *Unary, *Binary, *In,
// *Like or *IsNull. String prints it fully parenthesized where
// precedence could matter.
type Expr interface {
	String() string
}

// Literal is null, a boolean (bool), an integer (int64), a decimal
// (float64), a string, or a time span (Span).
type Literal struct{ Val any }

// Span is a time-span literal such as `30 seconds`.
type Span struct {
	N    int64
	Unit string // as written, lower case: second, seconds, minute, hours, days…
}

// Ref names a column.
type Ref struct{ Name string }

// Call is a function call; Name is upper case. Star marks COUNT(*).
type Call struct {
	Name string
	Args []Expr
	Star bool
}

// Unary is NOT x or -x.
type Unary struct {
	Op string // "NOT" or "-"
	X  Expr
}

// Binary is a logical (AND, OR), comparison (== != < <= > >=) or
// arithmetic (+ - * / %) operation.
type Binary struct {
	Op   string
	L, R Expr
}

// In is `x [NOT] IN (e, …)`.
type In struct {
	X    Expr
	List []Expr
	Not  bool
}

// Like is `x [NOT] LIKE pattern` or `x [NOT] RLIKE pattern`; a list of
// patterns matches when any does.
type Like struct {
	X        Expr
	Patterns []string
	RLike    bool
	Not      bool
}

// IsNull is `x IS [NOT] NULL`.
type IsNull struct {
	X   Expr
	Not bool
}

func (e *Literal) String() string {
	switch v := e.Val.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return "null"
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	case string:
		return quoteString(v)
	case Span:
		return strconv.FormatInt(v.N, 10) + " " + v.Unit
	}
	return "?"
}

func (e *Ref) String() string { return quoteName(e.Name) }

func (e *Call) String() string {
	if e.Star {
		return e.Name + "(*)"
	}
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return e.Name + "(" + strings.Join(parts, ", ") + ")"
}

func (e *Unary) String() string {
	if e.Op == "NOT" {
		return "NOT " + e.X.String()
	}
	return "-(" + e.X.String() + ")" // "-0" would read back as a literal
}

func (e *Binary) String() string { return "(" + e.L.String() + " " + e.Op + " " + e.R.String() + ")" }

func (e *In) String() string {
	parts := make([]string, len(e.List))
	for i, a := range e.List {
		parts[i] = a.String()
	}
	op := " IN ("
	if e.Not {
		op = " NOT IN ("
	}
	return "(" + e.X.String() + op + strings.Join(parts, ", ") + "))"
}

func (e *Like) String() string {
	op := " LIKE "
	if e.RLike {
		op = " RLIKE "
	}
	if e.Not {
		op = " NOT" + op
	}
	var pat string
	if len(e.Patterns) == 1 {
		pat = quoteString(e.Patterns[0])
	} else {
		parts := make([]string, len(e.Patterns))
		for i, p := range e.Patterns {
			parts[i] = quoteString(p)
		}
		pat = "(" + strings.Join(parts, ", ") + ")"
	}
	return "(" + e.X.String() + op + pat + ")"
}

func (e *IsNull) String() string {
	if e.Not {
		return "(" + e.X.String() + " IS NOT NULL)"
	}
	return "(" + e.X.String() + " IS NULL)"
}

// quoteString prints s as a string literal that lexes back to s.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteName prints a column name, in backquotes unless it lexes as one
// plain name that is not a keyword.
func quoteName(n string) string {
	plain := n != "" && !keywords[strings.ToLower(n)]
	for _, part := range strings.Split(n, ".") {
		if part == "" || !isIdentStart(part[0]) {
			plain = false
			break
		}
		for i := 1; i < len(part); i++ {
			if !isIdentChar(part[i]) {
				plain = false
			}
		}
	}
	if plain {
		return n
	}
	return "`" + strings.ReplaceAll(n, "`", "``") + "`"
}

// keywords cannot be column names unless quoted.
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "like": true, "rlike": true, "is": true,
	"null": true, "true": true, "false": true, "by": true, "where": true, "asc": true, "desc": true,
	"nulls": true, "as": true, "metadata": true,
}

// quoteIndex prints an index pattern as written unless the FROM lexer would
// read it otherwise.
func quoteIndex(x string) string {
	if x == "" || strings.EqualFold(x, "metadata") || strings.ContainsAny(x, " \t\r\n,|\"") ||
		strings.Contains(x, "//") || strings.Contains(x, "/*") {
		return quoteString(x)
	}
	return x
}
