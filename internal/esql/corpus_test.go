package esql

import (
	"errors"
	"path/filepath"
	"reflect"
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
