package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// Aggregate rules for the CLI tests, one TOML file each.
var aggRules = map[string]string{
	"new_terms.toml": `[rule]
rule_id = "agg-new-terms"
name = "Caller identity from a new IP"
type = "new_terms"
severity = "medium"
risk_score = 47
query = "event.action: GetCallerIdentity"
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name", "source.ip"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-2d"
`,
	"threshold.toml": `[rule]
rule_id = "agg-threshold"
name = "Many GetObject by one user"
type = "threshold"
severity = "low"
risk_score = 21
query = "event.action: GetObject"
from = "now-6m"
interval = "5m"
[rule.threshold]
field = ["user.name"]
value = 6
`,
	"sequence.toml": `[rule]
rule_id = "agg-sequence"
name = "Buckets listed then one deleted"
type = "eql"
language = "eql"
severity = "high"
risk_score = 73
query = '''
sequence by user.name with maxspan=3m
  [any where event.action == "ListBuckets"]
  [any where event.action == "DeleteBucket"]
'''
`,
	"esql.toml": `[rule]
rule_id = "agg-esql"
name = "GetObject bursts per user (ES|QL)"
type = "esql"
language = "esql"
severity = "low"
risk_score = 21
query = '''
FROM logs-aws.cloudtrail-*
| WHERE event.action == "GetObject"
| STATS Esql.event_count = COUNT(*), Esql.source_ip_values = VALUES(source.ip),
    Esql.timestamp_min = MIN(@timestamp) BY user.name
| WHERE Esql.event_count >= 6
'''
from = "now-6m"
interval = "5m"
`,
}

