package kql

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// TestMatchRecord runs queries over the ECS view of a raw CloudTrail
// record, the Doc the scanner passes in production.
func TestMatchRecord(t *testing.T) {
	raw, err := os.ReadFile("testdata/create_event_source_mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	r := ecs.NewRecord(ecs.Options{Ingested: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)})
	if err := r.Reset(raw); err != nil {
		t.Fatal(err)
	}
	var _ query.Doc = r
	tests := []struct {
		query string
		want  bool
	}{
		{seedQuery, true},
		{`event.provider: "lambda.amazonaws.com" and event.action: CreateFunction*`, false},
		{`source.ip: 203.0.113.0/24 and source.ip: *`, true},
		{`source.ip: 10.0.0.0/8`, false},
		{`not aws.cloudtrail.user_identity.type: "AWSService"`, true},
		{`aws.cloudtrail.user_identity.type: AssumedRole and user_agent.original: aws-cli*`, true},
		{`@timestamp >= "2024-05-01" and @timestamp < "2024-05-01T10:05:01Z"`, true},
		{`@timestamp > "2024-05-01T10:05:00Z"`, false},
		{`aws.cloudtrail.flattened.request_parameters.enabled: true`, true},
		{`aws.cloudtrail.flattened.request_parameters.batchSize: 10`, true},
	}
	for _, tt := range tests {
		m, err := Compile(mustParse(t, tt.query))
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.query, err)
			continue
		}
		if got := m.Match(r); got != tt.want {
			t.Errorf("%q = %v, want %v", tt.query, got, tt.want)
		}
	}
}

// TestWildcardFieldsDefault checks that wildcard field names expand over
// ecs.Names by default.
func TestWildcardFieldsDefault(t *testing.T) {
	const name = "aws.cloudtrail.user_identity.type"
	if !slices.Contains(ecs.Names(), name) {
		t.Skipf("ecs.Names() does not list %s", name)
	}
	m, err := Compile(mustParse(t, `aws.cloudtrail.user_identity.*: Root`))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range m.Fields() {
		found = found || f.Name == name
	}
	if !found {
		t.Errorf("Fields() = %v, want %s among them", m.Fields(), name)
	}
}
