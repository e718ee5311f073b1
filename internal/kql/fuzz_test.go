package kql

import (
	"testing"

	"github.com/trailsweep/trailsweep/internal/query"
)

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.query)
	}
	for _, tt := range parseErrorTests {
		if len(tt.query) < 200 {
			f.Add(tt.query)
		}
	}
	for _, tt := range matchTests {
		f.Add(tt.query)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n, err := Parse(q)
		if err != nil {
			if _, ok := err.(*query.SyntaxError); !ok {
				t.Fatalf("Parse(%q) error %T, want *query.SyntaxError", q, err)
			}
			return
		}
		checkRoundTrip(t, q, n)
		if m, err := Compile(n); err == nil {
			m.Match(fakeDoc{"a": str("x")})
		}
	})
}
