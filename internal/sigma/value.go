package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// ErrUnsupported is wrapped by compile errors that make a rule unsupported
// (a modifier trailsweep does not implement, a regular expression Go cannot
// compile, a placeholder without a value) rather than broken.
var ErrUnsupported = errors.New("unsupported")

// modifiers is every modifier name trailsweep knows.
var modifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true,
	"re": true, "i": true, "m": true, "s": true, "cidr": true, "exists": true,
	"cased": true, "neq": true, "fieldref": true, "windash": true,
	"base64": true, "base64offset": true, "utf16le": true, "utf16be": true,
	"utf16": true, "wide": true, "lt": true, "lte": true, "gt": true, "gte": true,
	"expand": true, "minute": true, "hour": true, "day": true, "week": true,
	"month": true, "year": true,
}

// tok is one element of a Sigma string: a literal rune, or a wildcard.
type tok struct {
	r    rune
	wild byte // 0 literal, '*' or '?'
	raw  bool // r is one raw byte (an encoding's output), not a character
}

// tokenize splits a plain Sigma value into literals and wildcards: `*` and
// `?` are wildcards; `\*`, `\?` and `\\` are the literal characters; any
// other backslash is literal.
func tokenize(s string) []tok {
	rs := []rune(s)
	out := make([]tok, 0, len(rs))
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\' && i+1 < len(rs) && (rs[i+1] == '*' || rs[i+1] == '?' || rs[i+1] == '\\'):
			out = append(out, tok{r: rs[i+1]})
			i++
		case c == '*' || c == '?':
			out = append(out, tok{wild: byte(c)})
		default:
			out = append(out, tok{r: c})
		}
	}
	return out
}

func literal(s string) []tok {
	out := make([]tok, 0, len(s))
	for _, r := range s {
		out = append(out, tok{r: r})
	}
	return out
}

func hasWild(ts []tok) bool {
	for _, t := range ts {
		if t.wild != 0 {
			return true
		}
	}
	return false
}

func litString(ts []tok) string {
	var b strings.Builder
	for _, t := range ts {
		if t.raw {
			b.WriteByte(byte(t.r))
		} else {
			b.WriteRune(t.r)
		}
	}
	return b.String()
}

// tokString prints tokens back as a Sigma value, escaping literal * ? \.
func tokString(ts []tok) string {
	var b strings.Builder
	for _, t := range ts {
		switch {
		case t.wild != 0:
			b.WriteByte(t.wild)
		case t.r == '*' || t.r == '?' || t.r == '\\':
			b.WriteByte('\\')
			b.WriteRune(t.r)
		default:
			b.WriteRune(t.r)
		}
	}
	return b.String()
}

// strKind is how a string pattern compares.
type strKind uint8

const (
	kEq strKind = iota
	kPrefix
	kSuffix
	kContains
	kGlob // anything else with wildcards: a compiled regexp
	kAny  // "*": any string
)

// strPat is one compiled string pattern.
type strPat struct {
	kind  strKind
	cased bool
	s     string         // literal, lowercased unless cased
	re    *regexp.Regexp // kGlob
	src   []tok          // as tokenized, for constraints and lint
}

// newStrPat compiles tokens into a pattern.
func newStrPat(ts []tok, cased bool) strPat {
	p := strPat{cased: cased, src: ts}
	n := len(ts)
	lead := n > 0 && ts[0].wild == '*'
	trail := n > 0 && ts[n-1].wild == '*'
	inner := ts
	if lead {
		inner = inner[1:]
	}
	if trail && len(inner) > 0 {
		inner = inner[:len(inner)-1]
	}
	fold := func(s string) string {
		if cased {
			return s
		}
		return strings.ToLower(s)
	}
	switch {
	case n > 0 && len(inner) == 0 && (lead || trail):
		p.kind = kAny
	case !hasWild(inner):
		p.s = fold(litString(inner))
		switch {
		case lead && trail:
			p.kind = kContains
		case lead:
			p.kind = kSuffix
		case trail:
			p.kind = kPrefix
		default:
			p.kind = kEq
		}
	default:
		var b strings.Builder
		b.WriteString("(?s)^")
		for _, t := range ts {
			switch t.wild {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".")
			default:
				b.WriteString(regexp.QuoteMeta(fold(litString([]tok{t}))))
			}
		}
		b.WriteString("$")
		p.kind = kGlob
		p.re = regexp.MustCompile(b.String())
	}
	return p
}

