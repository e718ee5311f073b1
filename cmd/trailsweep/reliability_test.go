package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// manyTree builds n log objects of recs records each over three days, two
// accounts and two regions. Every seventh record is a positive of the seed
// rule and every 23rd a root console login; the rest is noise.
func manyTree(n, recs int) gen.Tree {
	var t gen.Tree
	ids := []gen.Identity{
		gen.IAMUser("111122223333", "alice", "AKIAEXAMPLEALICE0001"),
		gen.AssumedRole("444455556666", "deployer", "ci-run", "ASIAEXAMPLEDEPLOY01"),
	}
	regions := []string{"us-east-1", "eu-west-1"}
	root := gen.Identity{Type: "Root", PrincipalID: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333"}
	k := 0
	for i := range n {
		id := ids[i%2]
		region := regions[(i/2)%2]
		delivered := time.Date(2026, 11, 20+i%3, (i/3)%24, (i*7)%60, 0, 0, time.UTC)
		var rs []gen.Record
		for j := range recs {
			at := delivered.Add(-time.Duration(j) * time.Second)
			var r gen.Record
			switch k++; {
			case k%7 == 0:
				r = gen.Event(id, at, region, "lambda.amazonaws.com", "CreateEventSourceMapping20150331",
					fmt.Sprintf(`{"functionName":"f%d","eventSourceArn":"arn:aws:sqs:%s:%s:q%d","enabled":true}`, k, region, id.AccountID, k), "")
				t.Hits = append(t.Hits, gen.Hit{RuleID: gen.SeedRuleID, Index: j, EventID: r.EventID})
			case k%23 == 0:
				r = gen.Event(root, at, region, "signin.amazonaws.com", "ConsoleLogin", "", `{"ConsoleLogin":"Success"}`)
				r.EventType = "AwsConsoleSignIn"
				t.Hits = append(t.Hits, gen.Hit{RuleID: gen.RootConsoleLoginID, Index: j, EventID: r.EventID})
			default:
				r = gen.Event(id, at, region, "ec2.amazonaws.com", "DescribeInstances", fmt.Sprintf(`{"maxResults":%d}`, k%100), "")
			}
			rs = append(rs, r)
		}
		key := gen.LogKey("", id.AccountID, region, delivered, fmt.Sprintf("M%015d", i))
		for h := range t.Hits {
			if t.Hits[h].Key == "" {
				t.Hits[h].Key = key
			}
		}
		t.Files = append(t.Files, gen.File{Key: key, Body: gen.Gzip(gen.LogFile(rs...))})
	}
	return t
}

// sortedRows returns every column of every finding in path as one line
// each, sorted: two runs are equal exactly when these are.
func sortedRows(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, r := range readFindings(t, path) {
		b, err := json.Marshal(map[string]string(r)) // map keys are sorted
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// duplicates returns the rows that appear more than once in sorted rows.
func duplicates(rows []string) []string {
	var d []string
	for i := 1; i < len(rows); i++ {
		if rows[i] == rows[i-1] {
			d = append(d, rows[i])
		}
	}
	return d
}

func equalRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("%s: %d findings, want %d (the clean run's)", what, len(got), len(want))
	for i := 0; i < len(got) || i < len(want); i++ {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			g, w := "<none>", "<none>"
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			t.Errorf("first difference at row %d:\n got %s\nwant %s", i, g, w)
			return
		}
	}
}

func fastRetries(t *testing.T) {
	old := retryBackoff
	retryBackoff = time.Millisecond
	t.Cleanup(func() { retryBackoff = old })
}

// TestFaultInjection: over 520 objects served by versitygw, with 5% each of
// 503 SlowDown, connection resets and truncated bodies injected into every
// attempt to read an object, the findings equal the clean run's, row for row.
func TestFaultInjection(t *testing.T) {
	fastRetries(t)
	tree := manyTree(520, 12)
	srv := serveTree(t, "faulty", tree)
	dir := t.TempDir()
	args := func(out string) []string {
		return append([]string{"scan", "s3://faulty", "--out", out, "--summary", out + ".summary.json", "-q", "--concurrency", "16"}, s3Args(srv)...)
	}

	clean := filepath.Join(dir, "clean.jsonl")
	if code, _, stderr := cli(t, args(clean)...); code != 0 {
		t.Fatalf("clean run: exit %d\n%s", code, stderr)
	}
	want := sortedRows(t, clean)
	if len(want) != len(tree.Hits) {
		t.Fatalf("clean run: %d findings, the tree is built for %d", len(want), len(tree.Hits))
	}

	var faulty *reader.Faulty
	wrapSource = func(s reader.Source) reader.Source {
		faulty = reader.Faults(s, reader.FaultOptions{Throttle: 0.05, Reset: 0.05, Truncate: 0.05, Seed: 4})
		return faulty
	}
	t.Cleanup(func() { wrapSource = nil })
	got := filepath.Join(dir, "faulty.jsonl")
	start := time.Now()
	code, _, stderr := cli(t, append(args(got), "--retries", "8")...)
	if code != 0 {
		t.Fatalf("faulty run: exit %d\n%s", code, stderr)
	}
	inj := faulty.Injected()
	for _, kind := range []string{reader.FaultThrottle, reader.FaultReset, reader.FaultTruncate} {
		if inj[kind] < 10 {
			t.Errorf("only %d %s faults injected over %d objects", inj[kind], kind, len(tree.Files))
		}
	}
	equalRows(t, "with faults", sortedRows(t, got), want)
	s := summaryOf(t, got+".summary.json")
	if num(s, "objects", "scanned") != int64(len(tree.Files)) || num(s, "objects", "failed") != 0 {
		t.Errorf("summary: scanned %d failed %d, want %d and 0", num(s, "objects", "scanned"), num(s, "objects", "failed"), len(tree.Files))
	}
	// The same faults without retries lose objects: the injection bites.
	code, _, _ = cli(t, append(args(filepath.Join(dir, "noretry.jsonl")), "--retries", "1")...)
	if code != 3 {
		t.Errorf("faulty run without retries: exit %d, want 3", code)
	}
	t.Logf("fault injection: %d objects, %d findings, faults injected %v, faulty run %v", len(tree.Files), len(want), inj, time.Since(start).Round(time.Millisecond))
}

// TestFaultsExhaustRetries: an object whose every attempt fails is marked
// failed with its reason and kind, the scan goes on, and the exit code is 3.
func TestFaultsExhaustRetries(t *testing.T) {
	fastRetries(t)
	tree := manyTree(6, 10)
	dir := t.TempDir()
	if err := gen.WriteTree(dir, tree.Files); err != nil {
		t.Fatal(err)
	}
	wrapSource = func(s reader.Source) reader.Source {
		return reader.Faults(s, reader.FaultOptions{Throttle: 1})
	}
	t.Cleanup(func() { wrapSource = nil })
	errs := filepath.Join(t.TempDir(), "errors.jsonl")
	code, _, stderr := cli(t, "scan", dir, "--out", filepath.Join(t.TempDir(), "f.jsonl"), "--retries", "3", "--errors", errs)
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	lines := readErrors(t, errs)
	if len(lines) != len(tree.Files) {
		t.Fatalf("%d error lines, want %d", len(lines), len(tree.Files))
	}
	for _, l := range lines {
		if l["kind"] != "throttled" || !strings.Contains(l["reason"], "SlowDown") || !strings.Contains(l["reason"], "after 3 attempts") {
			t.Errorf("error line %v: want kind throttled, a SlowDown reason after 3 attempts", l)
		}
	}
}

// readErrors reads an --errors file.
func readErrors(t *testing.T, path string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("errors file line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// TestBrokenInputs: each kind of broken object gets its line in --errors
// (uri, reason, kind) and in the summary, the exit code is 3, and every
// finding of the readable records is present, including those after a bad
// record in the same object.
func TestBrokenInputs(t *testing.T) {
	alice := gen.IAMUser("111122223333", "alice", "AKIAEXAMPLEALICE0001")
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	hit := func(i int) gen.Record {
		return gen.Event(alice, at.Add(time.Duration(i)*time.Second), "us-east-1", "lambda.amazonaws.com",
			"CreateEventSourceMapping20150331", fmt.Sprintf(`{"functionName":"f%d","enabled":true}`, i), "")
	}
	noise := gen.Event(alice, at, "us-east-1", "ec2.amazonaws.com", "DescribeRegions", "", "")
	key := func(name string) string { return gen.LogKey("", "111122223333", "us-east-1", at, name) }
	rec := func(r gen.Record) string { b, _ := json.Marshal(r); return string(b) }

	good := gen.LogFile(hit(1), noise, hit(2))
	valid := gen.Gzip(gen.LogFile(noise, noise))
	big := noise
	big.RequestParameters = json.RawMessage(`{"blob":"` + strings.Repeat("A", 20000) + `"}`)
	badUTF8 := strings.Replace(rec(noise), "DescribeRegions", "Describe\xffRegions", 1)
	files := []struct {
		name, kind string
		body       []byte
		hits       []int // the hits that must still be found
	}{
		{"G00dG00dG00dG00d", "", gen.Gzip(good), []int{1, 2}},
		{"C0rruptC0rruptC0", "corrupt_gzip", append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, "not deflate at all"...), nil},
		{"TruncatedTrunc00", "truncated", valid[:len(valid)/2], nil},
		{"N0tJs0nN0tJs0nN0", "not_json", gen.Gzip([]byte("<html>403 Forbidden</html>")), nil},
		{"N0tCl0udTra1l000", "not_cloudtrail", gen.Gzip([]byte(`{"awsAccountId":"111122223333","logFiles":[]}`)), nil},
		{"B1gRec0rdB1gRec0", "record_too_large", gen.Gzip([]byte(`{"Records":[` + rec(hit(3)) + `,` + rec(big) + `,` + rec(hit(4)) + `]}`)), []int{3, 4}},
		{"Utf8Utf8Utf8Utf8", "invalid_utf8", gen.Gzip([]byte(`{"Records":[` + rec(hit(5)) + `,` + badUTF8 + `,` + rec(hit(6)) + `]}`)), []int{5, 6}},
		{"B0mbB0mbB0mbB0mb", "object_too_large", gen.Gzip([]byte(`{"Records":[` + rec(hit(7)) + strings.Repeat(" ", 3<<20) + `]}`)), []int{7}},
	}
	dir := t.TempDir()
	var want []string
	for _, f := range files {
		if err := gen.WriteTree(dir, []gen.File{{Key: key(f.name), Body: f.body}}); err != nil {
			t.Fatal(err)
		}
		for _, i := range f.hits {
			want = append(want, hit(i).EventID)
		}
	}
	sort.Strings(want)

	out := filepath.Join(t.TempDir(), "f.jsonl")
	errs := filepath.Join(t.TempDir(), "errors.jsonl")
	sumPath := out + ".summary.json"
	code, _, stderr := cli(t, "scan", dir, "--out", out, "--errors", errs, "--summary", sumPath,
		"--max-record-bytes", "16384", "--max-object-bytes", "1048576")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	var got []string
	for _, r := range readFindings(t, out) {
		got = append(got, r["event_id"])
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings' event ids\n got %v\nwant %v", got, want)
	}
	lines := readErrors(t, errs)
	kinds := map[string]string{}
	for _, l := range lines {
		kinds[filepath.Base(l["uri"])] = l["kind"]
		if l["reason"] == "" {
			t.Errorf("error line without a reason: %v", l)
		}
	}
	for _, f := range files {
		base := filepath.Base(key(f.name))
		if kinds[base] != f.kind {
			t.Errorf("%s: error kind %q, want %q", f.name, kinds[base], f.kind)
		}
		if f.kind != "" && !strings.Contains(stderr, base) {
			t.Errorf("the summary on stderr does not name %s", base)
		}
	}
	s := summaryOf(t, sumPath)
	listed, scanned, failed := num(s, "objects", "listed"), num(s, "objects", "scanned"), num(s, "objects", "failed")
	if listed != int64(len(files)) || scanned != 1 || failed != int64(len(files)-1) || listed != scanned+failed+num(s, "objects", "skipped_total") {
		t.Errorf("objects: listed %d scanned %d failed %d", listed, scanned, failed)
	}
	if r := num(s, "records", "read"); r == 0 || r != num(s, "records", "evaluated")+num(s, "records", "outside_window")+num(s, "records", "malformed") {
		t.Errorf("records do not add up: %v", s["records"])
	}
	if m := num(s, "records", "malformed"); m != 2 {
		t.Errorf("%d malformed records, want 2 (the record over the cap and the invalid UTF-8 one)", m)
	}
}

// TestNoSecretsNoEscapes: with credentials in the environment and an
// endpoint that refuses connections, nothing printed holds the secret key
// or the access key id (the SDK's own logging is silenced too); a log
// object whose name and reason carry terminal escapes reaches the terminal
// with them made visible.
func TestNoSecretsNoEscapes(t *testing.T) {
	fastRetries(t)
	const keyID, secret = "AKIAQQQLEAKCHECK0001", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYLEAKCHECK"
	t.Setenv("AWS_ACCESS_KEY_ID", keyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", "token-LEAKCHECK")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	code, stdout, stderr := cli(t, "scan", "s3://bucket/AWSLogs/", "--endpoint-url", "http://127.0.0.1:1", "--s3-path-style",
		"--region", "us-east-1", "--retries", "2")
	if code == 0 {
		t.Errorf("exit 0 against a closed endpoint")
	}
	for _, s := range []string{keyID, secret, "LEAKCHECK"} {
		if strings.Contains(stdout+stderr, s) {
			t.Errorf("output holds a credential %q:\n%s%s", s, stdout, stderr)
		}
	}

	dir := t.TempDir()
	name := "evil\x1b]0;pwned\x07\x1b[31m.json"
	if err := os.WriteFile(filepath.Join(dir, name), []byte("\x1b[2J not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, "scan", dir)
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	if strings.ContainsAny(stderr, "\x1b\x07") {
		t.Errorf("raw escape sequences on the terminal: %q", stderr)
	}
	if !strings.Contains(stderr, "evil") {
		t.Errorf("the failure is not reported:\n%s", stderr)
	}
}
