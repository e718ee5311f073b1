package kql

import "testing"

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
	f.Fuzz(func(t *testing.T, query string) {
		n, err := Parse(query)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("Parse(%q) error %T, want *ParseError", query, err)
			}
			return
		}
		checkRoundTrip(t, query, n)
		if m, err := Compile(n); err == nil {
			m.Match(fakeDoc{"a": str("x")})
		}
	})
}
