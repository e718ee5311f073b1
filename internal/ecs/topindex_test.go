package ecs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// TestLookupEqualsGet: the top-level index finds what fastjson's Get finds
// (the first of duplicate keys, escaped keys, absent keys), also past the
// number of keys it indexes, and across Resets.
func TestLookupEqualsGet(t *testing.T) {
	var many strings.Builder
	many.WriteString("{")
	for i := range topMax + 5 {
		fmt.Fprintf(&many, `"k%d":%d,`, i, i)
	}
	many.WriteString(`"last":"x"}`)
	docs := []string{
		`{"eventName":"A","eventSource":"s","eventName":"B","userIdentity":{"type":"Root","arn":"a"},"":"empty"}`,
		`{"a\u0062c":1,"x":{"y":[{"z":2}]},"errorCode":null}`,
		`{}`,
		many.String(),
		`{"eventTime":"t","eventTiem":"u","emitTeven":"v","eventVersion":"1"}`,
	}
	paths := [][]string{{"eventName"}, {"eventSource"}, {"userIdentity", "type"}, {"userIdentity", "nope"}, {""},
		{"abc"}, {"x", "y", "0", "z"}, {"errorCode"}, {"missing"}, {"k0"}, {"k52"}, {"last"}, {"eventTime"},
		{"eventTiem"}, {"emitTeven"}, {"eventVersion"}}
	r := NewRecord(Options{})
	var p fastjson.Parser
	for range 2 { // twice: the index is rebuilt per Reset
		for _, d := range docs {
			if err := r.Reset([]byte(d)); err != nil {
				t.Fatal(err)
			}
			want, err := p.Parse(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range paths {
				got, w := r.lookup(path...), want.Get(path...)
				if (got == nil) != (w == nil) || (got != nil && got.String() != w.String()) {
					t.Errorf("%s %q: lookup %v, Get %v", d[:min(len(d), 40)], path, got, w)
				}
			}
		}
	}
	if err := r.Reset([]byte(`[1]`)); err == nil || r.lookup("a") != nil {
		t.Error("a failed Reset leaves no value to look up")
	}
}
