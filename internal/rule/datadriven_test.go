package rule

// TestRuleFiles runs the rule behaviour tests in testdata/rules/*.test
// against the built-in rules, through the real ECS view and KQL engine.
//
// Format, one directive per line; blank lines and lines starting with # are
// ignored, and "  # text" at the end of an expect line is its reason:
//
//	rule <rule_id>        the built-in rule the following cases test
//	base <json>           a raw CloudTrail record the following records start from
//	record <json>         the record under test: base with these top-level keys
//	                      replaced (a key set to null is removed; {} alone is base)
//	expect match|nomatch  # why
//
// Each expect checks the rule's own Match, and that Set.Match over all
// built-in rules (the index) agrees; a match also requires Set.CanMatch.
// Every built-in rule must have at least one match and one nomatch case.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

type ruleCase struct {
	pos    string // file:line
	ruleID string
	record []byte
	match  bool
	reason string
}

// parseRuleFile reads one .test file.
func parseRuleFile(path string) ([]ruleCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		cases  []ruleCase
		ruleID string
		base   map[string]json.RawMessage
		rec    []byte
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pos := fmt.Sprintf("%s:%d", filepath.Base(path), n)
		verb, arg, _ := strings.Cut(line, " ")
		arg = strings.TrimSpace(arg)
		switch verb {
		case "rule":
			ruleID, base, rec = arg, nil, nil
		case "base":
			base = nil
			if err := json.Unmarshal([]byte(arg), &base); err != nil {
				return nil, fmt.Errorf("%s: base: %w", pos, err)
			}
		case "record":
			var over map[string]json.RawMessage
			if err := json.Unmarshal([]byte(arg), &over); err != nil {
				return nil, fmt.Errorf("%s: record: %w", pos, err)
			}
			merged := map[string]json.RawMessage{}
			for k, v := range base {
				merged[k] = v
			}
			for k, v := range over {
				if string(v) == "null" {
					delete(merged, k)
					continue
				}
				merged[k] = v
			}
			if rec, err = json.Marshal(merged); err != nil {
				return nil, fmt.Errorf("%s: record: %w", pos, err)
			}
		case "expect":
			want, reason, _ := strings.Cut(arg, "#")
			want = strings.TrimSpace(want)
			if want != "match" && want != "nomatch" {
				return nil, fmt.Errorf("%s: expect %q, want match or nomatch", pos, want)
			}
			if ruleID == "" || rec == nil {
				return nil, fmt.Errorf("%s: expect without a rule and a record", pos)
			}
			cases = append(cases, ruleCase{pos: pos, ruleID: ruleID, record: rec, match: want == "match", reason: strings.TrimSpace(reason)})
		default:
			return nil, fmt.Errorf("%s: unknown directive %q", pos, verb)
		}
	}
	return cases, sc.Err()
}

func TestRuleFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "rules", "*.test"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/rules/*.test files (%v)", err)
	}
	var cases []ruleCase
	for _, f := range files {
		c, err := parseRuleFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c...)
	}

	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	// Coverage does not need the engines: check it first.
	type cover struct{ match, nomatch int }
	covered := map[string]*cover{}
	for _, c := range cases {
		if byID[c.ruleID] == nil {
			t.Errorf("%s: no built-in rule %s", c.pos, c.ruleID)
			continue
		}
		if covered[c.ruleID] == nil {
			covered[c.ruleID] = &cover{}
		}
		if c.match {
			covered[c.ruleID].match++
		} else {
			covered[c.ruleID].nomatch++
		}
	}
	for _, r := range rules {
		if c := covered[r.ID]; c == nil || c.match == 0 || c.nomatch == 0 {
			t.Errorf("built-in rule %s (%s) needs match and nomatch cases in testdata/rules", r.ID, r.Path)
		}
	}

	set, err := NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	rec := ecs.NewRecord(ecs.Options{})
	provider, action := ecs.Lookup("event.provider"), ecs.Lookup("event.action")
	for _, c := range cases {
		if err := rec.Reset(c.record); err != nil {
			t.Errorf("%s: record: %v", c.pos, err)
			continue
		}
		r := byID[c.ruleID]
		if got := r.Match(rec); got != c.match {
			t.Errorf("%s: %s Match = %v, want %v (%s)\n\trecord %s", c.pos, r.Name, got, c.match, c.reason, c.record)
		}
		p, a := first(rec.Values(provider)), first(rec.Values(action))
		inSet := slices.Contains(set.Match(rec, p, a, nil), r)
		if inSet != c.match {
			t.Errorf("%s: %s in Set.Match = %v, want %v", c.pos, r.Name, inSet, c.match)
		}
		if c.match && !set.CanMatch(p, a) {
			t.Errorf("%s: Set.CanMatch(%q, %q) = false for a matching record", c.pos, p, a)
		}
	}
}

// first returns the first value's text, "" when there is none.
func first(v []ecs.Value) string {
	if len(v) == 0 {
		return ""
	}
	return v[0].S
}
