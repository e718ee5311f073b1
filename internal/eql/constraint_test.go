package eql

import (
	"fmt"
	"testing"
)

// TestConstraint checks EQL's constraints, combined by query.And and
// query.Or as in every language.
func TestConstraint(t *testing.T) {
	tests := []struct {
		query, field string
		want         string // fmt of the constraint; "free" when ok is false
	}{
		{`any where event.action == "A"`, "event.action", "{[A] []}"},
		{`any where event.action in ("A", "B", "A")`, "event.action", "{[A B] []}"},
		{`any where event.action in~ ("A", "B")`, "event.action", "free"},
		{`any where event.action : "A"`, "event.action", "free"},
		{`any where startsWith(event.action, "Create")`, "event.action", "{[] [Create]}"},
		// and: the term with the fewest alternatives, not the first.
		{`any where event.action in ("A", "B", "C") and event.action == "B"`, "event.action", "{[B] []}"},
		{`any where event.action in ("A", "B") and event.provider == "p"`, "event.action", "{[A B] []}"},
		// or: the union, each value once, none a prefix admits.
		{`any where event.action == "A" or event.action in ("B", "A")`, "event.action", "{[A B] []}"},
		{`any where event.action == "CreateUser" or startsWith(event.action, "Create")`, "event.action", "{[] [Create]}"},
		{`any where event.action == "A" or event.provider == "p"`, "event.action", "free"},
		{`any where not event.action == "A"`, "event.action", "free"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.query)
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		m, err := Compile(q.Event, "")
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		c, ok := m.Constraint(tt.field)
		got := "free"
		if ok {
			got = fmt.Sprint(c)
		}
		if got != tt.want {
			t.Errorf("%s: Constraint(%s) = %s, want %s", tt.query, tt.field, got, tt.want)
		}
	}
}
