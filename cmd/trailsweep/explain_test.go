package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// explainTree writes one log file: 0 a Lambda event source mapping (the
// built-in rule matches), 1 an access key created without a userName (a
// near miss of the access key rule), 2 an access key created for svc, 3 an
// access key for carol, 4 a record whose eventSource is an object
// (malformed). It returns the file's path.
func explainTree(t *testing.T) string {
	t.Helper()
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	alice := gen.IAMUser("111122223333", "alice", "AKIAALICE0000000000A")
	recs := []gen.Record{
		gen.Event(alice, at, "us-east-1", "lambda.amazonaws.com", "CreateEventSourceMapping20150331", `{"functionName":"f\u001b[2J"}`, `{"uUID":"u1"}`),
		gen.Event(alice, at, "us-east-1", "iam.amazonaws.com", "CreateAccessKey", `{}`, ""),
		gen.Event(alice, at, "us-east-1", "iam.amazonaws.com", "CreateAccessKey", `{"userName":"svc"}`, ""),
		gen.Event(alice, at, "us-east-1", "iam.amazonaws.com", "CreateAccessKey", `{"userName":"carol"}`, ""),
	}
	body := gen.LogFile(recs...)
	// Record 4: eventSource an object, where CloudTrail writes a string.
	bad := `{"eventVersion":"1.09","eventTime":"2026-11-20T09:00:00Z","eventSource":{"x":1},"eventName":"ListBuckets","eventID":"e4"}`
	body = append(body[:len(body)-2], []byte(","+bad+"]}")...)
	dir := t.TempDir()
	p := filepath.Join(dir, "log.json")
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExplainMatch(t *testing.T) {
	src := explainTree(t)
	code, out, stderr := cli(t, "explain", src+"#0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"record " + src + "#0",
		"rules: 1 match, 8 do not (of 9 evaluated)",
		"MATCH     " + lambdaRule + "  AWS Lambda Event Source Mapping Creation",
		"matched by: data_stream.dataset: aws.cloudtrail and event.provider: lambda.amazonaws.com and event.action: CreateEventSourceMapping* and event.outcome: success",
		"8 rule(s) do not match (--all or --rule ID says why)",
		`"event.action": "CreateEventSourceMapping20150331",`,
		`"aws.cloudtrail.flattened.request_parameters.functionName": "f\u001b[2J",`, // JSON-escaped, inert
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("raw escape character in the output")
	}
	// The document is JSON, keys sorted.
	start, end := strings.Index(out, "{\n"), strings.Index(out, "\n}\n")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out[start:end+2]), &doc); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}
	if doc["user.name"] != "alice" || doc["cloud.service.name"] != "lambda" {
		t.Errorf("document %v", doc)
	}
	// --all says why every other rule fails.
	_, out, _ = cli(t, "explain", src+"#0", "--all")
	if n := strings.Count(out, "NO MATCH"); n != 8 {
		t.Errorf("--all shows %d NO MATCH lines, want 8:\n%s", n, out)
	}
}

func TestExplainNearMiss(t *testing.T) {
	src := explainTree(t)
	code, out, stderr := cli(t, "explain", src+"#1", "--rule", accessRule)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"rules: 0 match, 1 do not (of 1 evaluated)",
		"NO MATCH  " + accessRule,
		"failed at: aws.cloudtrail.flattened.request_parameters.userName: *",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// An ad-hoc query: the or's clause that held.
	_, out, _ = cli(t, "explain", src+"#1", "--query", "user.name: bob or (source.ip: 198.51.100.0/24 and event.action: CreateAccessKey)")
	if !strings.Contains(out, "matched by: source.ip: 198.51.100.0/24 and event.action: CreateAccessKey") {
		t.Errorf("ad-hoc query: want the or's second clause as deciding:\n%s", out)
	}
	_, out, _ = cli(t, "explain", src+"#1", "--query", "event.action: CreateAccessKey and not user.name: alice")
	if !strings.Contains(out, "failed at: not user.name: alice") {
		t.Errorf("ad-hoc query: want the not as deciding:\n%s", out)
	}
}

func TestExplainErrors(t *testing.T) {
	src := explainTree(t)
	for _, c := range []struct {
		arg  string
		args []string
		want string
	}{
		{src + "#5", nil, "holds 5 record(s): index 5 is out of range"},
		{src + "#-1", nil, "is not a record_index"},
		{src, nil, "want SOURCE#INDEX"},
		{filepath.Dir(src) + "#0", nil, "this is a directory"},
		{src + "#0", []string{"--rule", "no-such-rule"}, "--rule no-such-rule: no runnable rule"},
	} {
		code, _, stderr := cli(t, append([]string{"explain", c.arg}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("explain %s %v: exit %d, stderr %q; want 2 and %q", c.arg, c.args, code, stderr, c.want)
		}
	}
}

func TestExplainMalformed(t *testing.T) {
	src := explainTree(t)
	code, out, stderr := cli(t, "explain", src+"#4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "malformed: ") || !strings.Contains(out, "eventSource is an object") || strings.Contains(out, "MATCH") {
		t.Errorf("want the record explained as malformed, no rule evaluated:\n%s", out)
	}
}

func TestExplainSigma(t *testing.T) {
	src := explainTree(t)
	rules := filepath.Join(t.TempDir(), "svc_key.yml")
	if err := os.WriteFile(rules, []byte(`title: Access key created for a user other than svc
id: 0b5c7d8e-1111-4222-8333-944455556666
status: test
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: iam.amazonaws.com
    eventName: CreateAccessKey
  filter:
    requestParameters.userName: svc
  condition: selection and not filter
level: high
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		index string
		want  []string
	}{
		{"3", []string{"MATCH     0b5c7d8e-1111-4222-8333-944455556666", "(sigma, query)", "matched by: selection and not filter"}},
		{"2", []string{"NO MATCH  0b5c7d8e-1111-4222-8333-944455556666", "failed at: not filter"}},
		{"0", []string{"NO MATCH", "failed at: selection (eventSource)"}},
	} {
		code, out, stderr := cli(t, "explain", src+"#"+c.index, "--rules", rules)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("record %s: output lacks %q:\n%s", c.index, w, out)
			}
		}
	}
}
