package eql

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// TestCorpus parses, prints, re-parses and compiles every EQL query of
// Elastic's AWS rules.
func TestCorpus(t *testing.T) {
	dir := gen.SharedDir(t, "rules", "elastic-aws")
	files, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	if len(files) == 0 {
		t.Fatalf("no rule in %s", dir)
	}
	n := 0
	for _, path := range files {
		var f struct {
			Rule struct {
				Type, Language, Query string
				EventCategoryOverride string `toml:"event_category_override"`
			}
		}
		if _, err := toml.DecodeFile(path, &f); err != nil {
			t.Fatal(err)
		}
		if f.Rule.Language != "eql" {
			continue
		}
		n++
		q, err := Parse(f.Rule.Query)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		printed := q.String()
		q2, err := Parse(printed)
		if err != nil {
			t.Errorf("%s: printed query does not parse: %v\n%s", filepath.Base(path), err, printed)
			continue
		}
		if !reflect.DeepEqual(q, q2) {
			t.Errorf("%s: round trip changed the tree:\n%s\n%s", filepath.Base(path), printed, q2)
		}
		events := []*EventQuery{q.Event}
		if q.Sequence != nil {
			events = events[:0]
			for _, s := range q.Sequence.Steps {
				events = append(events, s.Query)
			}
		}
		for _, e := range events {
			if _, err := Compile(e, f.Rule.EventCategoryOverride); err != nil {
				t.Errorf("%s: compile: %v", filepath.Base(path), err)
			}
		}
	}
	if n != 28 {
		t.Errorf("found %d EQL rules, want 28", n)
	}
}