// match reports whether s (and lower, its strings.ToLower) matches.
func (p *strPat) match(s, lower string) bool {
	if !p.cased {
		s = lower
	}
	switch p.kind {
	case kEq:
		return s == p.s
	case kPrefix:
		return strings.HasPrefix(s, p.s)
	case kSuffix:
		return strings.HasSuffix(s, p.s)
	case kContains:
		return strings.Contains(s, p.s)
	case kAny:
		return true
	}
	return p.re.MatchString(s)
}

// literalPrefix returns the literal text before the first wildcard, and
// whether the pattern is that literal exactly.
func (p *strPat) literalPrefix() (prefix string, exact bool) {
	for i, t := range p.src {
		if t.wild != 0 {
			return litString(p.src[:i]), false
		}
	}
	return litString(p.src), true
}

// valueKind says what a compiled value compares.
type valueKind uint8

const (
	vStr valueKind = iota
	vNull
	vRe
	vCIDR
	vNum
	vRef
)

// value is one compiled value of a field (or keyword) condition: the
// alternatives one Sigma value expands into (windash, base64offset,
// placeholders…). It matches a candidate when any alternative does.
type value struct {
	kind  valueKind
	alts  []strPat
	re    *regexp.Regexp
	nets  []netip.Prefix
	op    string // numeric: "eq" "lt" "lte" "gt" "gte"
	num   float64
	part  string // time part: minute hour day week month year, or ""
	ref   []string
	mods  mods
	text  string   // the value as written, for lint and messages
	isNum bool     // the YAML value was a number
	need  []string // vRe: literals every match contains (see requiredLiterals)
}

// mods are the modifiers of one field condition.
type mods struct {
	contains, startswith, endswith, all, cased, neq, fieldref, exists, cidr bool
	re                                                                      string // "" or the flags, e.g. "i"
	isRe                                                                    bool
	op                                                                      string
	part                                                                    string
	transforms                                                              []string // windash base64 base64offset utf16* wide expand, in order
}

// parseMods reads the modifier chain after the field name.
func parseMods(names []string) (mods, error) {
	var m mods
	for _, n := range names {
		if !modifiers[n] {
			return m, fmt.Errorf("modifier %q is not a Sigma modifier trailsweep knows: %w", n, ErrUnsupported)
		}
		switch n {
		case "contains":
			m.contains = true
		case "startswith":
			m.startswith = true
		case "endswith":
			m.endswith = true
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "neq":
			m.neq = true
		case "fieldref":
			m.fieldref = true
		case "exists":
			m.exists = true
		case "cidr":
			m.cidr = true
		case "re":
			m.isRe = true
		case "i", "m", "s":
			if !m.isRe {
				return m, fmt.Errorf("modifier %q only follows re", n)
			}
			m.re += n
		case "lt", "lte", "gt", "gte":
			if m.op != "" {
				return m, fmt.Errorf("modifiers %s and %s conflict", m.op, n)
			}
			m.op = n
		case "minute", "hour", "day", "week", "month", "year":
			m.part = n
		default:
			m.transforms = append(m.transforms, n)
		}
	}
	pos := 0
	for _, b := range []bool{m.contains, m.startswith, m.endswith} {
		if b {
			pos++
		}
	}
	if pos > 1 {
		return m, errors.New("contains, startswith and endswith exclude each other")
	}
	if m.isRe && (pos > 0 || len(m.transforms) > 0 || m.cidr || m.op != "" || m.fieldref) {
		return m, errors.New("re combines only with i, m, s, all and neq")
	}
	if m.exists && (pos > 0 || m.isRe || m.cidr || m.op != "" || m.fieldref || m.neq || len(m.transforms) > 0) {
		return m, errors.New("exists takes no other modifier")
	}
	return m, nil
}

