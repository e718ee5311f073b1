package esql

import (
	"reflect"
	"testing"

	"github.com/trailsweep/trailsweep/internal/query"
)

// TestConstraint checks the values a query's WHERE commands require of a
// field, and that computed columns and alternatives without one lift it.
func TestConstraint(t *testing.T) {
	cases := []struct {
		q, field string
		want     *query.Constraint // nil: unconstrained
	}{
		{`| WHERE event.provider == "ec2.amazonaws.com" AND event.action == "DescribeInstances"`, "event.action", &query.Constraint{Exact: []string{"DescribeInstances"}}},
		{`| EVAL w = DATE_TRUNC(10 seconds, @timestamp) | WHERE event.action IN ("A", "B") AND event.outcome == "success"`, "event.action", &query.Constraint{Exact: []string{"A", "B"}}},
		{`| WHERE (event.action == "A" AND user.name LIKE "s:*") OR (event.action IN ("B") AND source.ip == "192.0.2.1")`, "event.action", &query.Constraint{Exact: []string{"A", "B"}}},
		{`| WHERE event.action LIKE "Invoke*" OR event.action LIKE "Get"`, "event.action", &query.Constraint{Exact: []string{"Get"}, Prefixes: []string{"Invoke"}}},
		{`| WHERE event.action == "A" OR event.outcome == "success"`, "event.action", nil},
		{`| WHERE event.action NOT IN ("A")`, "event.action", nil},
		{`| WHERE event.action LIKE "*Bucket"`, "event.action", nil},
		{`| EVAL event.action = "A" | WHERE event.action == "A"`, "event.action", nil},
		{`| GROK m "(?<event.action>.*)" | WHERE event.action == "A"`, "event.action", nil},
		{`| STATS n = COUNT(*) BY event.action | WHERE event.action == "A"`, "event.action", nil},
		{`| WHERE event.outcome == "success" | WHERE "A" == event.action`, "event.action", &query.Constraint{Exact: []string{"A"}}},
		// Conditions never true on the view constrain to nothing.
		{`| WHERE (data_stream.dataset == "aws.cloudtrail" AND event.action == "A") OR (data_stream.dataset IN ("gcp.audit", "azure.x") AND k.verb == "get")`, "event.action", &query.Constraint{Exact: []string{"A"}}},
		{`| WHERE event.outcome == "success" AND source.as.organization.name IS NOT NULL`, "event.action", &query.Constraint{}},
		{`| WHERE source.as.organization.name != "AMAZON-AES"`, "event.provider", &query.Constraint{}},
		{`| WHERE source.as.organization.name IS NULL`, "event.provider", nil},
		{`| EVAL source.as.organization.name = "x" | WHERE source.as.organization.name == "x"`, "event.provider", nil},
		{`| WHERE event.dataset == "aws.cloudtrail"`, "event.provider", nil},
	}
	for _, tc := range cases {
		q, err := Parse("FROM logs-aws.cloudtrail-* " + tc.q)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Compile(q)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.Constraint(tc.field)
		switch {
		case tc.want == nil && ok:
			t.Errorf("%s: constrained to %+v, want unconstrained", tc.q, got)
		case tc.want != nil && (!ok || !reflect.DeepEqual(got, *tc.want)):
			t.Errorf("%s: %+v (%v), want %+v", tc.q, got, ok, *tc.want)
		}
	}
}
