package esql

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// corpusQueries returns the ES|QL queries of ../shared/rules/elastic-aws by
// file name.
func corpusQueries(t *testing.T) map[string]string {
	t.Helper()
	dir := gen.SharedDir(t, "rules", "elastic-aws")
	files, err := filepath.Glob(filepath.Join(dir, "*.toml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range files {
		var r struct {
			Rule struct{ Language, Query string }
		}
		if _, err := toml.DecodeFile(p, &r); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if r.Rule.Language == "esql" {
			out[filepath.Base(p)] = r.Rule.Query
		}
	}
	return out
}

// TestCorpusParses parses every ES|QL query of Elastic's AWS rules, prints
// it, parses the print and compares the trees.
func TestCorpusParses(t *testing.T) {
	qs := corpusQueries(t)
	if len(qs) != 26 {
		t.Errorf("%d ES|QL rules in the corpus, want 26", len(qs))
	}
	for name, src := range qs {
		q, err := Parse(src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		printed := q.String()
		q2, err := Parse(printed)
		if err != nil {
			t.Errorf("%s: printed query does not parse: %v\n%s", name, err, printed)
			continue
		}
		if !reflect.DeepEqual(q, q2) {
			t.Errorf("%s: round trip changed the tree:\n%s\n%s", name, printed, q2)
		}
		_, err = Compile(q)
		alerts := strings.Contains(q.From.String(), ".alerts-security")
		switch {
		case alerts && !errors.Is(err, ErrUnsupported):
			t.Errorf("%s: a query of alerts compiled (%v), want unsupported", name, err)
		case !alerts && err != nil:
			t.Errorf("%s: %v", name, err)
		}
	}
}

// constructs lists the commands, functions and operators q uses.
func constructs(q *Query) map[string]bool {
	out := map[string]bool{"FROM": true}
	if len(q.From.Metadata) > 0 {
		out["METADATA"] = true
	}
	var expr func(e Expr)
	expr = func(e Expr) {
		switch x := e.(type) {
		case *Literal:
			if _, ok := x.Val.(Span); ok {
				out["time span (30 seconds)"] = true
			}
		case *Call:
			out[x.Name+"()"] = true
			for _, a := range x.Args {
				expr(a)
			}
		case *Unary:
			out[x.Op] = true
			expr(x.X)
		case *Binary:
			out[x.Op] = true
			expr(x.L)
			expr(x.R)
		case *In:
			if x.Not {
				out["NOT IN"] = true
			} else {
				out["IN"] = true
			}
			expr(x.X)
			for _, a := range x.List {
				expr(a)
			}
		case *Like:
			op := "LIKE"
			if x.RLike {
				op = "RLIKE"
			}
			out[op] = true
			expr(x.X)
		case *IsNull:
			if x.Not {
				out["IS NOT NULL"] = true
			} else {
				out["IS NULL"] = true
			}
			expr(x.X)
		}
	}
	for _, c := range q.Commands {
		name := strings.Fields(c.String())[0]
		out[name] = true
		switch x := c.(type) {
		case *Where:
			expr(x.Cond)
		case *Eval:
			for _, a := range x.Fields {
				expr(a.Expr)
			}
		case *Stats:
			for _, a := range x.Aggs {
				expr(a.Expr)
				if a.Filter != nil {
					out["STATS … WHERE"] = true
					expr(a.Filter)
				}
			}
			for _, b := range x.By {
				expr(b.Expr)
			}
		case *Sort:
			for _, k := range x.Keys {
				expr(k.Expr)
			}
		case *Grok:
			expr(x.Input)
		case *Dissect:
			expr(x.Input)
		}
	}
	return out
}

// TestCorpusConstructs counts, per construct, the corpus rules using it;
// with -v it prints the table the README holds.
func TestCorpusConstructs(t *testing.T) {
	count := map[string]int{}
	for _, src := range corpusQueries(t) {
		q, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		for c := range constructs(q) {
			count[c]++
		}
	}
	// Every command the issue lists that the corpus uses, and no other.
	for _, c := range []string{"FROM", "WHERE", "EVAL", "STATS", "KEEP", "SORT", "GROK", "DISSECT"} {
		if count[c] == 0 {
			t.Errorf("no corpus rule uses %s", c)
		}
	}
	names := make([]string, 0, len(count))
	for c := range count {
		names = append(names, c)
	}
	sort.Slice(names, func(i, j int) bool {
		if count[names[i]] != count[names[j]] {
			return count[names[i]] > count[names[j]]
		}
		return names[i] < names[j]
	})
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s %d; ", n, count[n])
	}
	t.Log(b.String())
}
