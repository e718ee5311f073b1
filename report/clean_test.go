package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "aws-cli/2.15.0 Python/3.11", "aws-cli/2.15.0 Python/3.11"},
		{"empty", "", ""},
		{"unicode untouched", "Zürich 東京 🙂 café", "Zürich 東京 🙂 café"},
		{"clear screen", "a\x1b[2Jb", `a\x1b[2Jb`},
		{"colour", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"osc 8 hyperlink", "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
			`\x1b]8;;http://evil.example/\x1b\click\x1b]8;;\x1b\`},
		{"osc title with bel", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"bel", "ding\a", `ding\x07`},
		{"cr overwrite", "ok\rEVIL", `ok\rEVIL`},
		{"newline and tab", "a\nb\tc", `a\nb\tc`},
		{"nul and del", "a\x00b\x7f", `a\x00b\x7f`},
		{"invalid utf-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"c1 csi", "a\u009b2Jb", `a\u009b2Jb`},
		{"bidi override", "evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"bidi isolate", "\u2066x\u2069", `\u2066x\u2069`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"backslash kept", `C:\temp`, `C:\temp`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// checkClean fails unless s is valid UTF-8 free of anything a terminal acts on.
func checkClean(t *testing.T, in, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("Clean(%q) = %q: invalid UTF-8", in, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || unicode.Is(unicode.Cc, r) || unsafeRune(r) {
			t.Fatalf("Clean(%q) = %q: contains %U", in, s, r)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "abc", "\x1b[2J", "\xff\xfe", "é\u202e", "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := Clean(in)
		checkClean(t, in, got)
		// Printable text survives unchanged.
		printable := true
		for _, r := range in {
			if r == utf8.RuneError || r < 0x20 || r == 0x7f || unicode.Is(unicode.Cc, r) || unsafeRune(r) {
				printable = false
			}
		}
		if printable && got != in {
			t.Fatalf("Clean(%q) = %q, changed printable text", in, got)
		}
	})
}

func BenchmarkClean(b *testing.B) {
	for _, tc := range []struct{ name, s string }{
		{"ascii", strings.Repeat("aws-cli/2.15.0 Python/3.11.6 ", 4)},
		{"escapes", strings.Repeat("\x1b[31mred\x1b[0m é ", 8)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.s)))
			for b.Loop() {
				Clean(tc.s)
			}
		})
	}
}

func TestTable(t *testing.T) {
	var buf bytes.Buffer
	w := NewTable(&buf)
	fs := sampleFindings(t)
	for i := range fs {
		if err := w.Write(&fs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&fs[0]); err == nil {
		t.Error("Write after Close: no error")
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1+len(fs) {
		t.Fatalf("got %d lines, want header + %d:\n%s", len(lines), len(fs), buf.String())
	}
	if !strings.HasPrefix(lines[0], "TIME") {
		t.Errorf("header %q", lines[0])
	}
	for i, line := range lines[1:] {
		checkClean(t, "", line)
		f := fs[i]
		for _, want := range []string{
			Clean(f.EventName), Clean(f.Severity), Clean(f.SourceIP),
			Clean(fmt.Sprintf("%s#%d", f.SourceURI, f.RecordIndex)),
		} {
			if want != "" && !strings.Contains(line, want) {
				t.Errorf("line %d %q lacks %q", i, line, want)
			}
		}
	}
	// Values the table must show, chosen per finding.
	for i, want := range []string{
		"2024-03-05T07:08:09Z", "IAM Access Key Created for Another User", "mallory",
	} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("line 1 (%d) lacks %q: %q", i, want, lines[1])
		}
	}
	if !strings.Contains(lines[2], `ad hoc, "quoted"\nsecond line`) || !strings.Contains(lines[2], "-rolé 東京 🙂") {
		t.Errorf("line 2 does not show the cleaned rule and user name: %q", lines[2])
	}
	if !strings.Contains(lines[3], "2023-12-31T22:59:59.123456Z") {
		t.Errorf("line 3 event time not in UTC: %q", lines[3])
	}
	if fields := strings.Fields(lines[2]); fields[0] != "-" {
		t.Errorf("line 2: unknown time shows as %q, want -", fields[0])
	}
}
