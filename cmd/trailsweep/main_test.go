package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/s3test"
	"github.com/trailsweep/trailsweep/reader"
)

// cli runs the real CLI in-process.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// row is one finding read back from any format, as strings.
type row map[string]string

// key identifies a finding the way the scanner issue asks tests to compare them.
func (r row) key() string {
	return strings.Join([]string{r["rule_id"], r["event_id"], r["source_uri"], r["record_index"]}, " | ")
}

// wantKeys are the findings tree is built to produce, for objects under uri.
func wantKeys(tree gen.Tree, uri func(key string) string, keep func(gen.Hit) bool) []string {
	var keys []string
	for _, h := range tree.Hits {
		if keep == nil || keep(h) {
			keys = append(keys, strings.Join([]string{h.RuleID, h.EventID, uri(h.Key), strconv.Itoa(h.Index)}, " | "))
		}
	}
	sort.Strings(keys)
	return keys
}

func keysOf(rows []row) []string {
	var keys []string
	for _, r := range rows {
		keys = append(keys, r.key())
	}
	sort.Strings(keys)
	return keys
}

func equalKeys(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: findings differ\n got (%d):\n  %s\nwant (%d):\n  %s", what, len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
	}
}

// readFindings reads a findings file in any of the three formats.
func readFindings(t *testing.T, path string) []row {
	t.Helper()
	switch filepath.Ext(path) {
	case ".jsonl":
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return parseJSONL(t, b)
	case ".csv":
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatalf("csv %s: %v", path, err)
		}
		var rows []row
		for _, rec := range recs[1:] {
			r := row{}
			for i, h := range recs[0] {
				r[h] = rec[i]
			}
			rows = append(rows, r)
		}
		return rows
	case ".parquet":
		return readParquet(t, path)
	}
	t.Fatalf("unknown format %s", path)
	return nil
}

// parseJSONL reads JSONL findings as rows: strings as they are, null as ""
// (absent), numbers as written, and objects and arrays (lists,
// request_parameters, response_elements, details) as their compact JSON, the
// text the other formats hold.
func parseJSONL(t *testing.T, b []byte) []row {
	t.Helper()
	var rows []row
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("jsonl line %q: %v", sc.Text(), err)
		}
		r := row{}
		for k, v := range m {
			switch {
			case string(v) == "null":
				r[k] = ""
			case v[0] == '"':
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					t.Fatalf("jsonl %s %s: %v", k, v, err)
				}
				r[k] = s
			default:
				var c bytes.Buffer
				if err := json.Compact(&c, v); err != nil {
					t.Fatalf("jsonl %s %s: %v", k, v, err)
				}
				r[k] = c.String()
			}
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// parquetFinding mirrors the columns a reader of the Parquet file relies on.
type parquetFinding struct {
	RuleID      string     `parquet:"rule_id"`
	EventID     string     `parquet:"event_id"`
	SourceURI   string     `parquet:"source_uri"`
	RecordIndex int64      `parquet:"record_index"`
	RiskScore   int64      `parquet:"risk_score"`
	Tactics     []string   `parquet:"tactics,list"`
	EventTime   *time.Time `parquet:"event_time"`
	UserAgent   *string    `parquet:"user_agent,optional"`
	ErrorCode   *string    `parquet:"error_code,optional"`
}

