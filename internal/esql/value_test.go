package esql

import (
	"strings"
	"testing"
	"time"
)

// TestParseUTC: the fast path for CloudTrail's timestamps gives what
// time.Parse with RFC3339Nano, truncated to milliseconds, gives, and
// declines what it would reject.
func TestParseUTC(t *testing.T) {
	inputs := []string{
		"2024-03-01T12:34:56Z", "2024-03-01T12:34:56.7Z", "2024-03-01T12:34:56.789Z",
		"2024-03-01T12:34:56.789999999Z", "2024-03-01T12:34:56.0001Z", "1970-01-01T00:00:00Z",
		"2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z",
		"2024-00-10T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z",
		"2024-01-01T00:00:60Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z",
		"2024-01-01T00:00:00,5Z", "2024-01-01T00:00:00+02:00", "2024-01-01", "0000-01-01T00:00:00Z",
		"2024-01-01T00:00:0aZ", "2024-1-01T00:00:00Z", "x024-01-01T00:00:00Z", "",
	}
	for _, s := range inputs {
		want, err := time.Parse(time.RFC3339Nano, s)
		got, ok := parseUTC(s)
		if !ok {
			continue // parseDate falls back to time.Parse
		}
		if err != nil {
			t.Errorf("parseUTC(%q) = %v; time.Parse rejects it: %v", s, got, err)
			continue
		}
		if w := want.UTC().Truncate(time.Millisecond); !got.Equal(w) || got.Location() != time.UTC {
			t.Errorf("parseUTC(%q) = %v, want %v", s, got, w)
		}
	}
	for _, s := range []string{"2024-03-01T12:34:56Z", "2024-03-01T12:34:56.789999Z"} {
		if _, ok := parseUTC(s); !ok {
			t.Errorf("parseUTC(%q) declined", s)
		}
	}
}

// TestLikeSimple: the matchers of simple LIKE patterns agree with the
// regexps likeRegexp compiles.
func TestLikeSimple(t *testing.T) {
	patterns := []string{"AKIA*", "*AKIA", "*AKIA*", "AKIA", "*", "**", "", "a**", "**a", "é*", "*.amazonaws.com", "a*b", "a?", `a\*`, "\uFFFD*"}
	inputs := []string{"", "AKIA", "AKIAXYZ", "xAKIA", "xAKIAy", "akia", "a", "aa", "a*", "é", "éx", "\xffAKIA", "AKIA\xff", "\xe2AKIA\n", "s3.amazonaws.com", "ab", "\xff"}
	simple := 0
	for _, p := range patterns {
		m := likeSimple(p)
		if m == nil {
			continue
		}
		simple++
		re, err := likeRegexp(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range inputs {
			if got, want := m(s), re.MatchString(s); got != want {
				t.Errorf("LIKE %q on %q: %v, regexp %v", p, s, got, want)
			}
		}
	}
	if simple < 9 {
		t.Errorf("%d simple patterns, want at least 9", simple)
	}
}

// TestAppendKey: AppendKey writes the bytes of EncodeKey's strings joined by
// NUL, for every kind of value.
func TestAppendKey(t *testing.T) {
	for _, vals := range [][]any{
		nil, {nil}, {"AKIA1", "alice"}, {true, false, skipped}, {int64(-3), 2.5, ""},
		{time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), "x\x00y"},
	} {
		want := strings.Join(EncodeKey(vals), "\x00")
		if got := string(AppendKey([]byte("pre"), vals)); got != "pre"+want {
			t.Errorf("AppendKey(%v) = %q, want %q", vals, got, "pre"+want)
		}
	}
}

// TestCivilDays: parseUTC's own calendar arithmetic gives the time.Time
// time.Date gives (the same value, ==, not only the same instant), and
// daysIn the month lengths time.Date normalizes by, over years 1 to 2500.
func TestCivilDays(t *testing.T) {
	for y := 1; y <= 2500; y++ {
		for mo := 1; mo <= 12; mo++ {
			n := daysIn(y, mo)
			if time.Date(y, time.Month(mo), n+1, 0, 0, 0, 0, time.UTC).Day() != 1 || time.Date(y, time.Month(mo), n, 0, 0, 0, 0, time.UTC).Day() != n {
				t.Fatalf("daysIn(%d, %d) = %d", y, mo, n)
			}
			for _, d := range []int{1, 15, n} {
				want := time.Date(y, time.Month(mo), d, 23, 59, 58, 123*int(time.Millisecond), time.UTC)
				s := want.Format("2006-01-02T15:04:05.000Z")
				got, ok := parseUTC(s)
				if !ok || got != want {
					t.Fatalf("parseUTC(%q) = %#v, %v; want %#v", s, got, ok, want)
				}
			}
		}
	}
}