// compileValue compiles one YAML scalar under the modifiers. null is the
// YAML null; isNum says the scalar was a YAML number.
func compileValue(raw string, null, isNum bool, m mods, ph map[string][]string) (value, error) {
	v := value{mods: m, text: raw, isNum: isNum}
	switch {
	case null:
		if m.isRe || m.cidr || m.op != "" || m.fieldref || len(m.transforms) > 0 || m.contains || m.startswith || m.endswith {
			return v, errors.New("null takes no value modifier")
		}
		v.kind = vNull
		return v, nil
	case m.isRe:
		// Sigma regular expressions are case-sensitive unless |i.
		flags := m.re
		src := raw
		if flags != "" {
			src = "(?" + flags + ")" + raw
		}
		re, err := regexp.Compile(src)
		if err != nil {
			return v, fmt.Errorf("regular expression %q: %v: %w", raw, err, ErrUnsupported)
		}
		v.kind, v.re, v.need = vRe, re, requiredLiterals(src)
		return v, nil
	case m.cidr:
		v.kind = vCIDR
		p, err := netip.ParsePrefix(strings.TrimSpace(raw))
		if err != nil {
			a, aerr := netip.ParseAddr(strings.TrimSpace(raw))
			if aerr != nil {
				return v, fmt.Errorf("cidr %q: %v", raw, err)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		v.nets = []netip.Prefix{p.Masked()}
		return v, nil
	case m.op != "" || m.part != "":
		v.kind = vNum
		v.op, v.part = m.op, m.part
		if v.op == "" {
			v.op = "eq"
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || math.IsNaN(f) {
			return v, fmt.Errorf("%s needs a number, have %q", v.op, raw)
		}
		v.num = f
		return v, nil
	case m.fieldref:
		v.kind = vRef
		v.ref = internPath(strings.Split(raw, "."))
		return v, nil
	}

	// A string value: expand, transform, then add the position wildcards.
	vals := [][]tok{tokenize(raw)}
	if isNum {
		vals = [][]tok{literal(raw)}
	}
	for _, t := range m.transforms {
		var next [][]tok
		for _, ts := range vals {
			out, err := transform(t, ts, ph)
			if err != nil {
				return v, err
			}
			next = append(next, out...)
		}
		if len(next) > maxAlternatives {
			return v, fmt.Errorf("value %q expands to more than %d alternatives", raw, maxAlternatives)
		}
		vals = next
	}
	for _, ts := range vals {
		if m.contains || m.endswith {
			ts = append([]tok{{wild: '*'}}, ts...)
		}
		if m.contains || m.startswith {
			ts = append(ts, tok{wild: '*'})
		}
		v.alts = append(v.alts, newStrPat(ts, m.cased))
	}
	v.kind = vStr
	return v, nil
}

// maxAlternatives bounds the alternatives one value expands into.
const maxAlternatives = 4096

// dashes are the characters windash permutes.
var dashes = []rune{'-', '/', '–', '—', '―'}

func isDash(r rune) bool {
	for _, d := range dashes {
		if r == d {
			return true
		}
	}
	return false
}

// transform applies one value-transforming modifier.
func transform(name string, ts []tok, ph map[string][]string) ([][]tok, error) {
	switch name {
	case "windash":
		out := [][]tok{nil}
		for _, t := range ts {
			if t.wild != 0 || !isDash(t.r) {
				for i := range out {
					out[i] = append(out[i], t)
				}
				continue
			}
			if len(out)*len(dashes) > maxAlternatives {
				return nil, fmt.Errorf("windash: too many dashes in %q", tokString(ts))
			}
			var next [][]tok
			for _, o := range out {
				for _, d := range dashes {
					next = append(next, append(append([]tok(nil), o...), tok{r: d}))
				}
			}
			out = next
		}
		return out, nil
	case "expand":
		return expand(ts, ph)
	}
	// The encodings work on literal bytes.
	if hasWild(ts) {
		return nil, fmt.Errorf("%s: the value %q has wildcards; encode a literal", name, tokString(ts))
	}
	s := litString(ts)
	switch name {
	case "utf16le", "wide":
		return [][]tok{literalBytes(utf16Bytes(s, false, false))}, nil
	case "utf16be":
		return [][]tok{literalBytes(utf16Bytes(s, true, false))}, nil
	case "utf16":
		return [][]tok{literalBytes(utf16Bytes(s, false, true))}, nil
	case "base64":
		return [][]tok{literal(base64.StdEncoding.EncodeToString([]byte(s)))}, nil
	case "base64offset":
		var out [][]tok
		for i := 0; i < 3; i++ {
			enc := base64.StdEncoding.EncodeToString(append([]byte(strings.Repeat(" ", i)), s...))
			start := []int{0, 2, 3}[i]
			end := len(enc) - []int{0, 3, 2}[(len(s)+i)%3]
			if start > end {
				start = end
			}
			out = append(out, literal(enc[start:end]))
		}
		return out, nil
	}
	return nil, fmt.Errorf("modifier %q: %w", name, ErrUnsupported)
}

// literalBytes makes tokens of raw bytes.
func literalBytes(b []byte) []tok {
	out := make([]tok, len(b))
	for i, c := range b {
		out[i] = tok{r: rune(c), raw: true}
	}
	return out
}

func utf16Bytes(s string, be, bom bool) []byte {
	u := utf16.Encode([]rune(s))
	var out []byte
	if bom {
		out = append(out, 0xFF, 0xFE)
	}
	for _, c := range u {
		if be {
			out = append(out, byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	return out
}

// expand replaces each %name% placeholder by each of its values.
func expand(ts []tok, ph map[string][]string) ([][]tok, error) {
	out := [][]tok{nil}
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.wild == 0 && t.r == '%' {
			j := i + 1
			for j < len(ts) && ts[j].wild == 0 && ts[j].r != '%' {
				j++
			}
			if j < len(ts) && ts[j].r == '%' && j > i+1 {
				name := litString(ts[i+1 : j])
				vals, ok := ph[name]
				if !ok {
					if ph == nil {
						return nil, fmt.Errorf("placeholder %%%s%% (expand) has no values; give them with --sigma-placeholders FILE: %w", name, ErrUnsupported)
					}
					return nil, fmt.Errorf("placeholder %%%s%% (expand) is not in the placeholders file: %w", name, ErrUnsupported)
				}
				var next [][]tok
				for _, o := range out {
					for _, pv := range vals {
						next = append(next, append(append([]tok(nil), o...), tokenize(pv)...))
					}
				}
				if len(next) > maxAlternatives {
					return nil, fmt.Errorf("placeholders expand to more than %d alternatives", maxAlternatives)
				}
				out = next
				i = j
				continue
			}
		}
		for k := range out {
			out[k] = append(out[k], t)
		}
	}
	return out, nil
}

// match reports whether the candidate c of record d matches v (d gives
// the values of a referenced field, fieldref).
func (v *value) match(c *cand, d Doc) bool {
	switch v.kind {
	case vStr:
		if c.v.Kind() == ecs.RawNull {
			return false
		}
		for i := range v.alts {
			if v.alts[i].matchCand(c) {
				return true
			}
		}
		if v.isNum && c.v.Kind() != ecs.RawString {
			if f, ok := c.v.Float(); ok {
				if g, err := strconv.ParseFloat(v.text, 64); err == nil && f == g {
					return true
				}
			}
		}
		return false
	case vRe:
		return c.v.Kind() != ecs.RawNull && v.reMay(c.text) && v.re.MatchString(c.text)
	case vCIDR:
		a, ok := ecs.ParseAddr(strings.TrimSpace(c.text))
		if !ok {
			return false
		}
		a = a.Unmap()
		for _, n := range v.nets {
			if n.Contains(a) {
				return true
			}
		}
		return false
	case vNum:
		var f float64
		if v.part != "" {
			t, ok := parseTime(c.text)
			if !ok {
				return false
			}
			f = timePart(t, v.part)
		} else {
			var ok bool
			if f, ok = c.v.Float(); !ok {
				return false
			}
		}
		switch v.op {
		case "lt":
			return f < v.num
		case "lte":
			return f <= v.num
		case "gt":
			return f > v.num
		case "gte":
			return f >= v.num
		}
		return f == v.num
	case vRef:
		if c.v.Kind() == ecs.RawNull {
			return false
		}
		s := c.text
		if !v.mods.cased {
			s = c.low()
		}
		found := false
		candidates(d, v.ref, false, func(r cand) bool {
			if r.v.Kind() == ecs.RawNull {
				return true
			}
			t := r.text
			if !v.mods.cased {
				t = r.low()
			}
			switch {
			case v.mods.contains:
				found = strings.Contains(s, t)
			case v.mods.startswith:
				found = strings.HasPrefix(s, t)
			case v.mods.endswith:
				found = strings.HasSuffix(s, t)
			default:
				found = s == t
			}
			return !found
		})
		return found
	}
	return false
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func timePart(t time.Time, part string) float64 {
	switch part {
	case "minute":
		return float64(t.Minute())
	case "hour":
		return float64(t.Hour())
	case "day":
		return float64(t.Day())
	case "week":
		_, w := t.ISOWeek()
		return float64(w)
	case "month":
		return float64(t.Month())
	}
	return float64(t.Year())
}
