package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
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

// summaryJSON is the part of the --summary JSON these tests read.
type summaryJSON struct {
	Version string
	Filters struct {
		Accounts, Regions, Selection []string
		Note                         string
	}
	Rules struct {
		Runnable, Silent int
		CannotFire       int      `json:"cannot_fire"`
		SilentIDs        []string `json:"silent_ids"`
		CannotFireIDs    []string `json:"cannot_fire_ids"`
		LoadErrors       []string `json:"load_errors"`
	}
	Coverage struct {
		Events                  struct{ First, Last *string }
		Accounts, Regions, Days struct {
			Scanned, Pruned int
			ScannedList     []string `json:"scanned_list"`
			PrunedList      []string `json:"pruned_list"`
		}
		Surveyed bool
		Skipped  []struct{ URI, Reason string } `json:"skipped_objects"`
	}
	Warnings []string
}

func readSummary(t *testing.T, path string) summaryJSON {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s summaryJSON
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestNothingMatched: a source or filter that lists no object used to end
// with exit 0 and "0 listed"; it now warns, on stderr and in the summary,
// with what the source holds, and exits 4.
func TestNothingMatched(t *testing.T) {
	sample := "../../testdata/sample"
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{sample, "--regions", "US-EAST-1"}, []string{"no log object listed with --regions US-EAST-1", "regions eu-west-1, us-east-1", "region US-EAST-1 is us-east-1 in the key path"}},
		{[]string{sample, "--accounts", "999999999999"}, []string{"with --accounts 999999999999", "it holds accounts 111122223333, 444455556666"}},
		{[]string{sample, "--since", "2020-01-01", "--until", "2020-02-01"}, []string{"day folders 2026/11/20 .. 2026/11/25 (3)"}},
		{[]string{sample + "/AWSLogs/o-a1b2c3d4e5", "--accounts", "111122223333"}, []string{"it holds accounts 444455556666; regions us-east-1; day folders 2026/11/21 .. 2026/11/21 (1)"}},
		{[]string{t.TempDir()}, []string{"it holds no CloudTrail log folders"}},
	}
	for _, c := range cases {
		sumPath := filepath.Join(t.TempDir(), "summary.json")
		code, _, stderr := cli(t, append([]string{"scan", "--summary", sumPath}, c.args...)...)
		if code != 4 {
			t.Errorf("scan %v: exit %d, want 4\n%s", c.args, code, stderr)
		}
		for _, w := range append(c.want, "trailsweep: warning: source ", "WARNING: source", "nothing matched the sources and filters") {
			if !strings.Contains(stderr, w) {
				t.Errorf("scan %v: stderr lacks %q:\n%s", c.args, w, stderr)
			}
		}
		s := readSummary(t, sumPath)
		if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], c.want[0]) {
			t.Errorf("scan %v: summary warnings %q", c.args, s.Warnings)
		}
	}
	// Two sources, one of them empty: the findings of the other are kept, and the exit code is 4.
	out := filepath.Join(t.TempDir(), "f.jsonl")
	code, _, stderr := cli(t, "scan", "-q", sample, t.TempDir(), "--out", out)
	if code != 4 || len(readFindings(t, out)) == 0 || strings.Count(stderr, "warning:") != 1 {
		t.Errorf("one empty source of two: exit %d, %d findings\n%s", code, len(readFindings(t, out)), stderr)
	}
	if code, _, stderr := cli(t, "scan", "-q", sample, "--regions", "us-east-1"); code != 0 || strings.Contains(stderr, "warning") {
		t.Errorf("--regions us-east-1: exit %d\n%s", code, stderr)
	}
}

