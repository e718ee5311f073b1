package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hostile values planted in the report's inputs: each would run script or
// break out of its context if it were not escaped.
const (
	xssScript  = `<script>window.__pwned=1</script>`
	xssBreak   = `</script><script>window.__pwned=2</script>`
	xssImg     = `"><img src=x onerror="window.__pwned=3">`
	xssURL     = `javascript:window.__pwned=4`
	xssControl = "\x1b[31mred\x00\u2028\u2029\x7f"
)

// htmlWant is what reportFindings holds, per severity and per rule.
var htmlWant = struct {
	severity map[string]int
	rule     map[string]int
}{
	severity: map[string]int{"critical": 3, "high": 5, "medium": 7, "low": 11},
	rule:     map[string]int{"r-crit": 3, "r-high": 5, "r-med": 7, "r-low-a": 6, "r-low-b": 5},
}

// reportFindings returns a known findings set (26 findings over four days,
// the third with none) with hostile strings in user agents, ARNs, error
// messages, rule names and source IPs. Each finding but every fourth
// carries a raw record (JSON, with the hostile strings and a number beyond
// float64's precision), as with --raw.
func reportFindings() []Finding {
	type spec struct {
		id, name, sev string
		n             int
	}
	specs := []spec{
		{"r-crit", "Root console login " + xssScript, "critical", 3},
		{"r-high", "CloudTrail stopped", "high", 5},
		{"r-med", "Security group opened " + xssImg, "medium", 7},
		{"r-low-a", "Lambda mapping", "low", 6},
		{"r-low-b", "Describe burst", "low", 5},
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var out []Finding
	i := 0
	for _, s := range specs {
		for range s.n {
			d := []int{0, 1, 3}[i%3] // 2026-11-22 has none
			f := Finding{
				RuleID: s.id, RuleName: s.name, RuleSource: "builtin", RuleType: "query", Severity: s.sev, RiskScore: 47,
				Tactics: []string{"Persistence", "Defense Evasion"}, Techniques: []string{"T1098", "T1562.008"},
				EventTime: day.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute),
				EventID:   fmt.Sprintf("ev-%d", i), EventSource: "iam.amazonaws.com", EventName: "CreateUser",
				AWSRegion: "us-east-1", AccountID: []string{"111122223333", "444455556666"}[i%2],
				UserIdentityType: "IAMUser", UserARN: "arn:aws:iam::111122223333:user/" + xssImg, UserName: []string{"alice", "bob", ""}[i%3],
				AccessKeyID: "AKIAEXAMPLE" + fmt.Sprint(i%4), SourceIP: []string{"198.51.100.7", "203.0.113.9", xssURL}[i%3],
				UserAgent: []string{xssScript, xssBreak, "aws-cli/2 " + xssControl}[i%3],
				SourceURI: "logs/" + xssImg + ".json.gz", RecordIndex: int64(i),
			}
			if i%5 == 0 {
				f.ErrorCode, f.ErrorMessage = "AccessDenied", xssBreak+xssControl
			}
			if i%4 != 3 {
				f.Raw = rawRecord(&f)
			}
			out = append(out, f)
			i++
		}
	}
	return out
}

// rawRecord returns a CloudTrail-like record for f, not HTML-escaped (as
// the logs hold it).
func rawRecord(f *Finding) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(map[string]any{
		"eventVersion": "1.08", "eventID": f.EventID, "eventName": f.EventName, "userAgent": f.UserAgent,
		"sourceIPAddress": f.SourceIP, "userIdentity": map[string]any{"arn": f.UserARN, "userName": f.UserName},
		"requestParameters": map[string]any{"userName": xssImg, "tags": []any{}, "big": uint64(12345678901234567890)},
		"errorMessage":      f.ErrorMessage,
	})
	return strings.TrimSuffix(b.String(), "\n")
}

