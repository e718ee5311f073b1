package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
)

const (
	lambdaRule = "5619545b-9738-408c-bdb5-a2807e19133e" // built-in: Lambda event source mapping created
	accessRule = "aac4ba89-2b3c-42a7-948c-2a1a3cede737" // built-in: IAM access key created for a user
)

// tuningTree writes one log file of five records: 0 and 1 match the Lambda
// rule (alice, bob), 2 and 3 the access key rule (alice for svc, bob for
// carol), 4 no rule. It returns the file's path.
func tuningTree(t *testing.T) string {
	t.Helper()
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	alice := gen.IAMUser("111122223333", "alice", "AKIAALICE0000000000A")
	bob := gen.IAMUser("111122223333", "bob", "AKIABOB00000000000B0")
	recs := []gen.Record{
		gen.Event(alice, at, "us-east-1", "lambda.amazonaws.com", "CreateEventSourceMapping20150331", `{"functionName":"f"}`, `{"uUID":"u1"}`),
		gen.Event(bob, at.Add(time.Minute), "us-east-1", "lambda.amazonaws.com", "CreateEventSourceMapping20150331", `{"functionName":"g"}`, `{"uUID":"u2"}`),
		gen.Event(alice, at.Add(2*time.Minute), "us-east-1", "iam.amazonaws.com", "CreateAccessKey", `{"userName":"svc"}`, ""),
		gen.Event(bob, at.Add(3*time.Minute), "us-east-1", "iam.amazonaws.com", "CreateAccessKey", `{"userName":"carol"}`, ""),
		gen.Event(bob, at.Add(4*time.Minute), "us-east-1", "s3.amazonaws.com", "ListBuckets", "", ""),
	}
	dir := t.TempDir()
	key := gen.LogKey("", "111122223333", "us-east-1", at, "tune")
	if err := gen.WriteTree(dir, []gen.File{{Key: key, Body: gen.Gzip(gen.LogFile(recs...))}}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, filepath.FromSlash(key))
}

// tuningSummary is the tuning part of the --summary JSON.
type tuningSummary struct {
	Records struct {
		Read, Evaluated int64
	} `json:"records"`
	Tuning *struct {
		Excluded   int64 `json:"excluded_records"`
		Suppressed int64 `json:"suppressed"`
		Excludes   []struct {
			Query  string `json:"query"`
			Origin string `json:"origin"`
			Count  int64  `json:"count"`
		} `json:"excludes"`
		Exceptions []struct {
			Rule, Query, Reason, Origin string
			Count                       int64
		} `json:"exceptions"`
		SuppressedByRule []struct {
			RuleID string `json:"rule_id"`
			Count  int64  `json:"count"`
		} `json:"suppressed_by_rule"`
	} `json:"tuning"`
}

func scanTuned(t *testing.T, src string, args ...string) (findings []string, sum tuningSummary, stderr string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "f.jsonl")
	sumPath := filepath.Join(t.TempDir(), "s.json")
	code, _, se := cli(t, append([]string{"scan", src, "--out", out, "--summary", sumPath}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se)
	}
	for _, r := range readFindings(t, out) {
		findings = append(findings, r["rule_id"]+" "+r["record_index"])
	}
	slices.Sort(findings)
	b, err := os.ReadFile(sumPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	return findings, sum, se
}

func TestTuningNone(t *testing.T) {
	src := tuningTree(t)
	got, sum, _ := scanTuned(t, src)
	want := []string{accessRule + " 2", accessRule + " 3", lambdaRule + " 0", lambdaRule + " 1"}
	if slices.Sort(want); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if sum.Tuning != nil {
		t.Errorf("tuning = %+v, want null without --exclude or --exceptions", sum.Tuning)
	}
}

func TestExclude(t *testing.T) {
	src := tuningTree(t)
	got, sum, stderr := scanTuned(t, src, "--exclude", "user.name: alice", "--exclude", "event.action: ListBuckets or user.name: alice")
	want := []string{accessRule + " 3", lambdaRule + " 1"}
	if slices.Sort(want); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	tu := sum.Tuning
	if tu == nil || tu.Excluded != 3 || len(tu.Excludes) != 2 || tu.Excludes[0].Count != 2 || tu.Excludes[1].Count != 1 ||
		tu.Excludes[0].Query != "user.name: alice" || tu.Suppressed != 0 {
		t.Errorf("tuning %+v, want 3 excluded: 2 by the first --exclude, 1 (ListBuckets) by the second", tu)
	}
	if sum.Records.Read != 5 || sum.Records.Evaluated != 5 {
		t.Errorf("records %+v, want 5 read, 5 evaluated (excluded records count as evaluated)", sum.Records)
	}
	if !strings.Contains(stderr, "3 records excluded") || !strings.Contains(stderr, "--exclude user.name: alice") {
		t.Errorf("stderr summary lacks the tuning lines:\n%s", stderr)
	}
}

