package kql

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/query"
)

// dump prints the structure of a tree without positions, so that two
// trees are equal when their dumps are. A literal prints its parts quoted
// and joined by * (the wildcards); typed literals print as bool:x, null.
func dump(n Node) string {
	switch n := n.(type) {
	case *EmptyNode:
		return "empty"
	case *OrNode:
		return "or(" + dumpList(n.Terms) + ")"
	case *AndNode:
		return "and(" + dumpList(n.Terms) + ")"
	case *NotNode:
		return "not(" + dump(n.Term) + ")"
	case *FieldNode:
		return "field(" + dump(n.Field) + ", " + dump(n.Value) + ")"
	case *ExistsNode:
		return "exists(" + dump(n.Field) + ")"
	case *RangeNode:
		return "range(" + dump(n.Field) + " " + n.Op + " " + dump(n.Value) + ")"
	case *NestedNode:
		return "nested(" + dump(n.Path) + ", " + dump(n.Query) + ")"
	case *TermNode:
		return "term(" + dump(n.Value) + ")"
	case *Literal:
		switch n.Kind {
		case LiteralBool:
			return "bool:" + n.Parts[0]
		case LiteralNull:
			return "null"
		}
		q := make([]string, len(n.Parts))
		for i, p := range n.Parts {
			q[i] = fmt.Sprintf("%q", p)
		}
		return strings.Join(q, "*")
	case nil:
		return "<nil>"
	}
	return fmt.Sprintf("<%T>", n)
}

func dumpList(ns []Node) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = dump(n)
	}
	return strings.Join(s, ", ")
}

var parseTests = []struct {
	query string
	want  string
}{
	{``, `empty`},
	{" \t\n ", `empty`},
	{`a: b`, `field("a", "b")`},
	{`a:b`, `field("a", "b")`},
	{`a : b`, `field("a", "b")`},
	{`a:b or c:d and not e:f`, `or(field("a", "b"), and(field("c", "d"), not(field("e", "f"))))`},
	{`(a:b or c:d) and e:f`, `and(or(field("a", "b"), field("c", "d")), field("e", "f"))`},
	{`a:b or (c:d or e:f)`, `or(field("a", "b"), or(field("c", "d"), field("e", "f")))`},
	{`((a:b))`, `field("a", "b")`},
	{`NOT a: b AND c: d Or e: f`, `or(and(not(field("a", "b")), field("c", "d")), field("e", "f"))`},
	{`not (not a: b)`, `not(not(field("a", "b")))`},
	{`a: (b or c and not d)`, `field("a", or("b", and("c", not("d"))))`},
	{`a: (* and not (Amazon* or AMAZON*))`, `field("a", and(""*"", not(or("Amazon"*"", "AMAZON"*""))))`},
	{`a:(b)`, `field("a", "b")`},
	{`a: *`, `exists("a")`},
	{`a: (*)`, `field("a", ""*"")`},
	{`a: **`, `field("a", ""*""*"")`},
	{`a: "x*y"`, `field("a", "x*y")`},
	{`a: x*y`, `field("a", "x"*"y")`},
	{`a: *includeManagementEvents*false*`, `field("a", ""*"includeManagementEvents"*"false"*"")`},
	{`user_agent.original: *S3 Browser*`, `field("user_agent.original", ""*"S3 Browser"*"")`},
	{`user.id: *\:i-*`, `field("user.id", ""*":i-"*"")`},
	{`a: arn\:aws\:iam\:\:aws\:policy*`, `field("a", "arn:aws:iam::aws:policy"*"")`},
	{`a: \*`, `field("a", "*")`},
	{`a: x\not`, `field("a", "x\not")`},
	{`a: \not`, `field("a", "ot")`}, // the newline is trimmed
	{`a: \or`, `field("a", "or")`},
	{`a: x \AND y`, `field("a", "x AND y")`},
	{`a: \t x \n`, `field("a", "x")`},
	{`a: \u0041b\u00e9`, `field("a", "Abé")`},
	{`a: \ud83d\ude00`, `field("a", "😀")`},
	{`a: x  y`, `field("a", "x  y")`},
	{"a: x\n  y", `field("a", "x\n  y")`},
	{`a: "q \"x\" \\ \t\r\n \u0041 \q *"`, `field("a", "q \"x\" \\ \t\r\n A \\q *")`},
	{`a: ""`, `field("a", "")`},
	{`a: true`, `field("a", bool:true)`},
	{`a: false`, `field("a", bool:false)`},
	{`a: "true"`, `field("a", "true")`},
	{`a: TRUE`, `field("a", "TRUE")`},
	{`a: null`, `field("a", null)`},
	{`a: 1e3`, `field("a", "1e3")`},
	{`a: b or`, `field("a", "b or")`},
	{`a: b and`, `field("a", "b and")`},
	{`( or x: y)`, `field("or x", "y")`},
	{`a: and`, `field("a", "and")`},
	{`not`, `term("not")`},
	{`not not_a: b`, `not(field("not_a", "b"))`},
	{`a: knot`, `field("a", "knot")`},
	{`a < 5`, `range("a" < "5")`},
	{`a<=5`, `range("a" <= "5")`},
	{`a > "x y"`, `range("a" > "x y")`},
	{`@timestamp >= "2023-07-10T00:00:00Z"`, `range("@timestamp" >= "2023-07-10T00:00:00Z")`},
	{`a: { b: c and d: e }`, `nested("a", and(field("b", "c"), field("d", "e")))`},
	{`a:{b:{c:d}}`, `nested("a", nested("b", field("c", "d")))`},
	{`foo`, `term("foo")`},
	{`foo bar`, `term("foo bar")`},
	{`"x" or y`, `or(term("x"), term("y"))`},
	{`a: "x" or "y"`, `or(field("a", "x"), term("y"))`},
	{`a.*: x`, `field("a."*"", "x")`},
	{`"a.*": x`, `field("a.*", "x")`},
	{"a: b\n\tand\r\nc: d", `and(field("a", "b"), field("c", "d"))`},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		n, err := Parse(tt.query)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.query, err)
			continue
		}
		if got := dump(n); got != tt.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.query, got, tt.want)
		}
	}
}