// renderReport writes the report of fs to a file in dir and returns its path.
func renderReport(t testing.TB, dir string, fs []Finding, sum *Summary) string {
	t.Helper()
	h, err := NewHTML(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for i := range fs {
		if err := h.Add(&fs[i]); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "report.html")
	if err := h.WriteFile(path, sum, "test <hunt>"); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTMLReport(t *testing.T) {
	dir := t.TempDir()
	path := renderReport(t, dir, reportFindings(), nil)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)

	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no Content-Security-Policy meta")
	}
	for _, want := range []string{"default-src 'none'", "script-src 'sha256-", "img-src data:", "style-src 'unsafe-inline'"} {
		if !strings.Contains(strings.ReplaceAll(csp[1], "&#39;", "'"), want) {
			t.Errorf("CSP %q lacks %q", csp[1], want)
		}
	}
	if strings.Contains(csp[1], "unsafe-eval") || strings.Contains(csp[1], "http") {
		t.Errorf("CSP too loose: %s", csp[1])
	}

	for sev, n := range htmlWant.severity {
		want := fmt.Sprintf(`data-severity="%s"><b class="count">%d</b>`, sev, n)
		if !strings.Contains(page, want) {
			t.Errorf("severity %s: no %q", sev, want)
		}
	}
	if !strings.Contains(page, `<b id="total-count">26</b>`) {
		t.Error("total count 26 missing")
	}
	for id, n := range htmlWant.rule {
		re := regexp.MustCompile(`<tr data-rule-id="` + id + `">.*?<td class="n count">(\d+)</td>`)
		m := re.FindStringSubmatch(page)
		if m == nil || m[1] != fmt.Sprint(n) {
			t.Errorf("rule %s: got %v, want count %d", id, m, n)
		}
	}

	// Exactly four script elements: the metadata, the hashed script, one
	// block of rows and one of details.
	if got := strings.Count(strings.ToLower(page), "<script"); got != 4 {
		t.Errorf("%d <script in the page, want 4 (metadata, the report's own, rows, details)", got)
	}
	for _, bad := range []string{"<img", "onerror=\"", "</script><script>window", "\x1b", "\x00", "\u2028", "\x7f"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds raw %q", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;window.__pwned=1&lt;/script&gt;") {
		t.Error("the rule name's <script> is not shown escaped")
	}
	// The timeline: four days, the third empty.
	if got := strings.Count(page, `<g class="bucket`); got != 4 {
		t.Errorf("%d timeline buckets, want 4", got)
	}
	if !strings.Contains(page, `<g class="bucket empty" data-count="0" data-label="2026-11-22">`) {
		t.Error("the day without findings is not an empty bar")
	}
	// The data blocks parse as JSON and hold no raw <.
	blocks := regexp.MustCompile(`(?s)<script type="application/json" (?:id="findings-meta"|class="findings-rows"|class="findings-detail")>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(blocks) != 3 {
		t.Fatalf("%d data blocks, want the metadata, one block of rows and one of details", len(blocks))
	}
	for _, m := range blocks {
		if strings.Contains(m[1], "<") {
			t.Error("a data block holds a raw <")
		}
		if !json.Valid([]byte(m[1])) {
			t.Errorf("a data block is not JSON: %.200s", m[1])
		}
	}
}

func TestHTMLSummaryCoverage(t *testing.T) {
	sum := &Summary{Sources: []string{"s3://bucket/AWSLogs/"}, Complete: true,
		Objects:  ObjectStats{Listed: 10, Scanned: 9, Failed: 1},
		Coverage: Coverage{Events: TimeWindow{Since: time.Date(2026, 11, 18, 5, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)}}}
	var b strings.Builder
	if err := sum.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSummaryJSON(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Coverage.Events, sum.Coverage.Events) || back.Objects.Failed != 1 || back.Sources[0] != sum.Sources[0] {
		t.Fatalf("summary read back as %+v", back)
	}
	page, err := os.ReadFile(renderReport(t, t.TempDir(), reportFindings(), back))
	if err != nil {
		t.Fatal(err)
	}
	// The timeline spans the records read (11-18 to 11-24), not only the findings.
	if got := strings.Count(string(page), `<g class="bucket`); got != 7 {
		t.Errorf("%d timeline buckets, want 7", got)
	}
	if !strings.Contains(string(page), "10 listed, 9 scanned, 1 failed") {
		t.Error("objects coverage missing")
	}
}

func TestReadFindings(t *testing.T) {
	in := sampleFindings(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "parts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{Parquet, CSV, JSONL} {
		w, err := Create(filepath.Join(dir, "parts", "part-"+string(f)+"."+string(f)), f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range in {
			if err := w.Write(&in[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	norm := func(f Finding) Finding {
		f.Raw = ""
		if len(f.Tactics) == 0 {
			f.Tactics = nil
		}
		if len(f.Techniques) == 0 {
			f.Techniques = nil
		}
		f.EventTime = f.EventTime.UTC()
		return f
	}
	var got []Finding
	for f, err := range ReadFindings(filepath.Join(dir, "parts")) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, norm(*f))
	}
	if len(got) != 3*len(in) {
		t.Fatalf("read %d findings, want %d", len(got), 3*len(in))
	}
	for part := range 3 { // csv, jsonl, parquet: lexical order
		for i := range in {
			want := norm(in[i])
			want.RuleID, want.RuleName = validUTF8(want.RuleID), validUTF8(want.RuleName)
			if g := got[part*len(in)+i]; !reflect.DeepEqual(g, want) {
				t.Errorf("part %d finding %d:\n got %+v\nwant %+v", part, i, g, want)
			}
		}
	}
	var missing error
	for _, err := range ReadFindings(filepath.Join(dir, "none")) {
		missing = err
	}
	if missing == nil {
		t.Error("a missing path read without error")
	}
}
