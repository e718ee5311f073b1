package kql

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
// fields (ECS.md §1): a term matches an array when any element matches, a
// number or boolean by its JSON text.
func TestMatchTypes(t *testing.T) {
	tests := []struct {
		members, query string
		want           bool
	}{
		{`"eventSource":["x","cloudtrail.amazonaws.com"]`, `event.provider: cloudtrail.amazonaws.com`, true},
		{`"eventSource":["x"]`, `event.provider: cloudtrail.amazonaws.com`, false},
		{`"eventSource":["x",["cloudtrail.amazonaws.com"]]`, `event.provider: cloudtrail.amazonaws.com`, true},
		{`"eventSource":["x","cloudtrail.amazonaws.com"]`, `event.provider: x and event.provider: cloudtrail*`, true},
		{`"eventSource":["x","cloudtrail.amazonaws.com"]`, `not event.provider: x`, false},
		{`"eventSource":["x","y"]`, `event.provider: (a or y)`, true},
		{`"eventSource":["x","y"]`, `cloud.service.name: y`, true},
		{`"eventSource":[]`, `event.provider: *`, false},
		{`"eventSource":["", "-", null]`, `event.provider: *`, false},
		{`"errorCode":123`, `aws.cloudtrail.error_code: 123`, true},
		{`"errorCode":123`, `aws.cloudtrail.error_code: "123"`, true},
		{`"errorCode":123`, `aws.cloudtrail.error_code: 12*`, true},
		{`"errorCode":123`, `aws.cloudtrail.error_code: 124`, false},
		{`"errorCode":123`, `event.outcome: failure`, true},
		{`"errorCode":"123"`, `aws.cloudtrail.error_code: 123`, true},
		{`"errorCode":1.50`, `aws.cloudtrail.error_code: "1.5"`, true},
		{`"errorCode":1.50`, `aws.cloudtrail.error_code: "1.50"`, false},
		{`"userIdentity":{"type":true}`, `aws.cloudtrail.user_identity.type: true`, true},
		{`"userIdentity":{"type":true}`, `aws.cloudtrail.user_identity.type: "true"`, true},
		{`"userIdentity":{"type":false}`, `aws.cloudtrail.user_identity.type: true`, false},
		{`"userIdentity":{"type":["AWSService","Root"]}`, `not aws.cloudtrail.user_identity.type: AWSService`, false},
		{`"userIdentity":{"type":["IAMUser","Root"]}`, `not aws.cloudtrail.user_identity.type: AWSService`, true},
		{`"userIdentity":{"accessKeyId":["ASIA1","AKIA2"]}`, `aws.cloudtrail.user_identity.access_key_id: AKIA*`, true},
		{`"userIdentity":{"accessKeyId":["ASIA1"]}`, `aws.cloudtrail.user_identity.access_key_id: AKIA*`, false},
		{`"sourceIPAddress":["ec2.amazonaws.com","203.0.113.9"]`, `source.ip: 203.0.113.0/24`, true},
		{`"sourceIPAddress":["ec2.amazonaws.com"]`, `source.ip: *`, false},
		{`"recipientAccountId":111122223333`, `cloud.account.id: 111122223333`, true},
	}
	for _, tt := range tests {
		m, err := Compile(mustParse(t, tt.query))
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.query, err)
		}
		raw := `{` + tt.members + `,"eventTime":"2025-01-02T03:04:05Z","eventName":"ListBuckets"}`
		for how, r := range typedRecords(t, raw) {
			if got := m.Match(r); got != tt.want {
				t.Errorf("%s over %s (%s) = %v, want %v", tt.query, tt.members, how, got, tt.want)
			}
		}
	}
}
