package rule

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/report"
)

// TestESQLCorpusSupport loads Elastic's AWS rules: every ES|QL rule loads,
// and all but the one that reads Kibana's alert indices run.
func TestESQLCorpusSupport(t *testing.T) {
	dir := gen.SharedDir(t, "rules", "elastic-aws")
	rules, errs := Load([]string{dir})
	if len(errs) > 0 {
		t.Fatalf("load errors: %v", errs)
	}
	var esqlN, supported int
	for _, r := range rules {
		if r.Language != "esql" {
			continue
		}
		esqlN++
		if r.Supported {
			supported++
			if !r.Aggregate() || r.Fields() == nil {
				t.Errorf("%s: supported but not an aggregate rule reading fields", r.Path)
			}
			continue
		}
		if !strings.Contains(r.Query, ".alerts-security") || !strings.Contains(r.Reason, "correlates other rules' alerts") {
			t.Errorf("%s: unsupported: %s", r.Path, r.Reason)
		}
	}
	if esqlN != 26 || supported != 25 {
		t.Errorf("%d ES|QL rules, %d supported; want 26 and 25", esqlN, supported)
	}
}

// corpusRule loads one rule of ../shared/rules/elastic-aws.
func corpusRule(t *testing.T, file string) *Rule {
	t.Helper()
	p := filepath.Join(gen.SharedDir(t, "rules", "elastic-aws"), file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	r, lerr := Parse(p, b, SourceElastic)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if !r.Supported {
		t.Fatalf("%s: %s", file, r.Reason)
	}
	return r
}

// invocations returns n records of principal arn calling action every
// step from 10:00:30.
func invocations(n int, step time.Duration, source, action, params string) []aggRecord {
	start := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	out := make([]aggRecord, n)
	for i := range out {
		raw := fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:app","arn":"arn:aws:sts::111122223333:assumed-role/app/i-1","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE000000001"},"eventTime":%q,"eventSource":%q,"eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"Boto3/1.34","requestParameters":%s,"responseElements":null,"readOnly":false,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data","eventID":"e%d"}`,
			start.Add(time.Duration(i)*step).Format(time.RFC3339), source, action, params, i)
		out[i] = aggRecord{name: fmt.Sprintf("e%d", i), raw: []byte(raw)}
	}
	return out
}

func feedAll(t *testing.T, r *Rule, recs []aggRecord, opts AggOptions) ([]report.Finding, *Aggregator) {
	t.Helper()
	a := NewAggregator(opts)
	for i, rc := range recs {
		rec := ecs.NewRecord(ecs.Options{})
		if err := rec.Reset(rc.raw); err != nil {
			t.Fatal(err)
		}
		if !r.Match(rec) {
			continue
		}
		at, _ := rec.EventTime()
		f := report.Finding{RuleID: r.ID, EventTime: at, EventID: rc.name, SourceURI: "test", RecordIndex: int64(i)}
		for _, e := range testEvents(r, rec, &f, false, nil) {
			if err := a.Add(&e); err != nil {
				t.Fatal(err)
			}
		}
	}
	return flushAll(t, a), a
}

func findingIDs(fs []report.Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.EventID)
	}
	return strings.Join(ids, " ")
}

// TestESQLHighVolumeRules runs the two corpus rules that count hundreds of
// invocations, at and just below their thresholds.
func TestESQLHighVolumeRules(t *testing.T) {
	const lambda = `{"functionName":"arn:aws:lambda:us-east-1:111122223333:function:f"}`
	const bedrock = `{"modelId":"anthropic.claude-3-haiku","contentType":"application/json"}`
	cases := []struct {
		file, source, action, params string
		n                            int
		step                         time.Duration
		want                         string
	}{
		// 1000 calls in 33 minutes: the execution [09:59, 11:00) sees them all.
		{"impact_lambda_high_frequency_invocation.toml", "lambda.amazonaws.com", "Invoke", lambda, 1000, 2 * time.Second, "e999"},
		{"impact_lambda_high_frequency_invocation.toml", "lambda.amazonaws.com", "Invoke", lambda, 999, 2 * time.Second, ""},
		// 500 calls in 500 s: the six executions looking back an hour from 10:10 to 11:00 see them all.
		{"exfiltration_bedrock_high_frequency_inference_api_probing.toml", "bedrock.amazonaws.com", "InvokeModel", bedrock, 500, time.Second, strings.Repeat("e499 ", 5) + "e499"},
		{"exfiltration_bedrock_high_frequency_inference_api_probing.toml", "bedrock.amazonaws.com", "InvokeModel", bedrock, 499, time.Second, ""},
	}
	for _, tc := range cases {
		r := corpusRule(t, tc.file)
		got, _ := feedAll(t, r, invocations(tc.n, tc.step, tc.source, tc.action, tc.params), AggOptions{})
		if ids := findingIDs(got); ids != tc.want {
			t.Errorf("%s, %d calls: findings on %q, want %q", tc.file, tc.n, ids, tc.want)
		}
	}
}

