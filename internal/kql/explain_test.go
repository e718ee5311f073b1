package kql

import (
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

func TestExplain(t *testing.T) {
	rec := ecs.NewRecord(ecs.Options{})
	if err := rec.Reset([]byte(`{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","sourceIPAddress":"10.1.2.3",
		"requestParameters":{"userName":"bob"},"userIdentity":{"type":"IAMUser","userName":"alice"}}`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q, why string
		match  bool
	}{
		{`event.provider: iam.amazonaws.com and event.action: DeleteUser and user.name: alice`, `event.action: DeleteUser`, false},
		{`event.provider: iam.amazonaws.com and event.action: CreateUser`, `event.provider: iam.amazonaws.com and event.action: CreateUser`, true},
		{`event.action: DeleteUser or (source.ip: 10.0.0.0/8 and user.name: alice)`, `source.ip: 10.0.0.0/8 and user.name: alice`, true},
		{`event.action: DeleteUser or user.name: bob`, `event.action: DeleteUser or user.name: bob`, false},
		{`event.action: CreateUser and not (user.name: alice or user.name: carol)`, `not user.name: alice`, false},
		{`aws.cloudtrail.flattened.request_parameters: { userName: carol }`, `aws.cloudtrail.flattened.request_parameters: { userName: carol }`, false},
		{`event.action: (DeleteUser or CreateUser) and user.name < b`, `event.action: (DeleteUser or CreateUser) and user.name < b`, true},
	} {
		n, err := Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Compile(n)
		if err != nil {
			t.Fatal(err)
		}
		ok, why := m.Explain(rec)
		if ok != c.match || ok != m.Match(rec) || why.String() != c.why {
			t.Errorf("%s: Explain = %v, %q; want %v, %q", c.q, ok, why, c.match, c.why)
		}
		if back, err := Parse(why.String()); err != nil || back.String() != why.String() {
			t.Errorf("%s: deciding clause %q does not parse back: %v", c.q, why, err)
		}
	}
}
