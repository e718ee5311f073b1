package rule

import (
	"reflect"
	"slices"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// TestSetIndex: a rule set compiles to the objects of the record its rules
// read member by member. The seed rule reads eventSource, eventName and the
// outcome: only userIdentity, which every record's Malformed check reads.
// A Sigma rule adds the objects its raw paths walk through, an Elastic rule
// those of its ECS fields, an aggregate rule those of its keys; the two
// corpora together index requestParameters, responseElements,
// additionalEventData and tlsDetails, not serviceEventDetails, which no
// rule reads into.
func TestSetIndex(t *testing.T) {
	selection := func(rules []*Rule) []string {
		t.Helper()
		s, err := NewSet(rules)
		if err != nil {
			t.Fatal(err)
		}
		p := reader.NewIndexPaths()
		s.Index(p)
		keys, all := p.Keys()
		if all {
			return []string{"**"}
		}
		return keys
	}
	seed := builtinByID(t, seedID)
	if got, want := selection([]*Rule{seed}), []string{"userIdentity"}; !reflect.DeepEqual(got, want) {
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
	if got, want := selection([]*Rule{sigmaRule}), []string{"requestParameters", "userIdentity"}; !reflect.DeepEqual(got, want) {
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
	if got, want := selection([]*Rule{elastic}), []string{"requestParameters", "tlsDetails", "userIdentity"}; !reflect.DeepEqual(got, want) {
		t.Errorf("new_terms rule: %q, want %q", got, want)
	}

	elasticDir := gen.SharedDir(t, "rules", "elastic-aws")
	loaded, errs := Load([]string{elasticDir, gen.SharedDir(t, "rules", "sigma-aws")})
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	all := selection(loaded)
	t.Logf("the corpora (%d rules) index: %q", len(loaded), all)
	for _, want := range []string{"requestParameters", "responseElements", "userIdentity", "additionalEventData", "tlsDetails"} {
		if !slices.Contains(all, want) {
			t.Errorf("the corpora's selection %q lacks %s", all, want)
		}
	}
	for _, left := range []string{"serviceEventDetails", "**"} {
		if slices.Contains(all, left) {
			t.Errorf("the corpora's selection %q indexes %s, which no rule reads into", all, left)
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