// TestESQLSpills runs an ES|QL rule with a memory budget far below its
// events: the events spill to sorted runs and the findings do not change.
func TestESQLSpills(t *testing.T) {
	r := corpusRule(t, "impact_lambda_high_frequency_invocation.toml")
	recs := invocations(1200, time.Second, "lambda.amazonaws.com", "Invoke", `{"functionName":"arn:aws:lambda:us-east-1:111122223333:function:f"}`)
	want, _ := feedAll(t, r, recs, AggOptions{})
	got, a := feedAll(t, r, recs, AggOptions{Memory: 16 << 10, Dir: t.TempDir()})
	if runs, _ := a.Spilt(); runs < 2 {
		t.Fatalf("%d runs spilt, want several", runs)
	}
	if findingIDs(got) != findingIDs(want) || len(want) == 0 {
		t.Errorf("with spilling: %q, without: %q", findingIDs(got), findingIDs(want))
	}
	for i := range want {
		if got[i].Details != want[i].Details {
			t.Errorf("finding %d: details %s, want %s", i, got[i].Details, want[i].Details)
		}
	}
}

// TestESQLSyntaxErrorPosition: a syntax error in an ES|QL query is a load
// error at its line and column in the file.
func TestESQLSyntaxErrorPosition(t *testing.T) {
	data := []byte("[rule]\nrule_id = \"x\"\nname = \"n\"\ntype = \"esql\"\nlanguage = \"esql\"\nseverity = \"low\"\nquery = '''\nfrom logs-aws.cloudtrail-*\n| where event.action == \"A\" and\n| keep event.action\n'''\n")
	_, lerr := Parse("bad.toml", data, SourceElastic)
	if lerr == nil {
		t.Fatal("no load error")
	}
	if lerr.Line != 10 || lerr.Col != 1 || !strings.Contains(lerr.Msg, `query 3:1: unexpected "|"`) {
		t.Errorf("error at %d:%d %q, want 10:1 query 3:1: unexpected \"|\"", lerr.Line, lerr.Col, lerr.Msg)
	}
}

// TestESQLDatasetDetonation runs the stop/start/user-data rule over Stratus
// Red Team's ec2-user-data detonation (../shared/datasets): the real stop,
// user-data change and start of one instance are one row, reported by each
// of the four executions that hold them; without the user-data change, none.
func TestESQLDatasetDetonation(t *testing.T) {
	p := filepath.Join(gen.SharedDir(t, "datasets", "stratus-detonations"), "aws.execution.ec2-user-data.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		t.Fatal(err)
	}
	var all, noModify []aggRecord
	var start, instance string
	for _, raw := range raws {
		var r struct {
			EventID, EventName string
			RequestParameters  struct{ InstanceID string }
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		rc := aggRecord{name: r.EventID, raw: raw}
		all = append(all, rc)
		switch r.EventName {
		case "ModifyInstanceAttribute":
			instance = r.RequestParameters.InstanceID
			continue
		case "StartInstances":
			start = r.EventID
		}
		noModify = append(noModify, rc)
	}
	if start == "" || instance == "" {
		t.Fatal("the detonation has no StartInstances or ModifyInstanceAttribute")
	}
	r := corpusRule(t, "execution_ec2_stop_start_with_user_data_modification.toml")
	got, _ := feedAll(t, r, all, AggOptions{})
	if ids := findingIDs(got); ids != strings.TrimSpace(strings.Repeat(start+" ", 4)) {
		t.Errorf("findings on %q, want the StartInstances record (%s) four times", ids, start)
	}
	for _, f := range got {
		if !strings.Contains(f.Details, `"Esql.instance_id":"`+instance+`"`) || !strings.Contains(f.Details, `"Esql.event_action_unique_count":3`) {
			t.Errorf("details %s, want instance %s and 3 actions", f.Details, instance)
		}
	}
	if got, _ := feedAll(t, r, noModify, AggOptions{}); len(got) != 0 {
		t.Errorf("without the user-data change: findings on %q, want none", findingIDs(got))
	}
}
