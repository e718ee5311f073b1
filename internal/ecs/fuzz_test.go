package ecs

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzReset feeds arbitrary bytes to Reset and reads every static field and
// a few flattened paths: nothing may panic, a failed Reset leaves every field
// absent, and the HashMap strings stay valid for valid UTF-8 input.
func FuzzReset(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "create-event-source-mapping.json")); err == nil {
		f.Add(raw)
	}
	for _, s := range []string{
		`{}`, `[]`, `null`, `{"a":`, `{"requestParameters":{"a":[null,"",{}],"b":1e400,"c":-0,"d":"none"}}`,
		`{"eventName":"UserAuthentication","additionalEventData":{"UserName":"u"}}`,
		`{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}}`,
		`{"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/aws-service-role/x/"}}}}`,
		`{"resources":[{"ARN":"a"},{"ARN":"a"},1,null],"tlsDetails":{"tlsVersion":"v"},"eventTime":"2024-01-01T00:00:00Z"}`,
		`{"requestParameters":{"k":1,"k":null,"\ud83d\ude00":[[[]]]}}`,
	} {
		f.Add([]byte(s))
	}
	names := append(Names(),
		"aws.cloudtrail.flattened.request_parameters",
		"aws.cloudtrail.flattened.request_parameters.a",
		"aws.cloudtrail.flattened.response_elements.a.b",
		"aws.cloudtrail.flattened.additional_eventdata.UserName")
	fields := make([]Field, len(names))
	for i, n := range names {
		fields[i] = Lookup(n)
	}
	r := NewRecord(Options{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		err := r.Reset(raw)
		for _, fl := range fields {
			vals := r.Values(fl)
			if err != nil && vals != nil {
				t.Fatalf("%s present after failed Reset: %+v", fl.Name, vals)
			}
			if utf8.Valid(raw) {
				for _, v := range vals {
					if !utf8.ValidString(v.S) {
						t.Fatalf("%s: invalid UTF-8 %q from valid input", fl.Name, v.S)
					}
				}
			}
		}
		_, _ = r.EventTime()
		_ = r.JSON("requestParameters")
		_ = r.Str("userIdentity", "arn")
	})
}
