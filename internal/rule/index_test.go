package rule

import (
	"bytes"
	"slices"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/reader"
)

// matchWays returns the rules Set.MatchRecord and Local.MatchRecord give
// for raw, read whole (Reset) and member by member (ResetMembers, as the
// scanner does), and brute force: every runnable rule evaluated.
func matchWays(t testing.TB, s *Set, local *Local, raw []byte) (ways map[string][]string, brute []string) {
	t.Helper()
	whole, lazy := ecs.NewRecord(ecs.Options{}), ecs.NewRecord(ecs.Options{})
	if err := whole.Reset(raw); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	dec, err := reader.NewDecoder(bytes.NewReader(raw), reader.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	split, err := dec.Next()
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	if err := lazy.ResetMembers(split, dec.Index()); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Runnable() {
		if r.Match(whole) {
			brute = append(brute, r.Key())
		}
	}
	keys := func(rs []*Rule) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.Key())
		}
		return out
	}
	ways = map[string][]string{
		"Set/whole":   keys(s.MatchRecord(whole, nil)),
		"Set/lazy":    keys(s.MatchRecord(lazy, nil)),
		"Local/whole": keys(local.MatchRecord(whole, nil)),
		"Local/lazy":  keys(local.MatchRecord(lazy, nil)),
	}
	if brute == nil {
		brute = []string{}
	}
	return ways, brute
}

// TestIndexNonStrings: the provider, action and identity index never
// narrows away a rule that a record could match whose eventSource,
// eventName or userIdentity.type is an array, a number, a boolean or null,
// or whose userIdentity is an array (issue 21).
func TestIndexNonStrings(t *testing.T) {
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	rules := append(builtin, adhocRules(t,
		`event.provider: "iam.amazonaws.com" and aws.cloudtrail.user_identity.type: "Root"`,
		`event.action: "12345"`,
		`event.provider: true`,
	)...)
	s, err := NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	local := s.Local()
	const ct = `"cloudtrail.amazonaws.com"`
	for _, tt := range []struct {
		raw      string
		nonEmpty bool // brute force finds a rule: the case exercises the index
	}{
		{`{"eventSource":` + ct + `,"eventName":"DeleteTrail"}`, true},
		{`{"eventSource":[` + ct + `],"eventName":"DeleteTrail"}`, true},
		{`{"eventSource":["rds.amazonaws.com",` + ct + `],"eventName":"DeleteTrail"}`, true},
		{`{"eventSource":` + ct + `,"eventName":["DeleteTrail"]}`, true},
		{`{"eventSource":[` + ct + `],"eventName":[["StopLogging"]]}`, true},
		{`{"eventSource":[],"eventName":"DeleteTrail"}`, false},
		{`{"eventSource":null,"eventName":"DeleteTrail"}`, false},
		{`{"eventSource":"iam.amazonaws.com","eventName":"x","userIdentity":{"type":["Root"]}}`, true},
		{`{"eventSource":"iam.amazonaws.com","eventName":"x","userIdentity":[{"type":"Root"}]}`, false},
		{`{"eventSource":"iam.amazonaws.com","eventName":"x","userIdentity":{"type":"Root"}}`, true},
		{`{"eventSource":"s3.amazonaws.com","eventName":12345}`, true},
		{`{"eventSource":true,"eventName":"x"}`, true},
		{`{"eventSource":"s3.amazonaws.com","eventName":[12345]}`, true},
	} {
		for range 2 { // the second time from the candidate caches
			ways, brute := matchWays(t, s, local, []byte(tt.raw))
			for way, got := range ways {
				if !slices.Equal(got, brute) {
					t.Errorf("%s: %s %q, brute force %q", tt.raw, way, got, brute)
				}
			}
			if tt.nonEmpty && len(brute) == 0 {
				t.Errorf("%s: no rule matches by brute force; the case tests nothing", tt.raw)
			}
		}
	}
}