// TestCoverageSummary: the summary says what was read and pruned, under
// which filters, by which version, which rules produced nothing, which
// files were skipped and which rule files did not load.
func TestCoverageSummary(t *testing.T) {
	rules := t.TempDir()
	writeFile(t, filepath.Join(rules, "new_terms.toml"), aggRules["new_terms.toml"])
	writeFile(t, filepath.Join(rules, "broken.toml"), "[rule\n")
	writeFile(t, filepath.Join(rules, "root.toml"), `[rule]
rule_id = "root-login"
name = "Root console login"
type = "query"
severity = "high"
risk_score = 73
query = 'event.action: ConsoleLogin and aws.cloudtrail.user_identity.type: Root'
`)
	sumPath := filepath.Join(t.TempDir(), "summary.json")
	code, _, stderr := cli(t, "scan", "../../testdata/sample", "--regions", "us-east-1", "--accounts", "111122223333,444455556666",
		"--rules", rules, "--min-severity", "medium", "--summary", sumPath)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	s := readSummary(t, sumPath)
	c := s.Coverage
	if s.Version == "" || !slices.Equal(s.Filters.Regions, []string{"us-east-1"}) || len(s.Filters.Accounts) != 2 ||
		!strings.Contains(s.Filters.Note, "recipientAccountId") || !slices.Equal(s.Filters.Selection, []string{"--min-severity medium"}) {
		t.Errorf("version %q, filters %+v", s.Version, s.Filters)
	}
	if c.Events.First == nil || c.Events.Last == nil || !strings.HasPrefix(*c.Events.First, "2026-11-20T") || !strings.HasPrefix(*c.Events.Last, "2026-11-2") {
		t.Errorf("events %v .. %v", c.Events.First, c.Events.Last)
	}
	if !c.Surveyed || !slices.Equal(c.Regions.ScannedList, []string{"us-east-1"}) || !slices.Equal(c.Regions.PrunedList, []string{"eu-west-1"}) ||
		c.Accounts.Scanned != 2 || c.Days.Scanned != 3 || c.Days.Pruned != 0 {
		t.Errorf("coverage %+v", c)
	}
	if len(c.Skipped) != 1 || !strings.Contains(c.Skipped[0].URI, "CloudTrail-Digest") || c.Skipped[0].Reason != "digest file" {
		t.Errorf("skipped objects %+v", c.Skipped)
	}
	if len(s.Rules.LoadErrors) != 1 || !strings.Contains(s.Rules.LoadErrors[0], "broken.toml") {
		t.Errorf("load errors %q", s.Rules.LoadErrors)
	}
	if s.Rules.Runnable != 2 || s.Rules.Silent != len(s.Rules.SilentIDs) {
		t.Errorf("rules %+v", s.Rules)
	}
	for _, w := range []string{"version:   trailsweep ", "filters:   --accounts 111122223333,444455556666, --regions us-east-1, --min-severity medium",
		"note: --accounts reads the account folder of the key path", "events:    2026-11-20T", "regions:   1 scanned (us-east-1), 1 pruned (eu-west-1)",
		"not loaded (1):", "CloudTrail-Digest"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("summary lacks %q:\n%s", w, stderr)
		}
	}
}

// TestNewTermsCannotFire: a new_terms rule whose history window is longer
// than the span scanned used to count as runnable and report nothing; the
// summary now counts it as unable to fire, unless --history gives it one.
func TestNewTermsCannotFire(t *testing.T) {
	rules := t.TempDir()
	writeFile(t, filepath.Join(rules, "nt2d.toml"), aggRules["new_terms.toml"])
	writeFile(t, filepath.Join(rules, "nt7d.toml"), strings.NewReplacer(`"agg-new-terms"`, `"nt-7d"`, "now-2d", "now-7d").Replace(aggRules["new_terms.toml"]))
	cases := []struct {
		args []string
		want []string
	}{
		{nil, []string{"nt-7d"}}, // the data spans about 4.7 days
		{[]string{"--since", "2026-11-20", "--until", "2026-11-21"}, []string{"agg-new-terms", "nt-7d"}},
		{[]string{"--since", "2026-11-20", "--history", "7d"}, nil},
	}
	for _, c := range cases {
		sumPath := filepath.Join(t.TempDir(), "summary.json")
		code, _, stderr := cli(t, append([]string{"scan", "../../testdata/sample", "--rules", rules, "--summary", sumPath}, c.args...)...)
		if code != 0 {
			t.Fatalf("scan %v: exit %d\n%s", c.args, code, stderr)
		}
		s := readSummary(t, sumPath)
		got := slices.Sorted(slices.Values(s.Rules.CannotFireIDs))
		if s.Rules.CannotFire != len(c.want) || !slices.Equal(got, c.want) {
			t.Errorf("scan %v: cannot fire %d %v, want %v", c.args, s.Rules.CannotFire, got, c.want)
		}
		line := fmt.Sprintf("cannot fire on this span: %d rules, use --history", len(c.want))
		if strings.Contains(stderr, line) != (len(c.want) > 0) {
			t.Errorf("scan %v: %q in summary is %v:\n%s", c.args, line, !(len(c.want) > 0), stderr)
		}
	}
}

// TestNothingMatchedS3: an S3 prefix typo or a filter that lists nothing
// warns and exits 4 too, with what the bucket holds (delimited listings of
// folders only).
func TestNothingMatchedS3(t *testing.T) {
	srv := serveTree(t, "empty-hunt", gen.Sample())
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"s3://empty-hunt/AWSLog/"}, []string{"no log object listed", "it holds no CloudTrail log folders"}},
		{[]string{"s3://empty-hunt/", "--regions", "US-EAST-1"}, []string{"no log object listed with --regions US-EAST-1",
			"regions eu-west-1, us-east-1", "it holds accounts 111122223333, 444455556666", "region US-EAST-1 is us-east-1 in the key path"}},
		{[]string{"s3://empty-hunt/", "--accounts", "999999999999"}, []string{"with --accounts 999999999999", "it holds accounts 111122223333, 444455556666", "day folders 2026/11/20 .. "}},
	} {
		code, _, stderr := cli(t, append(append([]string{"scan", "-q"}, tt.args...), s3Args(srv)...)...)
		if code != 4 {
			t.Errorf("scan %v: exit %d, want 4\n%s", tt.args, code, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("scan %v: stderr does not say %q:\n%s", tt.args, w, stderr)
			}
		}
	}
	if code, _, stderr := cli(t, append([]string{"scan", "-q", "s3://empty-hunt/"}, s3Args(srv)...)...); code != 0 {
		t.Errorf("scan s3://empty-hunt/: exit %d\n%s", code, stderr)
	}
}