func TestExceptions(t *testing.T) {
	src := tuningTree(t)
	exc := filepath.Join(t.TempDir(), "exceptions.yaml")
	body := `# known-benign activity
- rule: ` + lambdaRule + `
  query: 'user.name: bob'
  reason: the deploy pipeline
- rule: "*"
  query: 'aws.cloudtrail.flattened.request_parameters.userName: svc'
- rule: no-such-rule
  query: 'user.name: *'
`
	if err := os.WriteFile(exc, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	got, sum, stderr := scanTuned(t, src, "--exceptions", exc)
	want := []string{accessRule + " 3", lambdaRule + " 0"}
	if slices.Sort(want); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	tu := sum.Tuning
	if tu == nil || tu.Suppressed != 2 || tu.Excluded != 0 || len(tu.Exceptions) != 3 {
		t.Fatalf("tuning %+v, want 2 suppressed by 3 exceptions", tu)
	}
	for i, w := range []struct {
		rule, origin, reason string
		count                int64
	}{{lambdaRule, exc + ":2", "the deploy pipeline", 1}, {"*", exc + ":5", "", 1}, {"no-such-rule", exc + ":7", "", 0}} {
		e := tu.Exceptions[i]
		if e.Rule != w.rule || e.Origin != w.origin || e.Reason != w.reason || e.Count != w.count {
			t.Errorf("exception %d = %+v, want %+v", i, e, w)
		}
	}
	byRule := map[string]int64{}
	for _, rc := range tu.SuppressedByRule {
		byRule[rc.RuleID] = rc.Count
	}
	if len(byRule) != 2 || byRule[lambdaRule] != 1 || byRule[accessRule] != 1 {
		t.Errorf("suppressed_by_rule %+v, want one each for the two rules", tu.SuppressedByRule)
	}
	if !strings.Contains(stderr, "no selected rule has id no-such-rule") {
		t.Errorf("no warning about the exception naming an unknown rule:\n%s", stderr)
	}
	if !strings.Contains(stderr, "2 matches suppressed") || !strings.Contains(stderr, "(the deploy pipeline)") {
		t.Errorf("stderr summary lacks the exceptions:\n%s", stderr)
	}
}

func TestTuningErrors(t *testing.T) {
	src := tuningTree(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badYAML := write("bad.yaml", "- rule: x\n  query: 'a: b'\n- rule: [unclosed\n")
	badKQL := write("badkql.yaml", "- rule: x\n  query: 'user.name: a'\n- rule: y\n  query: 'user.name: (a'\n")
	unknownKey := write("key.yaml", "- rule: x\n  qurey: 'user.name: a'\n")
	rawField := write("raw.yaml", "- rule: '*'\n  query: 'sourceIPAddress: 10.0.0.1'\n")
	notList := write("map.yaml", "rule: x\nquery: 'user.name: a'\n")
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"exclude syntax", []string{"--exclude", "user.name: alice", "--exclude", "user.name: (a"}, []string{"--exclude 2", "query 1:"}},
		{"exclude empty", []string{"--exclude", " "}, []string{"--exclude 1", "empty query"}},
		{"exclude raw field", []string{"--exclude", "eventName: X"}, []string{"--exclude 1", "event.action"}},
		{"yaml", []string{"--exceptions", badYAML}, []string{badYAML, "yaml: line"}},
		{"kql", []string{"--exceptions", badKQL}, []string{badKQL + ":4:", "query 1:"}},
		{"unknown key", []string{"--exceptions", unknownKey}, []string{unknownKey + ":2:", `unknown key "qurey"`}},
		{"raw field", []string{"--exceptions", rawField}, []string{rawField + ":2:", "source.address"}},
		{"not a list", []string{"--exceptions", notList}, []string{notList + ":1:", "list"}},
		{"missing", []string{"--exceptions", filepath.Join(dir, "nope.yaml")}, []string{"--exceptions", "nope.yaml"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := cli(t, append([]string{"scan", src, "-q"}, c.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestExceptionsAggregate: an exception applies to the records before they
// feed a threshold rule: an excepted record does not count towards it.
func TestExceptionsAggregate(t *testing.T) {
	dir := t.TempDir()
	rulePath := filepath.Join(dir, "threshold.toml")
	if err := os.WriteFile(rulePath, []byte(`[rule]
rule_id = "tune-threshold"
name = "Three GetObject by one user"
type = "threshold"
severity = "low"
risk_score = 21
query = "event.action: GetObject"
from = "now-6m"
interval = "5m"
[rule.threshold]
field = ["user.name"]
value = 3
`), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 9, 0, 10, 0, time.UTC)
	alice := gen.IAMUser("111122223333", "alice", "AKIAALICE0000000000A")
	var recs []gen.Record
	for i, k := range []string{"k1", "k2", "k3"} {
		recs = append(recs, gen.Event(alice, at.Add(time.Duration(i)*time.Second), "us-east-1", "s3.amazonaws.com", "GetObject", `{"bucketName":"b","key":"`+k+`"}`, ""))
	}
	tree := t.TempDir()
	key := gen.LogKey("", "111122223333", "us-east-1", at, "agg")
	if err := gen.WriteTree(tree, []gen.File{{Key: key, Body: gen.Gzip(gen.LogFile(recs...))}}); err != nil {
		t.Fatal(err)
	}
	got, _, _ := scanTuned(t, tree, "--rules", rulePath)
	if len(got) != 1 {
		t.Fatalf("without exceptions: findings %v, want one threshold finding", got)
	}
	exc := filepath.Join(dir, "exc.yaml")
	if err := os.WriteFile(exc, []byte("- rule: tune-threshold\n  query: 'aws.cloudtrail.flattened.request_parameters.key: k2'\n  reason: a known job\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, sum, _ := scanTuned(t, tree, "--rules", rulePath, "--exceptions", exc)
	if len(got) != 0 {
		t.Errorf("with the exception: findings %v, want none (two events left, under the threshold)", got)
	}
	if sum.Tuning == nil || sum.Tuning.Suppressed != 1 || len(sum.Tuning.SuppressedByRule) != 1 || sum.Tuning.SuppressedByRule[0].RuleID != "tune-threshold" {
		t.Errorf("tuning %+v, want one event of tune-threshold suppressed", sum.Tuning)
	}
}
