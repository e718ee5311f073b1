package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// pageDetails decodes the page's blocks of details as the script does:
// a JSON string, base64, gzip, a JSON array of arrays of strings.
func pageDetails(t *testing.T, page string) (blocks int, details [][]string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`<script type="application/json" class="findings-detail">(.*?)</script>`).FindAllStringSubmatch(page, -1) {
		blocks++
		var b64 string
		if err := json.Unmarshal([]byte(m[1]), &b64); err != nil {
			t.Fatalf("detail block %d: %v", blocks, err)
		}
		bin, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("detail block %d: %v", blocks, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("detail block %d: %v", blocks, err)
		}
		js, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("detail block %d: %v", blocks, err)
		}
		var d [][]string
		if err := json.Unmarshal(js, &d); err != nil {
			t.Fatalf("detail block %d: %v", blocks, err)
		}
		details = append(details, d...)
	}
	return blocks, details
}

// wantDetail is what the detail of f holds, by column.
func wantDetail(f *Finding) map[string]string {
	et := ""
	if !f.EventTime.IsZero() {
		et = f.EventTime.UTC().Format(time.RFC3339Nano)
	}
	return map[string]string{
		"rule_id": Clean(f.RuleID), "rule_name": Clean(f.RuleName), "rule_source": f.RuleSource, "rule_type": f.RuleType,
		"severity": f.Severity, "risk_score": strconv.FormatInt(f.RiskScore, 10),
		"tactics": strings.Join(f.Tactics, ", "), "techniques": strings.Join(f.Techniques, ", "), "event_time": et,
		"event_id": f.EventID, "event_source": f.EventSource, "event_name": f.EventName, "aws_region": f.AWSRegion,
		"account_id": f.AccountID, "user_identity_type": f.UserIdentityType, "user_arn": Clean(f.UserARN),
		"user_name": Clean(f.UserName), "access_key_id": f.AccessKeyID, "source_ip": Clean(f.SourceIP),
		"user_agent": Clean(f.UserAgent), "error_code": f.ErrorCode, "error_message": Clean(f.ErrorMessage),
		"request_parameters": f.RequestParameters, "response_elements": f.ResponseElements, "details": Clean(f.Details),
		"source_uri": Clean(f.SourceURI), "object_etag": f.ObjectETag, "record_index": strconv.FormatInt(f.RecordIndex, 10),
		"integrity": f.Integrity, "raw": strings.ToValidUTF8(f.Raw, "\uFFFD"),
	}
}

// TestHTMLDetails checks each finding's detail, opened from its table row:
// every column, control characters made visible except in the raw record,
// which is kept as read (an invalid UTF-8 byte becomes U+FFFD), in blocks
// of htmlChunk in the order added.
func TestHTMLDetails(t *testing.T) {
	h, err := NewHTML(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var in []Finding
	in = append(in, sampleFindings(t)...)
	in = append(in, reportFindings()...)
	in[1].Raw = "not json {\x1b[31m\xff</script>" // control characters, an invalid byte
	var f Finding
	for i := range htmlChunk + 7 {
		syntheticFinding(&f, i)
		in = append(in, f)
	}
	for i := range in {
		if err := h.Add(&in[i]); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := h.WriteTo(&b, nil, "t"); err != nil {
		t.Fatal(err)
	}
	blocks, details := pageDetails(t, b.String())
	if blocks != 2 || len(details) != len(in) {
		t.Fatalf("%d blocks of details, %d details; want 2 and %d", blocks, len(details), len(in))
	}
	if len(htmlDetailColumns) != len(columns)+1 || htmlDetailColumns[len(columns)] != "raw" {
		t.Fatalf("detail columns %v", htmlDetailColumns)
	}
	for i := range in {
		want, got := wantDetail(&in[i]), details[i]
		if len(got) != len(htmlDetailColumns) {
			t.Fatalf("detail %d has %d values, want %d", i, len(got), len(htmlDetailColumns))
		}
		for c, name := range htmlDetailColumns {
			if got[c] != want[name] {
				t.Errorf("detail %d %s: %q, want %q", i, name, got[c], want[name])
			}
		}
	}
	if details[0][len(columns)] == "" || !strings.Contains(details[0][len(columns)], "\n") {
		t.Error("the first sample's raw record (multi-line JSON) was not kept as read")
	}
}

// TestReadFindingsRaw checks that the raw records read back from each
// findings format are the records written (JSONL embeds a JSON record
// compacted): key order, numbers beyond float64 and <, > and & as written,
// so the report's detail shows the same record whichever file it read.
func TestReadFindingsRaw(t *testing.T) {
	in := sampleFindings(t)
	extra := in[0]
	extra.Raw = `{"z":1,"a":12345678901234567890,"s":"<b>&amp;</b> \u003c","n":[1.50,{}]}`
	in = append(in, extra)
	dir := t.TempDir()
	compact := func(s string) string {
		var b bytes.Buffer
		if json.Compact(&b, []byte(s)) != nil {
			return s
		}
		return b.String()
	}
	for _, format := range []Format{Parquet, CSV, JSONL} {
		path := filepath.Join(dir, "f."+string(format))
		w, err := Create(path, format, Options{Raw: true})
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
		i := 0
		for f, err := range ReadFindings(path) {
			if err != nil {
				t.Fatal(err)
			}
			if got, want := compact(f.Raw), compact(in[i].Raw); got != want {
				t.Errorf("%s finding %d: raw %q, want %q", format, i, got, want)
			}
			i++
		}
		if i != len(in) {
			t.Errorf("%s: read %d findings, want %d", format, i, len(in))
		}
	}
}

// TestHTMLCloseUnwritten checks that Close without WriteTo stops the
// details' compressor (a block in flight) and removes the temporary files.
func TestHTMLCloseUnwritten(t *testing.T) {
	dir := t.TempDir()
	h, err := NewHTML(dir)
	if err != nil {
		t.Fatal(err)
	}
	var f Finding
	for i := range htmlChunk + 3 {
		syntheticFinding(&f, i)
		if err := h.Add(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left %d files behind", len(left))
	}
}
