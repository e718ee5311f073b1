package query

import "testing"

// TestPlainString: a string that KQL or EQL could compare as a number or a
// boolean is not plain.
func TestPlainString(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"iam.amazonaws.com", true}, {"", true}, {"True", true}, {"1a", true}, {"-", true},
		{"true", false}, {"false", false}, {"1", false}, {"-1.5", false}, {"1.", false}, {".5", false},
		{"1e400", false}, {"1e-400", false}, {"Inf", false}, {"NaN", false}, {"0x10", true}, {"0x1p4", false},
	} {
		if got := PlainString(tt.s); got != tt.want {
			t.Errorf("PlainString(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