func readParquet(t *testing.T, path string) []row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("parquet %s: %v", path, err)
	}
	// Column types as DuckDB and pyarrow see them.
	schema := pf.Schema()
	for col, want := range map[string]string{"event_time": "TIMESTAMP", "tactics": "LIST", "risk_score": "INT(64", "record_index": "INT(64", "rule_id": "STRING"} {
		field, ok := schema.Lookup(col)
		if !ok && col != "tactics" {
			t.Errorf("parquet: no column %s", col)
			continue
		}
		var got string
		if col == "tactics" {
			got = typeOfField(schema, col)
		} else {
			got = field.Node.Type().String()
			if lt := field.Node.Type().LogicalType(); lt != nil {
				got += " " + lt.String()
			}
		}
		if !strings.Contains(strings.ToUpper(got), want) {
			t.Errorf("parquet column %s has type %q, want %s", col, got, want)
		}
	}
	lt := mustLookup(t, schema, "event_time").Node.Type().LogicalType()
	if ts, ok := lt.Value.(*format.TimestampType); !ok || !ts.IsAdjustedToUTC {
		t.Errorf("event_time is not a UTC-adjusted timestamp: %v", lt)
	}
	for _, col := range []string{"risk_score", "record_index"} {
		if k := mustLookup(t, schema, col).Node.Type().Kind(); k != parquet.Int64 {
			t.Errorf("%s is stored as %v, want INT64", col, k)
		}
	}
	// The rows as a Parquet reader sees them, NULLs apart from empty
	// strings (report.ReadFindings, which trailsweep report uses, reads a
	// NULL as "": TestReadFindings checks it).
	rows, err := parquet.Read[parquetFinding](f, st.Size())
	if err != nil {
		t.Fatalf("parquet read %s: %v", path, err)
	}
	var out []row
	for _, p := range rows {
		r := row{"rule_id": p.RuleID, "event_id": p.EventID, "source_uri": p.SourceURI,
			"record_index": strconv.FormatInt(p.RecordIndex, 10),
			"risk_score":   strconv.FormatInt(p.RiskScore, 10), "tactics": strings.Join(p.Tactics, ";")}
		// A NULL is a key the row lacks; "" is a value that is empty.
		if p.UserAgent != nil {
			r["user_agent"] = *p.UserAgent
		}
		if p.ErrorCode != nil {
			r["error_code"] = *p.ErrorCode
		}
		if p.EventTime != nil {
			r["event_time"] = p.EventTime.UTC().Format(time.RFC3339)
		}
		out = append(out, r)
	}
	return out
}

func mustLookup(t *testing.T, s *parquet.Schema, col string) parquet.LeafColumn {
	t.Helper()
	c, ok := s.Lookup(col)
	if !ok {
		t.Fatalf("parquet: no column %s", col)
	}
	return c
}

// typeOfField describes a top-level group field (LIST columns are groups).
func typeOfField(s *parquet.Schema, name string) string {
	for _, f := range s.Fields() {
		if f.Name() == name {
			if lt := f.Type().LogicalType(); lt != nil {
				return lt.String()
			}
			return f.Type().String()
		}
	}
	return "missing"
}

func sampleDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "sample"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveTree starts versitygw and uploads tree into bucket.
func serveTree(t *testing.T, bucket string, trees ...gen.Tree) *s3test.Server {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, bucket)
	for _, tree := range trees {
		for _, f := range tree.Files {
			srv.Put(t, bucket, f.Key, f.Body)
		}
	}
	srv.Env(t)
	return srv
}

func s3Args(srv *s3test.Server) []string {
	return []string{"--endpoint-url", srv.Endpoint, "--s3-path-style", "--region", srv.Region}
}

func TestScanLocalEveryFormat(t *testing.T) {
	dir := sampleDir(t)
	want := wantKeys(gen.Sample(), func(k string) string { return filepath.Join(dir, filepath.FromSlash(k)) }, nil)
	for _, ext := range []string{".jsonl", ".csv", ".parquet"} {
		t.Run(ext, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "findings"+ext)
			code, _, stderr := cli(t, "scan", dir, "--out", out, "--workers", "2")
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			equalKeys(t, ext, keysOf(readFindings(t, out)), want)
		})
	}
}

func TestScanS3EveryFormat(t *testing.T) {
	tree := gen.Sample()
	srv := serveTree(t, "org-trail", tree)
	want := wantKeys(tree, func(k string) string { return "s3://org-trail/" + k }, nil)
	for _, ext := range []string{".jsonl", ".csv", ".parquet"} {
		t.Run(ext, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "findings"+ext)
			args := append([]string{"scan", "s3://org-trail/AWSLogs/", "--out", out}, s3Args(srv)...)
			code, _, stderr := cli(t, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			rows := readFindings(t, out)
			equalKeys(t, ext, keysOf(rows), want)
			planted := 0
			for _, r := range rows {
				if strings.Contains(r["user_agent"], "cmd|") {
					planted++
					wantUA := gen.PlantedUserAgent
					if ext == ".csv" {
						wantUA = "'" + wantUA // neutralised for spreadsheets
					}
					if r["user_agent"] != wantUA {
						t.Errorf("%s: planted user agent written as %q, want %q", ext, r["user_agent"], wantUA)
					}
				}
			}
			if planted != 1 {
				t.Errorf("%s: %d findings carry the planted user agent, want 1", ext, planted)
			}
		})
	}
}

