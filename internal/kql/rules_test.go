package kql

import (
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// elasticRule is the part of an Elastic detection rule file the test reads.
type elasticRule struct {
	Rule struct {
		Name     string `toml:"name"`
		Type     string `toml:"type"`
		Language string `toml:"language"`
		Query    string `toml:"query"`
	} `toml:"rule"`
}

// TestElasticRules parses and compiles every KQL query of the Elastic AWS
// rules and checks that String reads back to the same tree.
func TestElasticRules(t *testing.T) {
	dir := gen.SharedDir(t, "rules", "elastic-aws")
	files, err := filepath.Glob(filepath.Join(dir, "*.toml"))
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	types := map[string]int{}
	for _, file := range files {
		var r elasticRule
		if _, err := toml.DecodeFile(file, &r); err != nil {
			t.Errorf("%s: %v", filepath.Base(file), err)
			continue
		}
		if r.Rule.Language != "kuery" {
			continue
		}
		count++
		types[r.Rule.Type]++
		name := filepath.Base(file)
		n, err := Parse(r.Rule.Query)
		if err != nil {
			t.Errorf("rule %s: query %v", name, err)
			continue
		}
		if _, ok := n.(*EmptyNode); ok {
			t.Errorf("rule %s: query parsed as empty", name)
		}
		if _, err := Compile(n); err != nil {
			t.Errorf("rule %s: compile: %v", name, err)
		}
		checkRoundTrip(t, name, n)
	}
	if count != 144 {
		t.Errorf("found %d KQL rules, want 144", count)
	}
	want := map[string]int{"query": 90, "new_terms": 49, "threshold": 5}
	for typ, n := range want {
		if types[typ] != n {
			t.Errorf("found %d KQL rules of type %s, want %d", types[typ], typ, n)
		}
	}
}
