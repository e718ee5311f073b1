package sigma

import (
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// FuzzParseCondition: any condition that parses prints back to itself.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"a", "a and not (b or c)", "1 of sel*", "all of them", "not not x", "a | count() > 1", "((a)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := ParseCondition(s)
		if err != nil {
			return
		}
		y, err := ParseCondition(x.String())
		if err != nil {
			t.Fatalf("%q printed as %q: %v", s, x.String(), err)
		}
		if y.String() != x.String() {
			t.Fatalf("%q: %q reparsed as %q", s, x.String(), y.String())
		}
	})
}

// FuzzParse: no rule text panics the loader, and a compiled detection
// evaluates any record without panicking.
func FuzzParse(f *testing.F) {
	f.Add("title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|contains|all: [a, b]\n  condition: sel\n", `{"eventName":"ab"}`)
	f.Add("title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    requestParameters|windash|base64offset|contains: '-x'\n  condition: 1 of them\n", `{"requestParameters":{"a":[1,{"b":"LXg"}]}}`)
	f.Fuzz(func(t *testing.T, rule, record string) {
		rs, err := Parse([]byte(rule), Options{Placeholders: map[string][]string{"p": {"x*"}}})
		if err != nil {
			return
		}
		rec := ecs.NewRecord(ecs.Options{})
		if rec.Reset([]byte(record)) != nil {
			return
		}
		for _, r := range rs {
			if r.Detection != nil {
				r.Detection.Match(rec)
				r.Detection.FoldConstraint("event.action")
			}
		}
	})
}
