package rule

import (
	"errors"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/query"
)

func TestAdhoc(t *testing.T) {
	qs := []string{`event.action: "CreateUser"`, `event.provider: iam.amazonaws.com`}
	rules, err := Adhoc(qs)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 {
		t.Fatalf("%d rules, want 2", len(rules))
	}
	for i, r := range rules {
		if want := "adhoc-" + string(rune('1'+i)); r.ID != want {
			t.Errorf("id %q, want %q", r.ID, want)
		}
		if r.Name != qs[i] || r.Query != qs[i] || r.Source != SourceAdhoc || r.Path != "" ||
			r.Type != "query" || r.Language != "kuery" || r.Severity != "medium" || !r.Runnable() {
			t.Errorf("rule %d: %+v", i, r)
		}
	}
	if _, err := NewSet(rules); err != nil {
		t.Error(err)
	}
}

func TestAdhocBadQuery(t *testing.T) {
	_, err := Adhoc([]string{`event.action: x`, `event.action: (x or )`})
	if err == nil {
		t.Fatal("no error for a bad query")
	}
	if !strings.HasPrefix(err.Error(), "--query 2: query 1:") {
		t.Errorf("error %q, want it to name --query 2 and a position", err)
	}
	var pe *query.SyntaxError
	if !errors.As(err, &pe) || pe.Line != 1 || pe.Col < 1 {
		t.Errorf("cause %v is not a positioned *query.SyntaxError", err)
	}
}

func TestAdhocEmpty(t *testing.T) {
	_, err := Adhoc([]string{`event.action: x`, "  "})
	if err == nil || !strings.HasPrefix(err.Error(), "--query 2: empty query") {
		t.Errorf("err = %v, want --query 2 refused as empty", err)
	}
}
