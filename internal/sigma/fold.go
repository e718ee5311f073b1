package sigma

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// cand is one scalar the record offers a field comparison. text is a view
// of the record's bytes (valid while the record is); its strings.ToLower
// and whether it is ASCII are computed on first use.
type cand struct {
	v     ecs.RawValue
	text  string
	lower string
	state uint8
}

const (
	candLowered uint8 = 1 << iota // lower is set
	candChecked                   // the ASCII bit is known
	candASCII                     // text is ASCII
)

func newCand(v ecs.RawValue) cand { return cand{v: v, text: v.TextView()} }

// low returns strings.ToLower(c.text), computed once.
func (c *cand) low() string {
	if c.state&candLowered == 0 {
		c.lower = strings.ToLower(c.text)
		c.state |= candLowered
	}
	return c.lower
}

// ascii reports whether c.text is ASCII, when strings.ToLower only maps
// A-Z to a-z byte by byte.
func (c *cand) ascii() bool {
	if c.state&candChecked == 0 {
		c.state |= candChecked
		if isASCII(c.text) {
			c.state |= candASCII
		}
	}
	return c.state&candASCII != 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasFoldPrefix reports whether strings.ToLower(s) starts with p, for an
// ASCII s (p already lowered).
func hasFoldPrefix(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if lowerASCII(s[i]) != p[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether strings.ToLower(s) contains p, for an ASCII
// s (p already lowered).
func containsFold(s, p string) bool {
	if len(p) == 0 {
		return true
	}
	c0 := p[0]
	for i := 0; i+len(p) <= len(s); i++ {
		if lowerASCII(s[i]) == c0 && hasFoldPrefix(s[i:], p) {
			return true
		}
	}
	return false
}

// matchCand reports what match(c.text, strings.ToLower(c.text)) reports,
// without lowering an ASCII candidate for the literal kinds.
func (p *strPat) matchCand(c *cand) bool {
	switch {
	case p.kind == kAny:
		return true
	case p.cased:
		return p.match(c.text, c.text)
	case p.kind == kEq && (3*len(c.text) < len(p.s) || len(c.text) > 3*len(p.s)):
		// strings.ToLower changes a text's length by a factor of 1/3
		// (U+212A Kelvin sign to k) to 3 (an invalid byte to U+FFFD) at
		// most: no need to know whether the text is ASCII.
		return false
	case p.kind != kGlob && c.ascii():
		s := c.text
		switch p.kind {
		case kEq:
			return len(s) == len(p.s) && hasFoldPrefix(s, p.s)
		case kPrefix:
			return hasFoldPrefix(s, p.s)
		case kSuffix:
			return len(s) >= len(p.s) && hasFoldPrefix(s[len(s)-len(p.s):], p.s)
		case kContains:
			return containsFold(s, p.s)
		}
	}
	return p.match(c.text, c.low())
}

// requiredLiterals returns case-sensitive literal strings that every match
// of the regular expression src (as regexp.Compile parses it) contains, so
// that a text lacking one of them cannot match. nil when there are none
// known.
func requiredLiterals(src string) []string {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	var out []string
	var walk func(r *syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		switch r.Op {
		case syntax.OpLiteral:
			if r.Flags&syntax.FoldCase != 0 {
				return
			}
			s := string(r.Rune)
			// The matcher reads invalid UTF-8 as U+FFFD, which a byte
			// search would not find.
			if !strings.ContainsRune(s, utf8.RuneError) {
				out = append(out, s)
			}
		case syntax.OpConcat:
			for _, s := range r.Sub {
				walk(s)
			}
		case syntax.OpCapture, syntax.OpPlus:
			walk(r.Sub[0])
		case syntax.OpRepeat:
			if r.Min >= 1 {
				walk(r.Sub[0])
			}
		}
	}
	walk(re)
	return out
}

// reMay reports whether text contains every required literal of v's
// regular expression: false means it cannot match.
func (v *value) reMay(text string) bool {
	for _, s := range v.need {
		if !strings.Contains(text, s) {
			return false
		}
	}
	return true
}
