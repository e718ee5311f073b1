package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeJSONL(t *testing.T, fs []Finding, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewJSONL(&buf, opts)
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

// keysInOrder returns the top-level keys of one JSON object, in order.
func keysInOrder(t *testing.T, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", line)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestJSONLRoundTrip(t *testing.T) {
	in := sampleFindings(t)
	for _, raw := range []bool{false, true} {
		t.Run(fmt.Sprintf("raw=%t", raw), func(t *testing.T) {
			data := writeJSONL(t, in, Options{Raw: raw})
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 1<<20)
			i := 0
			for ; sc.Scan(); i++ {
				line := sc.Bytes()
				if i >= len(in) {
					t.Fatalf("extra line %s", line)
				}
				if got := keysInOrder(t, line); !reflect.DeepEqual(got, Columns(raw)) {
					t.Errorf("line %d keys:\ngot  %q\nwant %q", i, got, Columns(raw))
				}
				var row struct {
					jsonRow
					EventTime *string         `json:"event_time"`
					Tactics   *[]string       `json:"tactics"`
					Raw       json.RawMessage `json:"raw"`
					ReqParams json.RawMessage `json:"request_parameters"`
					RespElems json.RawMessage `json:"response_elements"`
					Details   json.RawMessage `json:"details"`
				}
				if err := json.Unmarshal(line, &row); err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				if row.Tactics == nil {
					t.Errorf("line %d: tactics is null, want an array", i)
				}
				got := Finding{
					RuleID: row.RuleID, RuleName: row.RuleName, RuleSource: row.RuleSource, RuleType: row.RuleType,
					Severity: row.Severity, RiskScore: row.RiskScore, Techniques: row.Techniques,
					EventID: row.EventID, EventSource: row.EventSource, EventName: row.EventName,
					AWSRegion: row.AWSRegion, AccountID: row.AccountID, UserIdentityType: row.UserIdentityType,
					UserARN: row.UserARN, UserName: row.UserName, AccessKeyID: row.AccessKeyID,
					SourceIP: row.SourceIP, UserAgent: row.UserAgent, ErrorCode: row.ErrorCode,
					ErrorMessage: row.ErrorMessage, SourceURI: row.SourceURI,
					ObjectETag: row.ObjectETag, RecordIndex: row.RecordIndex,
				}
				if row.Tactics != nil {
					got.Tactics = *row.Tactics
				}
				if row.EventTime != nil {
					if !strings.HasSuffix(*row.EventTime, "Z") {
						t.Errorf("line %d: event_time %q is not UTC with Z", i, *row.EventTime)
					}
					var err error
					if got.EventTime, err = time.Parse(time.RFC3339Nano, *row.EventTime); err != nil {
						t.Errorf("line %d: %v", i, err)
					}
				}
				want := normalised(in[i], raw)
				got.RequestParameters = jsonBack(t, "request_parameters", row.ReqParams, want.RequestParameters)
				got.ResponseElements = jsonBack(t, "response_elements", row.RespElems, want.ResponseElements)
				got.Details = jsonBack(t, "details", row.Details, want.Details)
				if raw {
					got.Raw = rawBack(t, row.Raw, want.Raw)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("line %d:\ngot  %+v\nwant %+v", i, got, want)
				}
			}
			if i != len(in) {
				t.Errorf("got %d lines, want %d", i, len(in))
			}
		})
	}
}

// rawBack checks how raw came out: a JSON object record must be embedded as
// an object (compact, equal to the input once compacted), anything else as a
// string. It returns the input on success so the caller can compare the rest.
func rawBack(t *testing.T, got json.RawMessage, in string) string {
	t.Helper()
	var compact bytes.Buffer
	if json.Compact(&compact, []byte(in)) == nil && strings.HasPrefix(strings.TrimSpace(in), "{") {
		if !bytes.Equal(got, compact.Bytes()) {
			t.Errorf("raw embedded as %s, want the compacted object %s", got, compact.Bytes())
		}
		return in
	}
	var s string
	if err := json.Unmarshal(got, &s); err != nil {
		t.Errorf("raw %s: want a JSON string: %v", got, err)
	}
	return s
}

// jsonBack checks how a compact-JSON column came out: null when empty, the
// object or array itself when it is one, a string otherwise. It returns the
// input on success so the caller can compare the rest.
func jsonBack(t *testing.T, col string, got json.RawMessage, in string) string {
	t.Helper()
	switch trimmed := strings.TrimSpace(in); {
	case in == "":
		if string(got) != "null" {
			t.Errorf("%s: empty written as %s, want null", col, got)
		}
		return in
	case json.Valid([]byte(in)) && (strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")):
		var compact bytes.Buffer
		_ = json.Compact(&compact, []byte(in))
		if !bytes.Equal(got, compact.Bytes()) {
			t.Errorf("%s embedded as %s, want %s", col, got, compact.Bytes())
		}
		return in
	}
	var s string
	if err := json.Unmarshal(got, &s); err != nil {
		t.Errorf("%s %s: want a JSON string: %v", col, got, err)
	}
	return s
}

// TestJSONLEmbedsJSONColumns: request_parameters, response_elements and
// details are JSON values a reader can index (jq .request_parameters.userName),
// like raw; absent is null, and text that is not a JSON object or array
// stays a string.
func TestJSONLEmbedsJSONColumns(t *testing.T) {
	data := writeJSONL(t, []Finding{
		{RequestParameters: `{"userName":"admin","tags":[{"k":"v"}]}`, ResponseElements: `{"b":1,"a":2}`, Details: `{"count":3}`},
		{RequestParameters: `{"broken":`, ResponseElements: `"quoted"`},
		{RequestParameters: "{\"a\":\"\xff\"}"},
	}, Options{})
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	tests := []struct {
		line int
		want []string
	}{
		{0, []string{`"request_parameters":{"userName":"admin","tags":[{"k":"v"}]}`, `"response_elements":{"b":1,"a":2}`, `"details":{"count":3}`}},
		{1, []string{`"request_parameters":"{\"broken\":"`, `"response_elements":"\"quoted\""`, `"details":null`}},
		{2, []string{`"request_parameters":"{\"a\":\"\ufffd\"}"`, `"response_elements":null`}},
	}
	for _, tt := range tests {
		for _, w := range tt.want {
			if !strings.Contains(lines[tt.line], w) {
				t.Errorf("line %d: %s\nwant it to contain %s", tt.line, lines[tt.line], w)
			}
		}
	}
	var row struct {
		RequestParameters struct{ UserName string } `json:"request_parameters"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil || row.RequestParameters.UserName != "admin" {
		t.Errorf("request_parameters.userName: %q, %v", row.RequestParameters.UserName, err)
	}
}

func TestJSONLNoHTMLEscape(t *testing.T) {
	data := writeJSONL(t, []Finding{{UserAgent: "<b>&</b>"}}, Options{})
	if !bytes.Contains(data, []byte(`"user_agent":"<b>&</b>"`)) {
		t.Errorf("HTML characters escaped: %s", data)
	}
}

func TestJSONLInvalidUTF8Raw(t *testing.T) {
	data := writeJSONL(t, []Finding{{Raw: "{\"a\":\"\xff\"}"}}, Options{Raw: true})
	var row struct{ Raw any }
	if err := json.Unmarshal(data, &row); err != nil {
		t.Fatal(err)
	}
	if s, ok := row.Raw.(string); !ok || s != "{\"a\":\"\uFFFD\"}" {
		t.Errorf("raw %#v, want a string with U+FFFD", row.Raw)
	}
}
