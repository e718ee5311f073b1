package eql

import (
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// TestCallConstantArgs: calls whose arguments after the first are
// constants (precomputed by newCallCond) match as the general path does,
// null arguments included.
func TestCallConstantArgs(t *testing.T) {
	rec := ecs.NewRecord(ecs.Options{})
	if err := rec.Reset([]byte(`{"eventSource":"s3.amazonaws.com","eventName":"GetObject","userAgent":"Boto3/1.0 distrib#kali","awsRegion":"us-east-1"}`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want bool
	}{
		{`any where stringContains(user_agent.original, "kali")`, true},
		{`any where stringContains(user_agent.original, "KALI")`, false},
		{`any where stringContains~(user_agent.original, "KALI")`, true},
		{`any where stringContains(user_agent.original, null)`, false},
		{`any where startsWith(user_agent.original, "Boto3")`, true},
		{`any where endsWith(user_agent.original, "kali")`, true},
		{`any where endsWith(user_agent.original, "boto3")`, false},
		{`any where wildcard(user_agent.original, null, "*#kali")`, true},
		{`any where wildcard(user_agent.original, "x*", "y*")`, false},
		{`any where stringContains(user_agent.original, cloud.region)`, false},
		{`any where stringContains(user_agent.original, event.provider)`, false},
		{`any where stringContains(event.provider, cloud.region)`, false},
		{`any where stringContains("s3.amazonaws.com.us-east-1", cloud.region)`, true},
	} {
		q, err := Parse(c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		m, err := Compile(q.Event, "")
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if got := m.Match(rec); got != c.want {
			t.Errorf("%s: %v, want %v", c.q, got, c.want)
		}
	}
}