// TestParity: the same tree from disk and from S3 gives the same findings,
// column for column, apart from where each record came from.
func TestParity(t *testing.T) {
	tree := gen.Sample()
	srv := serveTree(t, "parity", tree)
	dir := sampleDir(t)
	tmp := t.TempDir()
	local, remote := filepath.Join(tmp, "local.jsonl"), filepath.Join(tmp, "s3.jsonl")
	if code, _, stderr := cli(t, "scan", dir, "--out", local, "--raw"); code != 0 {
		t.Fatalf("local scan: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := cli(t, append([]string{"scan", "s3://parity", "--out", remote, "--raw"}, s3Args(srv)...)...); code != 0 {
		t.Fatalf("s3 scan: exit %d\n%s", code, stderr)
	}
	norm := func(rows []row, prefix string) []string {
		var out []string
		for _, r := range rows {
			if !strings.HasPrefix(r["source_uri"], prefix) {
				t.Errorf("source_uri %q does not start with %q", r["source_uri"], prefix)
			}
			r["source_uri"] = strings.TrimPrefix(r["source_uri"], prefix)
			delete(r, "object_etag")
			b, _ := json.Marshal(r)
			out = append(out, string(b))
		}
		sort.Strings(out)
		return out
	}
	a := norm(readFindings(t, local), dir+string(filepath.Separator))
	b := norm(readFindings(t, remote), "s3://parity/")
	if len(a) == 0 {
		t.Fatal("no findings")
	}
	equalKeys(t, "disk vs s3", a, b)
}

// summaryOf reads a --summary JSON file.
func summaryOf(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("summary %s: %v", path, err)
	}
	return m
}

func num(m map[string]any, path ...string) int64 {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return -1
		}
		v = mm[p]
	}
	f, ok := v.(float64)
	if !ok {
		return -1
	}
	return int64(f)
}

