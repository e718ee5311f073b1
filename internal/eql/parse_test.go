package eql

import (
	"errors"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/query"
)

// TestParseErrors checks that a syntax error is a *query.SyntaxError at
// the right line and column (in characters), with the line's text.
func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("(", query.MaxDepth+1)
	tests := []struct {
		src       string
		line, col int
		text, msg string
	}{
		{"any where a ==", 1, 15, "any where a ==", "unexpected end of query"},
		{"any where (a == 1", 1, 18, "any where (a == 1", `expected ")"`},
		{"iam where a == \"x\" and\n  b === 2", 2, 7, "  b === 2", `unexpected "="`},
		{"iam where a == \"x\" and\r\n  b === 2", 2, 7, "  b === 2", `unexpected "="`},
		{"any where é == 1 ", 1, 11, "any where é == 1 ", `unexpected character 'é'`},
		{"any where \"é\" == ) ", 1, 18, "any where \"é\" == ) ", `unexpected ")"`},
		{"sequence [any where true]", 1, 26, "sequence [any where true]", "at least two"},
		{"any where " + deep + "a" + strings.Repeat(")", query.MaxDepth+1), 1, 11 + query.MaxDepth, "", "nested too deeply (more than 100 levels)"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		var se *query.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%.30q) = %v, want a *query.SyntaxError", tt.src, err)
			continue
		}
		if tt.text == "" {
			tt.text = tt.src
		}
		if se.Line != tt.line || se.Col != tt.col || se.Text != tt.text || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Parse(%.30q) = %d:%d %q in %.30q; want %d:%d %q in %.30q", tt.src, se.Line, se.Col, se.Msg, se.Text, tt.line, tt.col, tt.msg, tt.text)
		}
		if wantDeep := strings.Contains(tt.msg, "nested"); errors.Is(err, query.ErrTooDeep) != wantDeep {
			t.Errorf("Parse(%.30q): errors.Is(ErrTooDeep) = %v", tt.src, !wantDeep)
		}
	}
	if _, err := Parse("any where " + deep[1:] + "a" + strings.Repeat(")", query.MaxDepth)); err != nil {
		t.Errorf("%d levels: %v", query.MaxDepth, err)
	}
}