// TestParseTimestamp documents that a colon ends an unquoted literal, so
// timestamps in ranges must be quoted.
func TestParseTimestamp(t *testing.T) {
	if _, err := Parse(`@timestamp >= 2023-07-10T00:00:00Z`); err == nil {
		t.Fatal("unquoted timestamp with colons parsed")
	}
}

var parseErrorTests = []struct {
	query     string
	line, col int
	msg       string // a substring of the message
}{
	{`a: (b`, 1, 6, `unexpected end of query, want ")"`},
	{`a: b)`, 1, 5, `unexpected ")"`},
	{`a: b c: d`, 1, 7, `unexpected ":"`},
	{`a: *cannot login*`, 1, 8, `unexpected keyword not`},
	{`a: "unterminated`, 1, 4, `unterminated quoted string`},
	{`a: "x\"`, 1, 4, `unterminated quoted string`},
	{`a: b\ c`, 1, 5, `invalid escape "\\ "`},
	{`a: \u12`, 1, 4, `invalid escape "\\u"`},
	{`a: b\`, 1, 5, `invalid escape "\\"`},
	{`()`, 1, 2, `unexpected ")"`},
	{`a:`, 1, 3, `unexpected end of query`},
	{`:b`, 1, 1, `unexpected ":"`},
	{`a:: b`, 1, 3, `unexpected ":"`},
	{`a: <`, 1, 4, `unexpected "<"`},
	{`a: not b`, 1, 4, `unexpected keyword not`},
	{`a < *`, 1, 5, `wildcard in range value`},
	{`a < x*`, 1, 5, `wildcard in range value`},
	{`a < (b)`, 1, 5, `unexpected "("`},
	{`a: {b: c`, 1, 9, `want "}"`},
	{`a: {}`, 1, 5, `unexpected "}"`},
	{`a: b }`, 1, 6, `unexpected "}"`},
	{`a: b and `, 1, 10, `unexpected end of query`},
	{`not `, 1, 5, `unexpected end of query`},
	{`a: (b or )`, 1, 10, `unexpected ")"`},
	{"a: b and\n  c: d e: f", 2, 9, `unexpected ":"`},
	{"a: b\nand\n)", 3, 1, `unexpected ")"`},
	{"a: \"é\" é: x y: z", 1, 8, `unexpected "é"`},
	{`a: b and(c: d)`, 1, 9, `unexpected "("`},
	{strings.Repeat("(", query.MaxDepth+1) + "a: b" + strings.Repeat(")", query.MaxDepth+1), 1, query.MaxDepth + 1, `nested too deeply`},
	{"a: " + strings.Repeat("(", query.MaxDepth+1) + "b" + strings.Repeat(")", query.MaxDepth+1), 1, query.MaxDepth + 4, `nested too deeply`},
	{strings.Repeat("not (", query.MaxDepth) + "a: b" + strings.Repeat(")", query.MaxDepth), 1, 5*50 + 1, `nested too deeply`},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range parseErrorTests {
		n, err := Parse(tt.query)
		var pe *query.SyntaxError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %s, %v; want a *query.SyntaxError", tt.query, dump(n), err)
			continue
		}
		if pe.Line != tt.line || pe.Col != tt.col || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("Parse(%q) error %d:%d %q; want %d:%d containing %q", tt.query, pe.Line, pe.Col, pe.Msg, tt.line, tt.col, tt.msg)
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	q := strings.Repeat("(", query.MaxDepth) + "a: b" + strings.Repeat(")", query.MaxDepth)
	if _, err := Parse(q); err != nil {
		t.Errorf("%d levels: %v", query.MaxDepth, err)
	}
}

func TestParseErrorString(t *testing.T) {
	tests := []struct {
		query string
		want  string
	}{
		{`a: b)`, `1:5: unexpected ")" near ")"`},
		{`a: (b`, `1:6: unexpected end of query, want ")"`},
		{`event.action: x) and event.provider: y`, `1:16: unexpected ")" near ") and event.provider…"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.query)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", tt.query)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Parse(%q) error\n got %s\nwant %s", tt.query, got, tt.want)
		}
	}
}