// TestPruning checks which objects were fetched, not only which findings
// appear: account, region and day filters act on the key path before any GET.
func TestPruning(t *testing.T) {
	tree := gen.Sample()
	srv := serveTree(t, "prune", tree)
	var counted *reader.Counted
	wrapSource = func(s reader.Source) reader.Source { counted = reader.WithCounts(s); return counted }
	t.Cleanup(func() { wrapSource = nil })

	logKey := func(sub string) []string {
		var keys []string
		for _, f := range tree.Files {
			if strings.Contains(f.Key, sub) && strings.Contains(f.Key, "/CloudTrail/") {
				keys = append(keys, f.Key)
			}
		}
		sort.Strings(keys)
		return keys
	}
	cases := []struct {
		name   string
		source string
		args   []string
		opened []string
	}{
		{"everything", "s3://prune", nil, logKey("")},
		{"one region", "s3://prune/AWSLogs/", []string{"--regions", "eu-west-1"}, logKey("/eu-west-1/")},
		{"one account", "s3://prune", []string{"--accounts", "444455556666"}, logKey("/444455556666/")},
		{"window 21st", "s3://prune/AWSLogs/", []string{"--since", "2026-11-21T00:00:00Z", "--until", "2026-11-21T23:59:59Z"}, append(logKey("/2026/11/20/"), append(logKey("/2026/11/21/"), logKey("/2026/11/22/")...)...)},
		{"window 25th", "s3://prune", []string{"--since", "2026-11-25"}, logKey("/2026/11/25/")},
		{"one account and region from account prefix", "s3://prune/AWSLogs/111122223333/", []string{"--regions", "us-east-1", "--until", "2026-11-21"}, logKey("111122223333_CloudTrail_us-east-1_202611")[:2]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sum := filepath.Join(t.TempDir(), "summary.json")
			args := append([]string{"scan", c.source, "--out", filepath.Join(t.TempDir(), "f.jsonl"), "--summary", sum}, s3Args(srv)...)
			code, _, stderr := cli(t, append(args, c.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			got := counted.OpenedKeys()
			sort.Strings(got)
			want := slices.Clone(c.opened)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("opened\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			s := summaryOf(t, sum)
			listed, scanned, failed, skipped := num(s, "objects", "listed"), num(s, "objects", "scanned"), num(s, "objects", "failed"), num(s, "objects", "skipped_total")
			if listed != scanned+failed+skipped {
				t.Errorf("objects do not add up: listed %d != scanned %d + failed %d + skipped %d", listed, scanned, failed, skipped)
			}
			if scanned != int64(len(want)) {
				t.Errorf("scanned %d objects, want %d", scanned, len(want))
			}
		})
	}
}

// TestBadObjects: each damaged object is reported with its key and reason,
// the scan completes with exit code 3, and the good object's finding is there.
func TestBadObjects(t *testing.T) {
	tree := gen.Broken()
	srv := serveTree(t, "broken", tree)
	localDir, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "broken"))
	for _, c := range []struct{ name, source, prefix string }{
		{"s3", "s3://broken", "s3://broken/"},
		{"local", localDir, localDir + string(filepath.Separator)},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "f.jsonl")
			sum := filepath.Join(t.TempDir(), "summary.json")
			code, _, stderr := cli(t, append([]string{"scan", c.source, "--out", out, "--summary", sum}, s3Args(srv)...)...)
			if code != 3 {
				t.Fatalf("exit %d, want 3\n%s", code, stderr)
			}
			for _, f := range tree.Files {
				bad := !strings.Contains(f.Key, "G00d")
				uri := c.prefix + filepath.FromSlash(f.Key)
				if c.name == "s3" {
					uri = c.prefix + f.Key
				}
				if bad && !strings.Contains(stderr, uri) {
					t.Errorf("stderr does not name the bad object %s:\n%s", uri, stderr)
				}
			}
			for _, reason := range []string{"gzip", "JSON", "truncated", "Records"} {
				if !strings.Contains(strings.ToLower(stderr), strings.ToLower(reason)) {
					t.Errorf("stderr gives no %q reason:\n%s", reason, stderr)
				}
			}
			want := wantKeys(tree, func(k string) string {
				if c.name == "s3" {
					return c.prefix + k
				}
				return c.prefix + filepath.FromSlash(k)
			}, nil)
			equalKeys(t, c.name, keysOf(readFindings(t, out)), want)
			s := summaryOf(t, sum)
			if got := num(s, "objects", "failed"); got != 4 {
				t.Errorf("summary counts %d failed objects, want 4", got)
			}
			if got := num(s, "objects", "scanned"); got != 1 {
				t.Errorf("summary counts %d scanned objects, want 1", got)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	dir := sampleDir(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"scan", dir, "--no-such-flag"}, "--no-such-flag"},
		{[]string{"scan"}, "SOURCE"},
		{[]string{"scan", dir, "--since", "yesterday"}, "--since"},
		{[]string{"scan", dir, "--until", "2026-13-45"}, "--until"},
		{[]string{"scan", dir, "--since", "2026-11-22", "--until", "2026-11-20"}, "--since"},
		{[]string{"scan", dir, "--out", "findings.xlsx"}, "xlsx"},
		{[]string{"scan", dir, "--out", "f.csv", "--format", "yaml"}, "yaml"},
		{[]string{"scan", dir, "--concurrency", "0"}, "--concurrency"},
		{[]string{"scan", dir, "--concurrency", "many"}, "--concurrency"},
		{[]string{"scan", filepath.Join(dir, "does-not-exist")}, "does-not-exist"},
		{[]string{"scan", dir, "--rules", filepath.Join(dir, "no-rules-here")}, "no-rules-here"},
		{[]string{"scan", dir, "--query", "event.action: (unclosed"}, "--query 1"},
		{[]string{"scan", dir, "--query", "just words"}, "field"},
		{[]string{"rules", "--bogus"}, "--bogus"},
		{[]string{"frobnicate"}, "frobnicate"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, stderr := cli(t, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr does not mention %q:\n%s", c.want, stderr)
			}
		})
	}
}

