package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sampleFindings returns findings covering the awkward cases: attacker
// strings starting with formula characters, terminal escapes, quotes, commas
// and newlines, non-ASCII text, an unknown event time, nil and empty lists,
// and raw records that are valid JSON (multi-line), not JSON, and empty.
func sampleFindings(t testing.TB) []Finding {
	t.Helper()
	rec, err := os.ReadFile(filepath.Join("testdata", "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	return []Finding{
		{
			RuleID: "b1c2d3e4-0000-4000-8000-000000000001", RuleName: "IAM Access Key Created for Another User",
			RuleSource: "elastic", RuleType: "query", Severity: "high", RiskScore: 73,
			Tactics: []string{"Persistence", "Privilege Escalation"}, Techniques: []string{"T1098", "T1098.001"},
			EventTime: time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC),
			EventID:   "0f6c2a7e-1111-2222-3333-444455556666", EventSource: "iam.amazonaws.com",
			EventName: "CreateAccessKey", AWSRegion: "us-east-1", AccountID: "111122223333",
			UserIdentityType: "IAMUser", UserARN: "arn:aws:iam::111122223333:user/mallory", UserName: "mallory",
			AccessKeyID: "AKIAEXAMPLE000000001", SourceIP: "203.0.113.7",
			UserAgent:         "=cmd|' /C calc'!A0 <b>&amp;</b>",
			RequestParameters: `{"userName":"admin"}`,
			ResponseElements:  `{"accessKey":{"accessKeyId":"AKIAEXAMPLE000000002","status":"Active","userName":"admin"}}`,
			SourceURI:         "s3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/05/x.json.gz",
			ObjectETag:        `"9b2cf535f27731c974343645a3985328"`, RecordIndex: 0,
			Details: `{"sequence":{"by":{"user.name":"mallory"},"event_ids":["e-1","0f6c2a7e-1111-2222-3333-444455556666"],"start":"2024-03-05T07:00:00Z"}}`,
			Raw:     string(rec),
		},
		{
			RuleID: "adhoc-1", RuleName: "ad hoc, \"quoted\"\nsecond line", RuleSource: "adhoc", RuleType: "query",
			Severity: "low", RiskScore: 21,
			// nil lists and no event time
			EventName: "GetObject", EventSource: "s3.amazonaws.com", AWSRegion: "eu-west-1",
			UserIdentityType: "AssumedRole", UserARN: "+arn:aws:sts::111122223333:assumed-role/r/\x1b]8;;http://evil\x07x",
			UserName: "-rolé 東京 🙂", SourceIP: "@internal", UserAgent: "\tTabbed", ErrorCode: "AccessDenied",
			ErrorMessage: "\rcarriage", SourceURI: "/var/log/ct/file.json", RecordIndex: 41,
			// details as an attacker could shape them: a formula first, quotes, commas, a newline
			Details: "=HYPERLINK(\"http://evil\")," + `{"group":{"user_agent.original":"=cmd|' /C calc'!A0"},"count":3}` + "\n東京",
			Raw:     "not json {",
		},
		{
			RuleID: "sigma-9", RuleName: "Sigma rule", RuleSource: "sigma", RuleType: "sigma", Severity: "medium",
			RiskScore: 47, Tactics: []string{}, Techniques: []string{"T1562"},
			EventTime: time.Date(2023, 12, 31, 23, 59, 59, 123456000, time.FixedZone("CET", 3600)),
			EventName: "StopLogging", UserAgent: "ok", SourceURI: "local.json", RecordIndex: 1 << 40,
		},
	}
}

// normalised returns f as every format is expected to read it back: times
// in UTC (microsecond precision), lists never nil, and raw dropped when the
// writer was not asked for it.
func normalised(f Finding, raw bool) Finding {
	if !f.EventTime.IsZero() {
		f.EventTime = f.EventTime.UTC().Truncate(time.Microsecond)
	}
	if f.Tactics == nil {
		f.Tactics = []string{}
	}
	if f.Techniques == nil {
		f.Techniques = []string{}
	}
	if !raw {
		f.Raw = ""
	}
	return f
}

// splitList undoes the CSV list join.
func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ";")
}