// writeRules writes rules (file name → TOML) into a new directory.
func writeRules(t *testing.T, rules map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range rules {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// aggTree builds n objects of recs records each, spread over six days from
// 2026-11-10, four users in two accounts. Users mostly call from a few
// addresses and now and then from a new one; GetObject bursts and
// ListBuckets/DeleteBucket pairs cross object boundaries, so aggregate
// findings depend on records from several objects.
func aggTree(n, recs int) gen.Tree {
	var tree gen.Tree
	users := []gen.Identity{
		gen.IAMUser("111122223333", "alice", "AKIAEXAMPLEALICE0001"),
		gen.IAMUser("111122223333", "bob", "AKIAEXAMPLEBOB000001"),
		gen.IAMUser("444455556666", "carol", "AKIAEXAMPLECAROL0001"),
		gen.AssumedRole("444455556666", "deployer", "ci", "ASIAEXAMPLEDEPLOY01"),
	}
	start := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	span := 6 * 24 * time.Hour
	k := 0
	for i := range n {
		id := users[i%len(users)]
		// Objects of one user follow each other a few minutes apart, then
		// jump ahead: bursts and sequences straddle objects.
		first := start.Add(time.Duration(i) * span / time.Duration(n))
		var rs []gen.Record
		for j := range recs {
			at := first.Add(time.Duration(j) * 7 * time.Second)
			k++
			var r gen.Record
			switch {
			case k%4 == 0:
				r = gen.Event(id, at, "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", "", "")
				r.SourceIPAddress = fmt.Sprintf("198.51.100.%d", k%3)
				if k%36 == 0 {
					r.SourceIPAddress = fmt.Sprintf("203.0.113.%d", k%250)
				}
			case k%3 == 0:
				r = gen.Event(id, at, "us-east-1", "s3.amazonaws.com", "GetObject", fmt.Sprintf(`{"bucketName":"b","key":"k%d"}`, k), "")
			case k%17 == 0:
				r = gen.Event(id, at, "us-east-1", "s3.amazonaws.com", "ListBuckets", "", "")
			case k%19 == 0:
				r = gen.Event(id, at, "us-east-1", "s3.amazonaws.com", "DeleteBucket", `{"bucketName":"b"}`, "")
			default:
				r = gen.Event(id, at, "us-east-1", "ec2.amazonaws.com", "DescribeInstances", "", "")
			}
			rs = append(rs, r)
		}
		delivered := first.Add(time.Duration(recs)*7*time.Second + 5*time.Minute)
		key := gen.LogKey("", id.AccountID, "us-east-1", delivered, fmt.Sprintf("A%015d", i))
		tree.Files = append(tree.Files, gen.File{Key: key, Body: gen.Gzip(gen.LogFile(rs...))})
	}
	return tree
}

// TestAggregateOrderIndependent: new_terms, threshold, sequence and ES|QL findings,
// details included, are the same whatever --workers and --concurrency are.
func TestAggregateOrderIndependent(t *testing.T) {
	dir := t.TempDir()
	tree := aggTree(240, 40)
	if err := gen.WriteTree(dir, tree.Files); err != nil {
		t.Fatal(err)
	}
	rules := writeRules(t, aggRules)
	var base []string
	for _, wc := range [][2]string{{"1", "1"}, {"2", "8"}, {"4", "64"}} {
		out := filepath.Join(t.TempDir(), "findings.jsonl")
		code, _, stderr := cli(t, "scan", dir, "--rules", rules, "--since", "2026-11-10", "--until", "2026-11-16",
			"--out", out, "--workers", wc[0], "--concurrency", wc[1])
		if code != 0 {
			t.Fatalf("workers %s concurrency %s: exit %d\n%s", wc[0], wc[1], code, stderr)
		}
		rows := sortedRows(t, out)
		if base == nil {
			base = rows
			perRule := map[string]int{}
			for _, r := range readFindings(t, out) {
				perRule[r["rule_id"]]++
				if r["details"] == "" || !json.Valid([]byte(r["details"])) {
					t.Errorf("%s finding on %s: details %q, want JSON", r["rule_id"], r["event_id"], r["details"])
				}
			}
			for _, id := range []string{"agg-new-terms", "agg-threshold", "agg-sequence", "agg-esql"} {
				if perRule[id] < 3 {
					t.Errorf("%s: %d findings, want several for the comparison to mean something", id, perRule[id])
				}
			}
			t.Logf("findings per rule: %v (%d objects)", perRule, len(tree.Files))
			continue
		}
		equalRows(t, fmt.Sprintf("--workers %s --concurrency %s", wc[0], wc[1]), rows, base)
	}
}

// loginTree holds one ConsoleLogin per (time, source IP).
func loginTree(logins map[string]string) gen.Tree {
	var tree gen.Tree
	id := gen.IAMUser("111122223333", "alice", "AKIAEXAMPLEALICE0001")
	keys := make([]string, 0, len(logins))
	for at := range logins {
		keys = append(keys, at)
	}
	sort.Strings(keys)
	for i, at := range keys {
		tm, err := time.Parse(time.RFC3339, at)
		if err != nil {
			panic(err)
		}
		r := gen.Event(id, tm, "us-east-1", "signin.amazonaws.com", "ConsoleLogin", "", `{"ConsoleLogin":"Success"}`)
		r.EventType = "AwsConsoleSignIn"
		r.SourceIPAddress = logins[at]
		key := gen.LogKey("", id.AccountID, "us-east-1", tm.Add(5*time.Minute), fmt.Sprintf("L%015d", i))
		tree.Files = append(tree.Files, gen.File{Key: key, Body: gen.Gzip(gen.LogFile(r))})
	}
	return tree
}

const loginRule = `[rule]
rule_id = "agg-new-login-ip"
name = "Console login from a new IP"
type = "new_terms"
severity = "medium"
risk_score = 47
query = "event.action: ConsoleLogin and event.outcome: success"
[rule.new_terms]
field = "new_terms_fields"
value = ["source.ip"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-2d"
`

// newTerms scans with args and returns, per reported IP, the finding's
// details.
func newTerms(t *testing.T, args ...string) (map[string]map[string]any, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "findings.jsonl")
	code, _, stderr := cli(t, append(append([]string{"scan"}, args...), "--out", out)...)
	if code != 0 {
		t.Fatalf("scan %v: exit %d\n%s", args, code, stderr)
	}
	got := map[string]map[string]any{}
	for _, r := range readFindings(t, out) {
		var d map[string]any
		if err := json.Unmarshal([]byte(r["details"]), &d); err != nil {
			t.Fatalf("details %q: %v", r["details"], err)
		}
		ip := fmt.Sprint(d["new_terms"].(map[string]any)["source.ip"])
		if got[ip] != nil {
			t.Errorf("two findings for %s", ip)
		}
		got[ip] = d
	}
	return got, stderr
}

// checkNewTerms compares the reported IPs and their details' history
// source and detection start.
func checkNewTerms(t *testing.T, what string, got map[string]map[string]any, wantIPs []string, source, detectFrom string) {
	t.Helper()
	var ips []string
	for ip, d := range got {
		ips = append(ips, ip)
		h, _ := d["history"].(map[string]any)
		if h == nil || h["source"] != source || d["detection_from"] != detectFrom {
			t.Errorf("%s: %s details %v, want history source %q and detection_from %s", what, ip, d, source, detectFrom)
		}
	}
	sort.Strings(ips)
	if strings.Join(ips, " ") != strings.Join(wantIPs, " ") {
		t.Errorf("%s: new IPs %v, want %v", what, ips, wantIPs)
	}
}

// TestHistory: by default the first history window of the scan only builds
// history; --history WINDOW reads the span before --since as history, and
// --history PATH a separate tree. A history span too short leaves the
// events before a whole window of history unreported, and the details say
// which span was history and where detection started.
func TestHistory(t *testing.T) {
	rules := writeRules(t, map[string]string{"login.toml": loginRule})
	tree := loginTree(map[string]string{
		"2026-11-08T12:00:00Z": "192.0.2.1", // before --since
		"2026-11-10T06:00:00Z": "192.0.2.1", // seen 42h before, if that is read
		"2026-11-10T07:00:00Z": "192.0.2.2", // new
		"2026-11-12T12:00:00Z": "192.0.2.3", // new, after any history span
	})
	dir := t.TempDir()
	if err := gen.WriteTree(dir, tree.Files); err != nil {
		t.Fatal(err)
	}
	scan := []string{dir, "--rules", rules, "--since", "2026-11-10", "--until", "2026-11-13"}

	got, stderr := newTerms(t, scan...)
	checkNewTerms(t, "no --history", got, []string{"192.0.2.3"}, "scan", "2026-11-12T00:00:00Z")
	// The summary says which span only built history and when detection began.
	if want := "new_terms: history 2026-11-10T00:00:00Z .. 2026-11-12T00:00:00Z (scan), detection from 2026-11-12T00:00:00Z: 1 rule(s)"; !strings.Contains(stderr, want) {
		t.Errorf("summary does not state the history span %q:\n%s", want, stderr)
	}
	sumPath := filepath.Join(t.TempDir(), "summary.json")
	if code, _, se := cli(t, append(append([]string{"scan"}, scan...), "-q", "--out", filepath.Join(t.TempDir(), "f.jsonl"), "--history", "2d", "--summary", sumPath)...); code != 0 {
		t.Fatalf("exit %d\n%s", code, se)
	}
	b, err := os.ReadFile(sumPath)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		NewTerms []map[string]any `json:"new_terms_history"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.NewTerms) != 1 || raw.NewTerms[0]["source"] != "--history 2d" ||
		raw.NewTerms[0]["history_from"] != "2026-11-08T00:00:00Z" || raw.NewTerms[0]["detection_from"] != "2026-11-10T00:00:00Z" {
		t.Errorf("--summary new_terms_history = %v, want one rule, history from 2026-11-08, detection from 2026-11-10", raw.NewTerms)
	}

	got, stderr = newTerms(t, append(scan, "--history", "2d")...)
	checkNewTerms(t, "--history 2d", got, []string{"192.0.2.2", "192.0.2.3"}, "--history 2d", "2026-11-10T00:00:00Z")
	if !strings.Contains(stderr, "history 2d: ") {
		t.Errorf("--history 2d: stderr does not report the history scan:\n%s", stderr)
	}
	if d := got["192.0.2.2"]; d != nil {
		h := d["history"].(map[string]any)
		if h["start"] != "2026-11-08T07:00:00Z" || h["end"] != "2026-11-10T07:00:00Z" {
			t.Errorf("--history 2d: history span %v, want the 2 days before the event", h)
		}
	}

	// One day of history is less than the rule's two-day window: detection
	// starts a day after --since, and the 10th's events are not judged.
	got, _ = newTerms(t, append(scan, "--history", "1d")...)
	checkNewTerms(t, "--history 1d", got, []string{"192.0.2.3"}, "--history 1d", "2026-11-11T00:00:00Z")

	// A separate history tree: 192.0.2.1 seen 37h before, 192.0.2.4 more
	// than two days before (new again); history starts at its earliest event.
	hist := loginTree(map[string]string{
		"2026-11-08T12:00:00Z": "192.0.2.4",
		"2026-11-09T00:00:00Z": "192.0.2.1",
	})
	hdir := t.TempDir()
	if err := gen.WriteTree(hdir, hist.Files); err != nil {
		t.Fatal(err)
	}
	later := loginTree(map[string]string{
		"2026-11-10T13:00:00Z": "192.0.2.1",
		"2026-11-10T14:00:00Z": "192.0.2.4",
		"2026-11-10T15:00:00Z": "192.0.2.5",
	})
	ldir := t.TempDir()
	if err := gen.WriteTree(ldir, later.Files); err != nil {
		t.Fatal(err)
	}
	got, _ = newTerms(t, ldir, "--rules", rules, "--since", "2026-11-10", "--until", "2026-11-11", "--history", hdir)
	checkNewTerms(t, "--history PATH", got, []string{"192.0.2.4", "192.0.2.5"}, "--history "+hdir, "2026-11-10T12:00:00Z")

	// The same events without the history tree: all in the first window.
	got, _ = newTerms(t, ldir, "--rules", rules, "--since", "2026-11-10", "--until", "2026-11-11")
	checkNewTerms(t, "no history tree", got, nil, "scan", "")
}

// TestAggregateOrderIndependentS3: the same over versitygw, where many
// concurrent GETs complete in any order.
func TestAggregateOrderIndependentS3(t *testing.T) {
	tree := aggTree(240, 40)
	srv := serveTree(t, "agg-trail", tree)
	rules := writeRules(t, aggRules)
	var base []string
	for _, wc := range [][2]string{{"1", "1"}, {"4", "64"}} {
		out := filepath.Join(t.TempDir(), "findings.parquet")
		args := append([]string{"scan", "s3://agg-trail/AWSLogs/", "--rules", rules, "--since", "2026-11-10",
			"--until", "2026-11-16", "--out", out, "--workers", wc[0], "--concurrency", wc[1]}, s3Args(srv)...)
		code, _, stderr := cli(t, args...)
		if code != 0 {
			t.Fatalf("workers %s concurrency %s: exit %d\n%s", wc[0], wc[1], code, stderr)
		}
		rows := sortedRows(t, out)
		if base == nil {
			if len(rows) < 100 {
				t.Fatalf("%d findings, want hundreds", len(rows))
			}
			base = rows
			continue
		}
		equalRows(t, fmt.Sprintf("S3 --workers %s --concurrency %s", wc[0], wc[1]), rows, base)
	}
}