func TestMissingBucket(t *testing.T) {
	srv := serveTree(t, "exists")
	code, _, stderr := cli(t, append([]string{"scan", "s3://no-such-bucket-here/AWSLogs/"}, s3Args(srv)...)...)
	if code != 2 {
		t.Errorf("exit %d, want 2\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "no-such-bucket-here") || !strings.Contains(strings.ToLower(stderr), "bucket") {
		t.Errorf("stderr does not say the bucket is missing:\n%s", stderr)
	}
}

func TestStdoutJSONLAndExitCodes(t *testing.T) {
	dir := sampleDir(t)
	code, stdout, stderr := cli(t, "scan", dir, "--out", "-", "-q")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rows := parseJSONL(t, []byte(stdout))
	want := wantKeys(gen.Sample(), func(k string) string { return filepath.Join(dir, filepath.FromSlash(k)) }, nil)
	equalKeys(t, "stdout", keysOf(rows), want)

	if code, _, _ := cli(t, "scan", dir, "-q", "--out", "-", "--fail-on-findings"); code != 1 {
		t.Errorf("--fail-on-findings with findings: exit %d, want 1", code)
	}
	if code, _, _ := cli(t, "scan", dir, "-q", "--out", "-", "--fail-on-findings", "--query", `event.action: "NoSuchAction"`); code != 0 {
		t.Errorf("--fail-on-findings without findings: exit %d, want 0", code)
	}
}

// TestWindowAndQuery: --query alone runs only the query; --since/--until
// filter records on eventTime and the summary counts the rest.
func TestWindowAndQuery(t *testing.T) {
	dir := sampleDir(t)
	sum := filepath.Join(t.TempDir(), "s.json")
	code, stdout, stderr := cli(t, "scan", dir, "-q", "--out", "-", "--summary", sum,
		"--query", `event.provider: "lambda.amazonaws.com" and event.action: CreateEventSourceMapping*`,
		"--since", "2026-11-20", "--until", "2026-11-20") // a bare --until date includes that day
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rows := parseJSONL(t, []byte(stdout))
	var got []string
	for _, r := range rows {
		if r["rule_id"] != "adhoc-1" || r["rule_source"] != "adhoc" {
			t.Errorf("unexpected rule %s (%s)", r["rule_id"], r["rule_source"])
		}
		if !strings.HasPrefix(r["event_time"], "2026-11-20T") {
			t.Errorf("finding outside the window: %s", r["event_time"])
		}
		got = append(got, r["event_id"])
	}
	// On the 20th: the planted positive, the denied call, the assumed-role
	// positive and the errorMessage-only call (no outcome in this query).
	if len(got) != 4 {
		t.Errorf("got %d findings on 2026-11-20, want 4: %v", len(got), got)
	}
	s := summaryOf(t, sum)
	read, eval, outside, bad := num(s, "records", "read"), num(s, "records", "evaluated"), num(s, "records", "outside_window"), num(s, "records", "malformed")
	if read != eval+outside+bad || outside == 0 || eval == 0 {
		t.Errorf("records do not add up or window not applied: read %d, evaluated %d, outside %d, malformed %d", read, eval, outside, bad)
	}
}

func TestRulesCommand(t *testing.T) {
	code, stdout, stderr := cli(t, "rules", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var infos []map[string]any
	if err := json.Unmarshal([]byte(stdout), &infos); err != nil {
		t.Fatalf("rules --json: %v\n%s", err, stdout)
	}
	wantKeys := []string{"id", "language", "name", "reason", "severity", "source", "supported", "type"}
	seed := false
	for _, in := range infos {
		var keys []string
		for k := range in {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Fatalf("rule keys %v, want %v", keys, wantKeys)
		}
		if _, ok := in["supported"].(bool); !ok {
			t.Errorf("supported is not a boolean: %v", in["supported"])
		}
		if in["id"] == gen.SeedRuleID {
			seed = in["supported"] == true && in["source"] == "builtin"
		}
	}
	if !seed {
		t.Error("the built-in seed rule is not listed as supported")
	}

	corpus := gen.SharedDir(t, "rules", "elastic-aws")
	code, stdout, stderr = cli(t, "rules", "--rules", corpus, "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	infos = nil
	if err := json.Unmarshal([]byte(stdout), &infos); err != nil {
		t.Fatal(err)
	}
	supported := 0
	for _, in := range infos {
		if in["supported"] == true {
			supported++
		} else if in["reason"] == "" {
			t.Errorf("rule %v is unsupported without a reason", in["id"])
		}
	}
	if len(infos) != 203 || supported != 197 {
		t.Errorf("corpus: %d rules, %d supported; want 203 and 197", len(infos), supported)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := cli(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "trailsweep ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

// TestInterrupted: a cancelled scan keeps what it wrote, says INCOMPLETE and
// exits 3.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "f.jsonl")
	var so, se bytes.Buffer
	code := run(ctx, []string{"scan", sampleDir(t), "--out", out}, strings.NewReader(""), &so, &se)
	if code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, se.String())
	}
	if !strings.Contains(se.String(), "INCOMPLETE") {
		t.Errorf("summary does not say INCOMPLETE:\n%s", se.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("interrupted scan left no output file: %v", err)
	}
}

// TestNoCredentials: with no credentials anywhere in the SDK's chain the scan
// stops before listing, exits 2 and says why.
func TestNoCredentials(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	code, _, stderr := cli(t, "scan", "s3://some-trail-bucket/AWSLogs/", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9")
	if code != 2 {
		t.Errorf("exit %d, want 2\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "credentials") {
		t.Errorf("stderr does not mention credentials:\n%s", stderr)
	}
	if strings.Contains(stderr, "panic") {
		t.Errorf("stderr: %s", stderr)
	}
}
