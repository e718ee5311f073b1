package main

import (
	"os"
	"strings"
	"testing"
)

// TestAdhocRawField: a --query on a raw CloudTrail name used to run and
// match nothing (exit 0, no finding); it now exits 2 and names the ECS
// field to use. A rule file reading such a field still loads (lint warns).
func TestAdhocRawField(t *testing.T) {
	cases := []struct{ query, want string }{
		{`sourceIPAddress: "203.0.113.7"`, "use source.address or source.ip"},
		{`userIdentity.accessKeyId: AKIA*`, "use aws.cloudtrail.user_identity.access_key_id"},
		{`eventName: ConsoleLogin`, "use event.action"},
		{`event.action: ConsoleLogin and eventSource: "signin.amazonaws.com"`, "use event.provider or cloud.service.name"},
		{`requestParameters.userName: bob`, "use aws.cloudtrail.flattened.request_parameters.userName"},
		{`no.such.field: x`, "the ECS view of a CloudTrail record never has it"},
	}
	for _, c := range cases {
		code, stdout, stderr := cli(t, "scan", "../../testdata/sample", "-q", "--query", c.query)
		if code != 2 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("--query %s: exit %d, stderr %q; want exit 2 and %q", c.query, code, stderr, c.want)
		}
	}
	if code, _, stderr := cli(t, "scan", "../../testdata/sample", "-q", "--query", `source.ip: 203.0.113.0/24`); code != 0 {
		t.Errorf("--query on source.ip: exit %d: %s", code, stderr)
	}
	dir := t.TempDir()
	writeFile(t, dir+"/raw.toml", `[metadata]
creation_date = "2026/01/01"
[rule]
rule_id = "raw-field"
name = "raw field"
description = "reads a raw name"
risk_score = 21
severity = "low"
type = "query"
language = "kuery"
query = 'sourceIPAddress: "203.0.113.7"'
`)
	if code, stdout, stderr := cli(t, "rules", "lint", "--rules", dir); code != 0 || !strings.Contains(stdout, "sourceIPAddress") {
		t.Errorf("rules lint of a rule file reading sourceIPAddress: exit %d, %q %q", code, stdout, stderr)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
