package scan

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
)

// typeRules are one rule per language, each firing on any ListBuckets call
// whose caller is not an AWS service: a record whose userIdentity.type is
// an object reads as having no type, so each would fire on it.
var typeRules = map[string]string{
	"kql.toml": `[rule]
rule_id = "kql-types"
name = "KQL ListBuckets"
type = "query"
language = "kuery"
severity = "low"
risk_score = 21
query = 'event.action: ListBuckets and not aws.cloudtrail.user_identity.type: AWSService'
`,
	"eql.toml": `[rule]
rule_id = "eql-types"
name = "EQL ListBuckets"
type = "eql"
language = "eql"
severity = "low"
risk_score = 21
query = 'any where event.action == "ListBuckets" and aws.cloudtrail.user_identity.type != "AWSService"'
`,
	"sigma.yml": `title: Sigma ListBuckets
id: 00000000-0000-0000-0000-0000000000a1
status: test
level: low
logsource:
    product: aws
    service: cloudtrail
detection:
    sel:
        eventName: ListBuckets
    filter:
        userIdentity.type: AWSService
    condition: sel and not filter
`,
}

// TestRunMalformedByType: a record with an object where CloudTrail writes a
// string (ECS.md §1), alone or inside an array, is counted as malformed
// under the field's name and evaluated by no rule of any language; an
// object inside requestParameters is not.
func TestRunMalformedByType(t *testing.T) {
	rulesDir := t.TempDir()
	for name, text := range typeRules {
		if err := os.WriteFile(filepath.Join(rulesDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	loaded, errs := rule.Load([]string{rulesDir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	set, err := rule.NewSet(loaded)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(set.Runnable()); n != 3 {
		t.Fatalf("%d runnable rules, want 3", n)
	}
	const base = `"eventTime":"2026-11-20T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","recipientAccountId":"111122223333"`
	records := []string{
		`{"eventID":"ok-1",` + base + `,"userIdentity":{"type":"IAMUser","userName":"alice"}}`,
		`{"eventID":"bad-type",` + base + `,"userIdentity":{"type":{"a":1},"userName":"alice"}}`,
		`{"eventID":"bad-source","eventTime":"2026-11-20T10:00:00Z","eventSource":["s3.amazonaws.com",{"a":1}],"eventName":"ListBuckets","userIdentity":{"type":"IAMUser"}}`,
		`{"eventID":"bad-issuer",` + base + `,"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"userName":{"n":"r"}}}}}`,
		`{"eventID":"ok-params",` + base + `,"userIdentity":{"type":"IAMUser"},"requestParameters":{"eventSource":{"a":1},"userIdentity":{"type":{"b":2}}}}`,
		`{"eventID":"ok-empty",` + base + `,"userIdentity":{"type":{},"userName":"bob"}}`,
	}
	dir := t.TempDir()
	body := `{"Records":[` + strings.Join(records, ",") + `]}`
	if err := os.WriteFile(filepath.Join(dir, "trail.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := reader.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sink collect
	sum, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: set, Workers: 1}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range sink.fs {
		got = append(got, f.EventID+" "+f.RuleID)
	}
	slices.Sort(got)
	want := []string{
		"ok-1 00000000-0000-0000-0000-0000000000a1", "ok-1 eql-types", "ok-1 kql-types",
		"ok-empty 00000000-0000-0000-0000-0000000000a1", "ok-empty eql-types", "ok-empty kql-types",
		"ok-params 00000000-0000-0000-0000-0000000000a1", "ok-params eql-types", "ok-params kql-types",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
	r := sum.Records
	if r.Read != 6 || r.Evaluated != 3 || r.Malformed != 3 || r.OutsideWindow != 0 {
		t.Errorf("records %+v, want 6 read, 3 evaluated, 3 malformed", r)
	}
	wantBy := map[string]int64{
		"userIdentity.type is an object":                                  1,
		"eventSource holds an object in an array":                         1,
		"userIdentity.sessionContext.sessionIssuer.userName is an object": 1,
	}
	if len(r.MalformedBy) != len(wantBy) {
		t.Errorf("malformed by reason %v, want %v", r.MalformedBy, wantBy)
	}
	for why, n := range wantBy {
		if r.MalformedBy[why] != n {
			t.Errorf("malformed by reason %v, want %v", r.MalformedBy, wantBy)
		}
	}
}
