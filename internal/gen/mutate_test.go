package gen

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestMutants: deterministic by seed, valid JSON objects numbered in
// order, and every kind of damage issue 21 names is among them, on the
// index's fields.
func TestMutants(t *testing.T) {
	base, from, err := MutationBase("") // the bundled records: no ../shared needed
	if err != nil || from != "builtin" || len(base) == 0 {
		t.Fatalf("MutationBase: %d records from %q, %v", len(base), from, err)
	}
	a, b := Mutants(base, 2000, 7), Mutants(base, 2000, 7)
	if !slices.EqualFunc(a, b, bytes.Equal) {
		t.Fatal("the same seed gave other records")
	}
	if c := Mutants(base, 2000, 8); slices.EqualFunc(a, c, bytes.Equal) {
		t.Fatal("another seed gave the same records")
	}
	seen := map[string]int{}
	for i, raw := range a {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("mutant %d: %v\n%s", i, err, raw)
		}
		if want := "mut-" + strings.Repeat("0", 6-len(itoa(i))) + itoa(i); m["eventID"] != want {
			t.Fatalf("mutant %d: eventID %v, want %s", i, m["eventID"], want)
		}
		ui, _ := m["userIdentity"].(map[string]any)
		for _, v := range []any{m["eventSource"], m["eventName"], ui["type"]} {
			switch x := v.(type) {
			case nil:
				seen["null or absent"]++
			case string:
				if x == "" || x == "-" || x == "none" {
					seen["empty"]++
				} else if x != strings.ToLower(x) && strings.HasSuffix(strings.ToLower(x), ".amazonaws.com") {
					seen["recased"]++ // eventSource is written in lower case
				}
			case []any:
				seen["array"]++
			case float64:
				seen["number"]++
			case bool:
				seen["bool"]++
			case map[string]any:
				seen["object"]++
			}
		}
		if bytes.Contains(raw, []byte("\n")) || bytes.Contains(raw, []byte(`" :`)) {
			seen["white space"]++
		}
	}
	for _, k := range []string{"null or absent", "empty", "recased", "array", "number", "bool", "object", "white space"} {
		if seen[k] < 10 {
			t.Errorf("%d mutants with %s in eventSource, eventName or userIdentity.type, want some", seen[k], k)
		}
	}
	t.Log(seen)
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
