package rule

import (
	"reflect"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// TestSetIndex: a rule set compiles to the objects its rules read member by
// member. The seed rule reads eventSource, eventName and the outcome: only
// what every record's Malformed check reads (userIdentity to its session
// issuer). A Sigma rule adds the objects its raw paths walk through, an
// Elastic rule those of its ECS fields, an aggregate rule those of its
// keys; the two corpora together index requestParameters and
// responseElements but not tlsDetails' or serviceEventDetails' members
// unless a rule reads them.
func TestSetIndex(t *testing.T) {
	selection := func(rules []*Rule) []string {
		t.Helper()
		s, err := NewSet(rules)
		if err != nil {
			t.Fatal(err)
		}
		p := reader.NewIndexPaths()
		s.Index(p)
		paths, deep := p.Paths()
		var out []string
		for i, q := range paths {
			x := strings.Join(q, ".")
			if deep[i] {
				x += ".**"
			}
			out = append(out, x)
		}
		return out
	}
	seed := builtinByID(t, seedID)
	if got, want := selection([]*Rule{seed}), []string{"userIdentity.sessionContext.sessionIssuer"}; !reflect.DeepEqual(got, want) {
		t.Errorf("seed rule: %q, want %q", got, want)
	}
	sigmaRule := mustParseSigma(t, `title: t
id: 11111111-1111-1111-1111-111111111111
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: PutBucketPolicy
    requestParameters.policy.Statement.Principal: '*'
  condition: sel
`)
	if got, want := selection([]*Rule{sigmaRule}), []string{"requestParameters.policy.Statement", "userIdentity.sessionContext.sessionIssuer"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sigma rule: %q, want %q", got, want)
	}
	elastic := mustParse(t, `[rule]
rule_id = "r1"
name = "n"
description = "d"
risk_score = 21
severity = "low"
type = "new_terms"
language = "kuery"
query = "event.provider: iam.amazonaws.com and tls.cipher: *"
[rule.new_terms]
field = "new_terms_fields"
value = ["user.target.name"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-7d"
`)
	if got, want := selection([]*Rule{elastic}), []string{"requestParameters", "tlsDetails", "userIdentity.sessionContext.sessionIssuer"}; !reflect.DeepEqual(got, want) {
		t.Errorf("new_terms rule: %q, want %q", got, want)
	}

	elasticDir := gen.SharedDir(t, "rules", "elastic-aws")
	loaded, errs := Load([]string{elasticDir, gen.SharedDir(t, "rules", "sigma-aws")})
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	all := selection(loaded)
	t.Logf("the corpora (%d rules) index: %q", len(loaded), all)
	for _, want := range []string{"requestParameters", "responseElements.user", "userIdentity.sessionContext.sessionIssuer"} {
		found := false
		for _, p := range all {
			found = found || p == want || strings.HasPrefix(p, want+".")
		}
		if !found {
			t.Errorf("the corpora's selection %q lacks %s", all, want)
		}
	}
	for _, p := range all {
		if strings.HasSuffix(p, ".**") {
			t.Errorf("the corpora's selection %q indexes %s whole", all, p)
		}
	}
}

func mustParseSigma(t *testing.T, src string) *Rule {
	t.Helper()
	rs, err := ParseSigma("t.yml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || !rs[0].Supported {
		t.Fatalf("sigma rule: %d rules, %+v", len(rs), rs)
	}
	return rs[0]
}
