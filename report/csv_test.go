package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func writeCSV(t *testing.T, fs []Finding, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewCSV(&buf, opts)
	for i := range fs {
		if err := w.Write(&fs[i]); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return buf.Bytes()
}

func TestCSVRoundTrip(t *testing.T) {
	in := sampleFindings(t)
	for _, raw := range []bool{false, true} {
		t.Run(fmt.Sprintf("raw=%t", raw), func(t *testing.T) {
			r := csv.NewReader(bytes.NewReader(writeCSV(t, in, Options{Raw: raw})))
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(recs[0], Columns(raw)) {
				t.Fatalf("header:\ngot  %q\nwant %q", recs[0], Columns(raw))
			}
			if len(recs)-1 != len(in) {
				t.Fatalf("got %d rows, want %d", len(recs)-1, len(in))
			}
			for i, rec := range recs[1:] {
				c := map[string]string{}
				for j, name := range recs[0] {
					c[name] = unneutralise(rec[j])
				}
				num := func(name string) int64 {
					n, err := strconv.ParseInt(c[name], 10, 64)
					if err != nil {
						t.Errorf("row %d %s: %v", i, name, err)
					}
					return n
				}
				got := Finding{
					RuleID: c["rule_id"], RuleName: c["rule_name"], RuleSource: c["rule_source"],
					RuleType: c["rule_type"], Severity: c["severity"], RiskScore: num("risk_score"),
					Tactics: splitList(c["tactics"]), Techniques: splitList(c["techniques"]),
					EventID: c["event_id"], EventSource: c["event_source"], EventName: c["event_name"],
					AWSRegion: c["aws_region"], AccountID: c["account_id"],
					UserIdentityType: c["user_identity_type"], UserARN: c["user_arn"], UserName: c["user_name"],
					AccessKeyID: c["access_key_id"], SourceIP: c["source_ip"], UserAgent: c["user_agent"],
					ErrorCode: c["error_code"], ErrorMessage: c["error_message"],
					RequestParameters: c["request_parameters"], ResponseElements: c["response_elements"],
					SourceURI: c["source_uri"], ObjectETag: c["object_etag"], RecordIndex: num("record_index"),
					Details: c["details"], Raw: c["raw"],
				}
				if s := c["event_time"]; s != "" {
					if !strings.HasSuffix(s, "Z") {
						t.Errorf("row %d: event_time %q is not UTC with Z", i, s)
					}
					if got.EventTime, err = time.Parse(time.RFC3339Nano, s); err != nil {
						t.Errorf("row %d: %v", i, err)
					}
				}
				if want := normalised(in[i], raw); !reflect.DeepEqual(got, want) {
					t.Errorf("row %d:\ngot  %+v\nwant %+v", i, got, want)
				}
			}
		})
	}
}

func TestCSVNeutralise(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"aws-cli/2.15 =x", "aws-cli/2.15 =x"},
		{"'already quoted", "'already quoted"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			// Through the whole writer, in a text column and in a list.
			f := Finding{UserAgent: tt.in, UserARN: tt.in, Tactics: []string{tt.in, "x"}, Details: tt.in}
			r := csv.NewReader(bytes.NewReader(writeCSV(t, []Finding{f}, Options{})))
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			row := map[string]string{}
			for j, name := range recs[0] {
				row[name] = recs[1][j]
			}
			if got := row["user_agent"]; got != tt.want {
				t.Errorf("user_agent cell %q, want %q", got, tt.want)
			}
			if got := row["details"]; got != tt.want {
				t.Errorf("details cell %q, want %q", got, tt.want)
			}
			if got := row["user_arn"]; got != tt.want {
				t.Errorf("user_arn cell %q, want %q", got, tt.want)
			}
			if got, want := row["tactics"], neutralise(tt.in+";x"); got != want {
				t.Errorf("tactics cell %q, want %q", got, want)
			}
			if got := row["risk_score"]; got != "0" {
				t.Errorf("risk_score cell %q, want 0", got)
			}
		})
	}
}

func TestCSVNegativeNumberNotNeutralised(t *testing.T) {
	recs, err := csv.NewReader(bytes.NewReader(writeCSV(t, []Finding{{RiskScore: -1}}, Options{}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[1][5]; got != "-1" {
		t.Errorf("risk_score cell %q, want -1", got)
	}
}

func TestCSVEmptyHasHeader(t *testing.T) {
	got := string(writeCSV(t, nil, Options{Raw: true}))
	if want := strings.Join(Columns(true), ",") + "\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
