package rule

import (
	"fmt"
	"slices"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/eql"
)

// leafKeysOf compiles a query ("kql:…", "eql:…" or "sigma:" and a
// selection's YAML) and returns its leaf keys.
func leafKeysOf(t *testing.T, q string) []string {
	t.Helper()
	switch {
	case len(q) > 4 && q[:4] == "kql:":
		m, err := compile(q[4:])
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return m.LeafKeys()
	case len(q) > 4 && q[:4] == "eql:":
		p, err := eql.Parse(q[4:])
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		m, err := eql.Compile(p.Event, "")
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return m.LeafKeys()
	case len(q) > 6 && q[:6] == "sigma:":
		src := "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n" + q[6:] + "  condition: sel\n"
		rs, err := ParseSigma("t.yml", []byte(src), Options{})
		if err != nil || len(rs) != 1 || !rs[0].Runnable() {
			t.Fatalf("%s: %v %v", q, err, rs)
		}
		return leafKeys(rs[0].m)
	}
	t.Fatalf("bad query %q", q)
	return nil
}

// TestPredicateKeys: two leaves share a key when they test the same thing
// (KQL's field: "s" and EQL's field == "s" included), and never when some
// record tells them apart.
func TestPredicateKeys(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{`kql:event.provider: "iam.amazonaws.com"`, `eql:any where event.provider == "iam.amazonaws.com"`, true},
		{`kql:event.outcome: success`, `kql:event.outcome: "success"`, true},
		{`kql:event.outcome: success`, `eql:any where event.outcome == "success"`, true},
		{`kql:event.provider: "IAM.amazonaws.com"`, `kql:event.provider: "iam.amazonaws.com"`, false},
		{`kql:event.provider: "iam.amazonaws.com"`, `kql:event.action: "iam.amazonaws.com"`, false},
		{`kql:aws.cloudtrail.error_code: 1`, `kql:aws.cloudtrail.error_code: "1"`, true}, // both also match 1.0
		{`kql:aws.cloudtrail.error_code: 1`, `kql:aws.cloudtrail.error_code: "1.0"`, false},
		{`kql:aws.cloudtrail.error_code: 1`, `eql:any where aws.cloudtrail.error_code == "1"`, false},
		{`kql:aws.cloudtrail.error_code: true`, `eql:any where aws.cloudtrail.error_code == "true"`, false},
		{`kql:event.action: Create*`, `kql:event.action: *Create`, false},
		{`kql:event.action: a*b`, `kql:event.action: a*b*`, false},
		{`kql:event.action: *`, `kql:event.action: "*"`, false},
		{`kql:source.ip: 10.0.0.0/8`, `kql:source.ip: 10.0.0.0/16`, false},
		{`kql:event.action > "a"`, `kql:event.action >= "a"`, false},
		{`eql:any where event.action == "a"`, `eql:any where event.action : "a"`, false},
		{`eql:any where event.action in ("a", "b")`, `eql:any where event.action in~ ("a", "b")`, false},
		{`eql:any where event.action in ("a", "b")`, `eql:any where event.action in ("a", "c")`, false},
		{`eql:any where event.action < "5"`, `eql:any where event.action <= "5"`, false},
		{`eql:any where startsWith(event.action, "Get")`, `eql:any where startsWith~(event.action, "Get")`, false},
		{`eql:any where event.action == null`, `eql:any where event.outcome == null`, false},
		{"sigma:    eventSource: iam.amazonaws.com\n", "sigma:    eventSource: iam.amazonaws.com\n", true},
		{"sigma:    eventSource: iam.amazonaws.com\n", "sigma:    eventSource|contains: iam.amazonaws.com\n", false},
		{"sigma:    eventSource: iam.amazonaws.com\n", "sigma:    eventSource|cased: iam.amazonaws.com\n", false},
		{"sigma:    eventSource: iam.amazonaws.com\n", "sigma:    eventName: iam.amazonaws.com\n", false},
		{"sigma:    eventSource: iam.amazonaws.com\n", `kql:event.provider: "iam.amazonaws.com"`, false},
	} {
		ka, kb := leafKeysOf(t, tt.a), leafKeysOf(t, tt.b)
		if len(ka) != 1 || len(kb) > 1 || tt.same && len(kb) != 1 {
			t.Errorf("%s: %q; %s: %q: want one leaf each (or none for the second, when not the same)", tt.a, ka, tt.b, kb)
			continue
		}
		if got := slices.Equal(ka, kb); got != tt.same {
			t.Errorf("%s (%q) and %s (%q): same key %v, want %v", tt.a, ka, tt.b, kb, got, tt.same)
		}
	}
}

// TestSharedPredicates: a Set shares the predicates its rules repeat,
// notes their outcome on the record, and its verdicts stay those of each
// rule alone, record after record; two Sets evaluating one record agree on
// what an id means.
func TestSharedPredicates(t *testing.T) {
	a, err := NewSet(adhocRules(t,
		`event.provider: "iam.amazonaws.com" and event.action: "CreateUser"`,
		`event.provider: "iam.amazonaws.com" and event.outcome: "failure"`,
		`event.action: "CreateUser" and not event.outcome: "failure"`,
		`source.ip: 10.0.0.0/8`,
	))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Shared(); got != 3 { // the provider, CreateUser, failure
		t.Errorf("Shared() = %d, want 3", got)
	}
	// A second set whose shared predicate is another one.
	b, err := NewSet(adhocRules(t, `event.action: "DeleteUser" and source.ip: 10.0.0.0/8`, `event.action: "DeleteUser"`))
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Shared(); got != 1 {
		t.Errorf("b.Shared() = %d, want 1", got)
	}
	rec := ecs.NewRecord(ecs.Options{})
	la, lb := a.Local(), b.Local()
	n := 0
	for _, src := range []string{"iam.amazonaws.com", "s3.amazonaws.com"} {
		for _, action := range []string{"CreateUser", "DeleteUser"} {
			for _, errCode := range []string{"", `,"errorCode":"AccessDenied"`} {
				for _, ip := range []string{"10.1.2.3", "192.0.2.1"} {
					raw := fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"2026-01-02T03:04:05Z","eventSource":%q,"eventName":%q,"sourceIPAddress":%q,"awsRegion":"us-east-1"%s}`, src, action, ip, errCode)
					if err := rec.Reset([]byte(raw)); err != nil {
						t.Fatal(err)
					}
					for _, s := range []struct {
						set   *Set
						local *Local
					}{{a, la}, {b, lb}} {
						var want []*Rule
						for _, r := range s.set.Runnable() {
							if r.Match(rec) {
								want = append(want, r)
							}
						}
						n += len(want)
						for round := range 2 { // the second answers from the memo
							if got := s.local.MatchRecord(rec, nil); !slices.Equal(got, want) {
								t.Errorf("%s, round %d: MatchRecord %v, each rule alone %v", raw, round, ids(got), ids(want))
							}
						}
					}
					// The provider's outcome is noted (the rules pinning it are
					// candidates for IAM's records only).
					v, ok := rec.Memo(predID(leafKeysOf(t, `kql:event.provider: "iam.amazonaws.com"`)[0]))
					if src == "iam.amazonaws.com" && (!ok || !v) {
						t.Errorf("%s: memo of the provider predicate %v, %v", raw, v, ok)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Error("no rule matched: the test exercises nothing")
	}
}
