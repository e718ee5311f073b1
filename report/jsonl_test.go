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
					ErrorMessage: row.ErrorMessage, RequestParameters: row.RequestParameters,
					ResponseElements: row.ResponseElements, SourceURI: row.SourceURI,
					ObjectETag: row.ObjectETag, RecordIndex: row.RecordIndex, Details: row.Details,
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
