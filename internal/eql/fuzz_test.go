package eql

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/query"
)

// fuzzSeeds are queries exercising every construct of the grammar.
var fuzzSeeds = []string{
	`any where true`,
	`iam where event.action == "CreateUser" and not event.outcome : "fail*"`,
	`"my-category" where a != null or b < 3 and c >= -2.5`,
	`any where x in ("a", "B") and y not in~ ("c") and z in~ ("d", 1, true)`,
	`any where a : ("x*", "?y") or a like "Q*" or a like~ ("q*", "r") or a regex "[a-z]+" or a regex~ ("A|B")`,
	`any where stringContains(a, b) and startsWith~(a, "x") and endsWith(a, "y") and wildcard(a, "*1", "2*")`,
	`any where length(aws.cloudtrail.request_parameters) > 10 and ?opt.field == null`,
	`any where (a == 1 or b == 2) and not (c == 3 and d == 4)`,
	`any where ` + "`weird-field name`" + ` == """raw \ string"""`,
	"sequence by user.name with maxspan=10m\n  [any where event.action == \"A\"] by source.ip\n  [any where event.action == \"B\"] by source.ip",
	`sequence [iam where true] [any where a == "x\"y\\z\n"]`,
	`any where a == 'single' // comment` + "\n and /* block */ b == 1",
}

// FuzzParse checks that Parse never panics, that an error is a
// *query.SyntaxError with a position inside the query, and that a parsed query
// prints to text that parses back to the same tree and compiles the same
// way.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	dir, _ := gen.SharedPath("rules", "elastic-aws") // seeds only: the fuzzer runs without them
	files, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	for _, p := range files {
		var r struct {
			Rule struct{ Language, Query string }
		}
		if b, err := os.ReadFile(p); err == nil {
			if _, err := toml.Decode(string(b), &r); err == nil && r.Rule.Language == "eql" {
				f.Add(r.Rule.Query)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			pe, ok := err.(*query.SyntaxError)
			if !ok {
				t.Fatalf("error %T %v, want *query.SyntaxError", err, err)
			}
			if pe.Line < 1 || pe.Col < 1 || pe.Msg == "" {
				t.Fatalf("error without a position or message: %+v", pe)
			}
			return
		}
		printed := q.String()
		q2, err := Parse(printed)
		if err != nil {
			t.Fatalf("printed query does not parse: %v\nquery   %q\nprinted %q", err, src, printed)
		}
		if !reflect.DeepEqual(q, q2) {
			t.Fatalf("round trip changed the tree\nquery   %q\nprinted %q\nreprint %q", src, printed, q2.String())
		}
		if again := q2.String(); again != printed {
			t.Fatalf("printing is not stable: %q then %q", printed, again)
		}
		events := []*EventQuery{q.Event}
		if q.Sequence != nil {
			events = events[:0]
			for _, s := range q.Sequence.Steps {
				events = append(events, s.Query)
			}
		}
		for _, e := range events {
			m, err := Compile(e, "")
			if err != nil {
				continue // an unsupported function or a bad regex is an error, not a panic
			}
			m.Match(emptyDoc{})
		}
	})
}

// emptyDoc is a record with no fields.
type emptyDoc struct{}

func (emptyDoc) Values(ecs.Field) []ecs.Value { return nil }