// checkRoundTrip fails unless n.String() parses back to a tree equal to n
// and printing that tree gives the same text.
func checkRoundTrip(t *testing.T, query string, n Node) {
	t.Helper()
	s := n.String()
	back, err := Parse(s)
	if err != nil {
		t.Errorf("Parse(%q).String() = %q does not parse: %v", query, s, err)
		return
	}
	if got, want := dump(back), dump(n); got != want {
		t.Errorf("Parse(%q).String() = %q parses to\n got %s\nwant %s", query, s, got, want)
	}
	if s2 := back.String(); s2 != s {
		t.Errorf("String not stable for %q: %q then %q", query, s, s2)
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, tt := range parseTests {
		n, err := Parse(tt.query)
		if err != nil {
			continue // reported by TestParse
		}
		checkRoundTrip(t, tt.query, n)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		query string
		want  string
	}{
		{`a:b`, `a: b`},
		{`(a:b or c:d) and e:f`, `(a: b or c: d) and e: f`},
		{`a:b or (c:d or e:f)`, `a: b or (c: d or e: f)`},
		{`not (not a:b)`, `not (not a: b)`},
		{`not (a:b and c:d)`, `not (a: b and c: d)`},
		{`a:(b or c and not (d or e))`, `a: (b or c and not (d or e))`},
		{`a:(*)`, `a: (*)`},
		{`a:*`, `a: *`},
		{`a:"x y"`, `a: "x y"`},
		{`a:"true"`, `a: "true"`},
		{`a:true`, `a: true`},
		{`a:"cannot"`, `a: "cannot"`},
		{`a:""`, `a: ""`},
		{`a:"x:y"`, `a: "x:y"`},
		{`a: *x \or y*`, `a: *x \or y*`},
		{`a: *x\u0020or y*`, `a: *x \or y*`},
		{`a: *can\u006eot login*`, `a: *can\u006eot login*`},
		{`a: *x\tnot*`, `a: *x\tnot*`},
		{`a: *\(\)\:\<\>\"\\\{\}\**`, `a: *\(\)\:\<\>\"\\\{\}\**`},
		{`a < 5`, `a < 5`},
		{`a:{b:c}`, `a: { b: c }`},
		{`"x y": z`, `"x y": z`},
		{`a:"é\u00a0"`, "a: \"é\u00a0\""},
	}
	for _, tt := range tests {
		n, err := Parse(tt.query)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.query, err)
			continue
		}
		if got := n.String(); got != tt.want {
			t.Errorf("Parse(%q).String()\n got %s\nwant %s", tt.query, got, tt.want)
		}
		checkRoundTrip(t, tt.query, n)
	}
}

// TestStringBuiltTree prints trees built by hand, including literals no
// parse produces directly, and checks that they read back the same.
func TestStringBuiltTree(t *testing.T) {
	lit := func(parts ...string) *Literal { return &Literal{Parts: parts} }
	trees := []Node{
		&FieldNode{Field: lit("a"), Value: lit("x or y")},
		&FieldNode{Field: lit("a"), Value: lit("not")},
		&FieldNode{Field: lit("a"), Value: lit("", " or", "not")},
		&FieldNode{Field: lit("a"), Value: lit("x ", " AND ", "")},
		&FieldNode{Field: lit("a"), Value: lit("x\t\"\\", "\ny")},
		&FieldNode{Field: lit("a*b"), Value: lit("c")},
		&NotNode{Term: &NotNode{Term: &ExistsNode{Field: lit("a")}}},
		&AndNode{Terms: []Node{
			&OrNode{Terms: []Node{&ExistsNode{Field: lit("a")}, &ExistsNode{Field: lit("b")}}},
			&AndNode{Terms: []Node{&ExistsNode{Field: lit("c")}, &ExistsNode{Field: lit("d")}}},
		}},
	}
	for _, n := range trees {
		checkRoundTrip(t, dump(n), n)
	}
}
