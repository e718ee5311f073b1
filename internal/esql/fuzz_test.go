package esql

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/query"
)

var fuzzSeeds = []string{
	`FROM logs-aws.cloudtrail-* METADATA _id, _version | WHERE a == "x" AND NOT b IN (1, 2.5, null) OR c LIKE "x*" | KEEP a, Esql.*`,
	"from logs-aws.cloudtrail* // c\n| eval x = date_trunc(30 seconds, @timestamp), y = -a * (b + 1) % 3 | stats n = count(*) where x is not null, v = values(y) by x | sort n desc nulls first | limit 10",
	`FROM a, "b c" | GROK m """(?<x.y>[^,]+)""" | DISSECT m "%{a} %{+a}" APPEND_SEPARATOR = "-" | RENAME a AS ` + "`b c`" + ` | DROP x* | MV_EXPAND b`,
	`FROM logs-aws.cloudtrail-* | WHERE x NOT RLIKE (".*", "a\"b") AND KQL("""a : "b" """) AND NOW() - 1 hour < @timestamp`,
}

// FuzzParse checks that Parse never panics, that an error is a
// *query.SyntaxError with a position inside the query, and that a parsed query
// prints to text that parses back to the same tree.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			var pe *query.SyntaxError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *query.SyntaxError", err)
			}
			if pe.Line < 1 || pe.Col < 1 || pe.Line > strings.Count(src, "\n")+1 {
				t.Fatalf("position %d:%d outside the query", pe.Line, pe.Col)
			}
			return
		}
		printed := q.String()
		q2, err := Parse(printed)
		if err != nil {
			t.Fatalf("printed query %q does not parse: %v", printed, err)
		}
		if !reflect.DeepEqual(q, q2) {
			t.Fatalf("round trip changed the tree:\n%s\n%s", printed, q2)
		}
		_, _ = Compile(q)
	})
}

// TestParseErrors checks messages and positions of syntax errors.
func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`WHERE a == 1`, `1:1: expected FROM, found "WHERE"`},
		{"FROM x\n| WHERE a == ", `2:14: unexpected end of query`},
		{"FROM x | WHERE a == \"b", `1:21: unterminated string`},
		{"FROM x | FOO a", `1:10: unknown command "FOO"`},
		{"FROM x\n| STATS n = COUNT(*) BY", `2:24: unexpected end of query`},
		{"FROM x | WHERE a IS b", `1:21: expected "null", found "b"`},
		{"FROM x | WHERE a NOT == 1", `1:22: expected IN, LIKE or RLIKE after NOT, found "=="`},
		{"FROM x | EVAL a + 1 = 2", `1:21: expected a column name before "="`},
		{"FROM x | WHERE " + strings.Repeat("(", 200) + "a", `1:`},
		{"FROM x | LIMIT x", `1:16: expected a row count, found "x"`},
		{"FROM x | WHERE a == 1abc", `1:21: unexpected "1a" after a number`},
	}
	for _, tc := range cases {
		_, err := Parse(tc.src)
		if err == nil {
			t.Errorf("%q parsed", tc.src)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %q, want %q", tc.src, err, tc.want)
		}
	}
}

// TestUnsupported checks that Compile names what it does not evaluate.
func TestUnsupported(t *testing.T) {
	cases := []struct{ src, want string }{
		{`FROM .alerts-security.* | WHERE a == 1`, "correlates other rules' alerts"},
		{`FROM logs-endpoint.events.process-* | WHERE a == 1`, "no CloudTrail index"},
		{`FROM logs-aws.cloudtrail-* | EVAL x = LEVENSHTEIN(a, b)`, "function LEVENSHTEIN"},
		{`FROM logs-aws.cloudtrail-* | STATS x = AVG(a)`, "only an aggregate function call"},
		{`FROM logs-aws.cloudtrail-* | EVAL x = COUNT(a)`, "aggregate function COUNT outside STATS"},
		{`FROM logs-aws.cloudtrail-* | GROK a "%{HOSTNAME:h}"`, "GROK pattern %{HOSTNAME}"},
		{`FROM logs-aws.cloudtrail-* | EVAL d = DATE_DIFF("months", a, b)`, `DATE_DIFF unit "months"`},
		{`FROM logs-aws.cloudtrail-* | DISSECT a "%{*k}=%{&k}"`, "DISSECT reference key"},
	}
	for _, tc := range cases {
		q, err := Parse(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		_, err = Compile(q)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want unsupported %q", tc.src, err, tc.want)
		}
	}
}
