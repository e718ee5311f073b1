package eql

import (
	"bytes"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/reader"
)

// typedRecords returns raw read whole (Reset) and member by member from the
// splitter's index (ResetMembers, as the scanner reads it).
func typedRecords(t *testing.T, raw string) map[string]*ecs.Record {
	t.Helper()
	whole := ecs.NewRecord(ecs.Options{})
	if err := whole.Reset([]byte(raw)); err != nil {
		t.Fatalf("Reset(%s): %v", raw, err)
	}
	d, err := reader.NewDecoder(bytes.NewReader([]byte(`{"Records":[`+raw+`]}`)), reader.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	split, err := d.Next()
	if err != nil {
		t.Fatalf("split %s: %v", raw, err)
	}
	lazy := ecs.NewRecord(ecs.Options{})
	if err := lazy.ResetMembers(split, d.Index()); err != nil {
		t.Fatalf("ResetMembers(%s): %v", raw, err)
	}
	return map[string]*ecs.Record{"Reset": whole, "ResetMembers": lazy}
}

// TestMatchTypes: the fields CloudTrail writes as strings are keyword
// fields (ECS.md §1): a comparison holds for an array when it holds for
// some element (a negation, as the Query DSL's must_not, when it holds for
// none), and a number or boolean compares as its JSON text.
func TestMatchTypes(t *testing.T) {
	tests := []struct {
		members, query string
		want           bool
	}{
		{`"eventSource":["x","cloudtrail.amazonaws.com"]`, `any where event.provider == "cloudtrail.amazonaws.com"`, true},
		{`"eventSource":["x"]`, `any where event.provider == "cloudtrail.amazonaws.com"`, false},
		{`"eventSource":["x","CloudTrail.amazonaws.com"]`, `any where event.provider : "cloudtrail.amazonaws.com"`, true},
		{`"eventSource":["x","cloudtrail.amazonaws.com"]`, `any where event.provider in ("a", "cloudtrail.amazonaws.com")`, true},
		{`"eventSource":["x","y"]`, `any where event.provider in ("a", "b")`, false},
		{`"eventSource":["x","cloudtrail.amazonaws.com"]`, `any where event.provider != "x"`, false},
		{`"eventSource":["x","cloudtrail.amazonaws.com"]`, `any where startsWith(event.provider, "cloud")`, true},
		{`"eventSource":["x","y"]`, `any where startsWith(event.provider, "cloud")`, false},
		{`"eventSource":["x","cloudtrail.amazonaws.com"]`, `any where event.provider like "cloudtrail.*"`, true},
		{`"errorCode":123`, `any where aws.cloudtrail.error_code == "123"`, true},
		{`"errorCode":123`, `any where aws.cloudtrail.error_code == "124"`, false},
		{`"errorCode":123`, `any where aws.cloudtrail.error_code : "12*"`, true},
		{`"errorCode":123`, `any where event.outcome == "failure"`, true},
		{`"errorCode":1.50`, `any where aws.cloudtrail.error_code == "1.5"`, true},
		{`"userIdentity":{"type":true}`, `any where aws.cloudtrail.user_identity.type == "true"`, true},
		{`"userIdentity":{"type":false}`, `any where aws.cloudtrail.user_identity.type == "true"`, false},
		{`"userIdentity":{"type":["IAMUser","AWSService"]}`, `any where aws.cloudtrail.user_identity.type != "AWSService"`, false},
		{`"userIdentity":{"type":["IAMUser","Root"]}`, `any where aws.cloudtrail.user_identity.type != "AWSService"`, true},
		{`"userAgent":["curl/8","aws-cli/2"]`, `any where stringContains(user_agent.original, "curl")`, true},
		{`"userAgent":["aws-cli/2"]`, `any where stringContains(user_agent.original, "curl")`, false},
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
		raw := `{` + tt.members + `,"eventTime":"2025-01-02T03:04:05Z","eventName":"ListBuckets"}`
		for how, r := range typedRecords(t, raw) {
			if got := m.Match(r); got != tt.want {
				t.Errorf("%s over %s (%s) = %v, want %v", tt.query, tt.members, how, got, tt.want)
			}
		}
	}
}
