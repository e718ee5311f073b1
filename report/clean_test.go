package report

import (
	"bytes"
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
	w := NewTable(&buf, "s3://trail-bucket/AWSLogs/", "s3://trail-bucket", "/var/log")
	fs := sampleFindings(t)
	long := fs[0]
	long.RuleName = strings.Repeat("A very long rule name ", 10) + "\x1b[2J"
	long.EventName = strings.Repeat("E", 300)
	long.UserName = "東京" + strings.Repeat("🙂", 40) + "\x1b]0;title\x07"
	long.ErrorCode = "Client.UnauthorizedOperation"
	long.AccountID = strings.Repeat("9", 50)
	long.AWSRegion = "\u202eevil-region-with-a-long-name"
	long.SourceURI = "s3://trail-bucket/AWSLogs/" + strings.Repeat("deep/", 40) + "tail.json.gz"
	fs = append(fs, long)
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
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "TIME SEVERITY RULE ACCOUNT REGION EVENT OUTCOME PRINCIPAL LOCATION" {
		t.Errorf("header %q", lines[0])
	}
	for i, line := range lines {
		checkClean(t, "", line)
		if n := width(line); n > TableWidth {
			t.Errorf("line %d is %d columns wide, more than %d: %q", i, n, TableWidth, line)
		}
	}
	// Each finding's values, in their columns.
	for i, want := range [][]string{
		{"2024-03-05T07:08:09Z ", "high ", "IAM Access Key Created …", "111122223333 ", "us-east-1 ", "CreateAccessKey ",
			"success ", "mallory ", "…-1/2024/03/05/x.json.gz#0"},
		{"- ", "low ", `ad hoc, "quoted"\nsecon…`, "- ", "eu-west-1 ", "GetObject ", "AccessDenied ", "-rolé 東京 🙂 ", " ct/file.json#41"},
		{"2023-12-31T22:59:59Z ", "medium ", "Sigma rule ", "StopLogging ", "success ", " local.json#1099511627776"},
		{"A very long rule name A…", "99999999999… ", `\u202eevil-re… `, "EEEEEEEEEEEEEEEEEEE… ", "Client.Unau… ",
			"東京🙂🙂🙂🙂🙂…  ", " …/deep/deep/tail.json.gz#0"},
	} {
		for _, s := range want {
			if !strings.Contains(lines[1+i], s) {
				t.Errorf("line %d lacks %q: %q", 1+i, s, lines[1+i])
			}
		}
	}
	if fields := strings.Fields(lines[2]); fields[0] != "-" {
		t.Errorf("line 2: unknown time shows as %q, want -", fields[0])
	}
	// An ARN when there is no user name.
	buf.Reset()
	w = NewTable(&buf)
	f := fs[0]
	f.UserName = ""
	f.UserARN = "arn:aws:iam::1:user/x"
	if err := w.Write(&f); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), " arn:aws:iam::1:… ") {
		t.Errorf("no ARN as principal: %q", buf.String())
	}
}

// TestRelative: locations are relative to the longest source holding them.
func TestRelative(t *testing.T) {
	srcs := []string{"s3://b/", "s3://b/AWSLogs/", "/data/logs", "one.json.gz"}
	for _, tc := range [][2]string{
		{"s3://b/AWSLogs/1/x.json.gz", "1/x.json.gz"},
		{"s3://b/other/x.json.gz", "other/x.json.gz"},
		{"/data/logs/a/b.json", "a/b.json"},
		{"/data/logsx/b.json", "/data/logsx/b.json"},
		{"one.json.gz", "one.json.gz"},
		{"s3://c/x", "s3://c/x"},
	} {
		if got := relative(tc[0], srcs); got != tc[1] {
			t.Errorf("relative(%q) = %q, want %q", tc[0], got, tc[1])
		}
	}
}
