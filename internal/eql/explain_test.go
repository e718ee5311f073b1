package eql

import (
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

func TestExplain(t *testing.T) {
	rec := ecs.NewRecord(ecs.Options{})
	if err := rec.Reset([]byte(`{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","userAgent":"aws-cli/2",
		"userIdentity":{"type":"IAMUser","userName":"alice"}}`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q, why string
		match  bool
	}{
		{`iam where event.action == "CreateUser" and user.name == "bob"`, `user.name == "bob"`, false},
		{`network where event.action == "CreateUser"`, `event.category == "network"`, false},
		{`any where event.action == "DeleteUser" or startsWith(user_agent.original, "aws-cli")`, `startsWith(user_agent.original, "aws-cli")`, true},
		{`any where event.action : "create*" and not user.name in ("alice", "carol")`, `not user.name in ("alice", "carol")`, false},
		{`iam where event.action == "CreateUser"`, `event.action == "CreateUser"`, true},
	} {
		q, err := Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Compile(q.Event, "")
		if err != nil {
			t.Fatal(err)
		}
		ok, why := m.Explain(rec)
		if ok != c.match || ok != m.Match(rec) || why.String() != c.why {
			t.Errorf("%s: Explain = %v, %q; want %v, %q", c.q, ok, why, c.match, c.why)
		}
		if _, err := Parse("any where " + why.String()); err != nil {
			t.Errorf("%s: deciding clause %q does not parse back: %v", c.q, why, err)
		}
	}
}
