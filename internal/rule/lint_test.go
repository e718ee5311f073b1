package rule

import (
	"slices"
	"strings"
	"testing"
)

// TestLintFields: the warnings a fourth language gets for the fields its
// query reads, and the KQL rules' through the same function.
func TestLintFields(t *testing.T) {
	r := &Rule{ID: "r1", Name: "n", Path: "rules/x.toml"}
	ws := LintFields(r, []string{"source.ip", "source.as.organization.name", "user.target.name", "sourceIPAddress", "source.as.organization.name", "no.such.field", "data_stream.namespace"})
	var got []string
	for _, w := range ws {
		got = append(got, w.Field)
		if w.RuleID != "r1" || w.Path != "rules/x.toml" || !strings.HasPrefix(w.Msg, "reads "+w.Field+": ") {
			t.Errorf("warning %+v", w)
		}
	}
	if want := []string{"source.as.organization.name", "sourceIPAddress", "no.such.field", "data_stream.namespace"}; !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
	if len(ws) == 4 && !strings.Contains(ws[0].Msg, "ASN database") {
		t.Errorf("source.as warning %q does not say why", ws[0].Msg)
	}

	// A KQL rule's compiled fields go through LintFields too.
	kql, lerr := Parse("x.toml", []byte(`[rule]
rule_id = "k"
name = "k"
description = "d"
risk_score = 21
severity = "low"
type = "query"
language = "kuery"
query = 'user.target.name: bob and source.geo.country_iso_code: RU and user_agent.name: curl'
`), "elastic")
	if lerr != nil {
		t.Fatal(lerr)
	}
	var msgs []string
	for _, w := range Lint([]*Rule{kql}) {
		msgs = append(msgs, w.Msg)
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], "source.geo.country_iso_code: needs a GeoIP database") || !strings.Contains(msgs[1], "user_agent.name: parsed by Elasticsearch's user_agent processor") {
		t.Errorf("lint of a KQL rule: %q", msgs)
	}
}
