package sigma

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMatchCandEqualsLowered: the allocation-free comparison of a candidate
// gives what comparing strings.ToLower of it gives, ASCII or not.
func TestMatchCandEqualsLowered(t *testing.T) {
	pats := []string{"trufflehog", "TruffleHog", "*Hog", "Truffle*", "*uffle*", "*", "", "a?c", "*İ*", "ǅ*", "*K*", "k", "ſ"}
	texts := []string{"TruffleHog", "trufflehog", "TRUFFLEHOG/3.0", "x-trufflehog", "", "abc", "AbC", "İstanbul",
		"ǆemal", "Kelvin K", "k", "K", "ſ", "s", "S", "\xff\xfeTruffleHog", "truffle\u00e9hog"}
	for _, cased := range []bool{false, true} {
		for _, ps := range pats {
			p := newStrPat(tokenize(ps), cased)
			for _, s := range texts {
				c := cand{text: s}
				got := p.matchCand(&c)
				want := p.match(s, strings.ToLower(s))
				if got != want {
					t.Errorf("pattern %q cased=%v text %q: matchCand %v, match %v", ps, cased, s, got, want)
				}
			}
		}
	}
}

func TestRequiredLiterals(t *testing.T) {
	for _, c := range []struct {
		re   string
		want []string
	}{
		{".+:assumed-role/aws:.+", []string{":assumed-role/aws:"}},
		{"^arn:aws:iam::[0-9]+:root$", []string{"arn:aws:iam::", ":root"}},
		{"(?i)assumed-role", nil},
		{"a|b", nil},
		{"(abc)+x", []string{"abc", "x"}},
		{"(abc)*x", []string{"x"}},
		{"(abc){2,}", []string{"abc"}},
		{"\uFFFDx", nil},
		{"(?s)foo.bar", []string{"foo", "bar"}},
	} {
		got := requiredLiterals(c.re)
		if !slices.Equal(got, c.want) {
			t.Errorf("requiredLiterals(%q) = %q, want %q", c.re, got, c.want)
		}
	}
}

// TestRequiredLiteralsSound: a text the literal check refuses never matches.
func TestRequiredLiteralsSound(t *testing.T) {
	res := []string{".+:assumed-role/aws:.+", "(?m)^x.*y$", "ab(cd|ce)f", "(ab){2}", "[a-z]+@corp\\.com", "(?i)Foo"}
	texts := []string{"arn:aws:sts::1:assumed-role/aws:x/y", "arn:aws:sts::1:assumed-role/AWS:x", "x\ny", "abcdf", "abcef",
		"abab", "ab", "me@corp.com", "me@corp.org", "FOO", "foo", "\xff"}
	for _, src := range res {
		v := value{re: regexp.MustCompile(src), need: requiredLiterals(src)}
		for _, s := range texts {
			if !v.reMay(s) && v.re.MatchString(s) {
				t.Errorf("%q matches %q, but the literal check refuses it", src, s)
			}
		}
	}
}
