package ecs

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/valyala/fastjson"
)

// javaHash returns Java's String.hashCode of s: h = 31*h + c over the UTF-16
// code units, in int32 arithmetic (which wraps in Go as in Java).
func javaHash(s []byte) int32 {
	var h int32
	for _, r := range string(s) {
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			h = 31*h + int32(hi)
			h = 31*h + int32(lo)
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// javaBucket returns the bucket of a key with hash h in a java.util.HashMap
// of the given capacity (a power of two): (h ^ (h >>> 16)) & (capacity-1).
func javaBucket(h int32, capacity int) int {
	spread := uint32(h) ^ (uint32(h) >> 16)
	return int(spread & uint32(capacity-1))
}

// javaCapacity returns the table size of a java.util.HashMap built with the
// default constructor after n puts: 16, doubled while n > 0.75 × capacity.
func javaCapacity(n int) int {
	c := 16
	for n > c/4*3 {
		c *= 2
	}
	return c
}

// utf16Len returns the length of s as Java's String.length() counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// appendJavaNumber appends the JSON number text raw as Java prints the value
// Elasticsearch's JSON parser makes of it: an integer (Integer, Long or
// BigInteger) as its digits, anything with a fraction or exponent as
// Double.toString. Text that is not a number is appended unchanged.
func appendJavaNumber(dst []byte, raw string) []byte {
	if !strings.ContainsAny(raw, ".eE") {
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return strconv.AppendInt(dst, n, 10)
		}
		return append(dst, raw...) // BigInteger prints its digits; JSON has no leading zeros
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil && !math.IsInf(f, 0) {
		return append(dst, raw...)
	}
	return appendJavaDouble(dst, f)
}

// appendJavaDouble appends f formatted like Java's Double.toString (JDK 19
// and later): the shortest decimal that uniquely identifies f, written as a
// plain decimal with at least one fractional digit when 10^-3 <= |f| < 10^7,
// and otherwise in computerized scientific notation (1.0E10, 1.0E-4).
func appendJavaDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// Shortest digits d1.d2d3…e±x; digits holds d1d2d3…, exp the power of ten of d1.
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	if bytes.IndexByte(e, '.') < 0 {
		// One digit is enough; Java then picks the decimal closest to f among
		// those of one or two digits that round to f (4.9E-324, not 5.0E-324).
		var tmp2 [32]byte
		two := strconv.AppendFloat(tmp2[:0], f, 'e', 1, 64)
		if g, err := strconv.ParseFloat(string(two), 64); err == nil && g == f && two[2] != '0' {
			e = append(tmp[:0], two...)
		}
	}
	epos := bytes.IndexByte(e, 'e')
	mant, expText := e[:epos], e[epos+1:]
	exp, _ := strconv.Atoi(string(expText))
	var digits []byte
	digits = append(digits, mant[0])
	if len(mant) > 2 {
		digits = append(digits, mant[2:]...)
	}
	if f >= 1e-3 && f < 1e7 {
		if exp >= 0 {
			intLen := exp + 1
			for i := 0; i < intLen; i++ {
				if i < len(digits) {
					dst = append(dst, digits[i])
				} else {
					dst = append(dst, '0')
				}
			}
			dst = append(dst, '.')
			if intLen < len(digits) {
				return append(dst, digits[intLen:]...)
			}
			return append(dst, '0')
		}
		dst = append(dst, "0."...)
		for i := 0; i < -exp-1; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[0], '.')
	if len(digits) > 1 {
		dst = append(dst, digits[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// printer writes cleaned JSON values the way Java's HashMap.toString and
// ArrayList.toString print them. Its buffers are reused between records.
type printer struct {
	buf     []byte
	scratch []byte
	entries []entry
}

// entry is one key of a map being printed; its value's text is buf[start:end].
type entry struct {
	key        []byte
	hash       int32
	start, end int
	dead       bool // the value was dropped by cleanup
}

// String returns v printed as Java would print the cleaned value, skipping
// the top-level key skip when it is not empty. ok is false when cleanup drops
// v entirely; a map left empty only by the skipped key prints as "{}".
func (p *printer) String(v *fastjson.Value, skip string) (s string, ok bool) {
	p.buf = p.buf[:0]
	p.entries = p.entries[:0]
	if v.Type() == fastjson.TypeObject {
		o, _ := v.Object()
		if !p.object(o, skip) {
			if skip == "" || dropped(v) {
				return "", false
			}
			return "{}", true
		}
		return string(p.buf), true
	}
	if !p.value(v) {
		return "", false
	}
	return string(p.buf), true
}

// value appends v's text to p.buf and reports whether v survived cleanup;
// when it did not, p.buf is left as it was.
func (p *printer) value(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeString:
		sb := v.GetStringBytes()
		if emptyString(sb) {
			return false
		}
		p.buf = append(p.buf, sb...)
	case fastjson.TypeNumber:
		p.buf = appendJavaNumber(p.buf, numberText(v))
	case fastjson.TypeTrue:
		p.buf = append(p.buf, "true"...)
	case fastjson.TypeFalse:
		p.buf = append(p.buf, "false"...)
	case fastjson.TypeArray:
		start := len(p.buf)
		p.buf = append(p.buf, '[')
		n := 0
		for _, e := range v.GetArray() {
			mark := len(p.buf)
			if n > 0 {
				p.buf = append(p.buf, ", "...)
			}
			if !p.value(e) {
				p.buf = p.buf[:mark]
				continue
			}
			n++
		}
		if n == 0 {
			p.buf = p.buf[:start]
			return false
		}
		p.buf = append(p.buf, ']')
	case fastjson.TypeObject:
		o, _ := v.Object()
		return p.object(o, "")
	default: // null
		return false
	}
	return true
}

// object appends o as a java.util.HashMap prints it: keys left after cleanup
// in bucket order, insertion (JSON) order within a bucket. The capacity is
// the one the raw keys' puts gave, before cleanup (and the move of skip)
// removed any: a HashMap never shrinks. A repeated key keeps its first
// position and takes its last value, as Map.put does.
func (p *printer) object(o *fastjson.Object, skip string) bool {
	start := len(p.buf)
	base := len(p.entries)
	skipped := 0             // 1 when the key skip is in o
	var index map[string]int // key → entry, only for large maps
	o.Visit(func(k []byte, c *fastjson.Value) {
		if skip != "" && string(k) == skip {
			skipped = 1
			return
		}
		vs := len(p.buf)
		ok := p.value(c)
		e := entry{key: k, start: vs, end: len(p.buf), dead: !ok}
		if j := p.find(base, k, index); j >= 0 {
			p.entries[j].start, p.entries[j].end, p.entries[j].dead = e.start, e.end, e.dead
			return
		}
		e.hash = javaHash(k)
		p.entries = append(p.entries, e)
		if n := len(p.entries) - base; n > 32 {
			if index == nil {
				index = make(map[string]int, 2*n)
				for i := base; i < len(p.entries)-1; i++ {
					index[string(p.entries[i].key)] = i
				}
			}
			index[string(k)] = len(p.entries) - 1
		}
	})
	live := p.entries[base:base]
	for _, e := range p.entries[base:] {
		if !e.dead {
			live = append(live, e)
		}
	}
	if len(live) == 0 {
		p.buf = p.buf[:start]
		p.entries = p.entries[:base]
		return false
	}
	capacity := javaCapacity(len(p.entries) - base + skipped)
	slices.SortStableFunc(live, func(a, b entry) int {
		return javaBucket(a.hash, capacity) - javaBucket(b.hash, capacity)
	})
	p.scratch = append(p.scratch[:0], p.buf[start:]...)
	p.buf = append(p.buf[:start], '{')
	for i, e := range live {
		if i > 0 {
			p.buf = append(p.buf, ", "...)
		}
		p.buf = append(p.buf, e.key...)
		p.buf = append(p.buf, '=')
		p.buf = append(p.buf, p.scratch[e.start-start:e.end-start]...)
	}
	p.buf = append(p.buf, '}')
	p.entries = p.entries[:base]
	return true
}

// find returns the index of the entry for key k among p.entries[base:], or -1.
func (p *printer) find(base int, k []byte, index map[string]int) int {
	if index != nil {
		if j, ok := index[string(k)]; ok {
			return j
		}
		return -1
	}
	for j := base; j < len(p.entries); j++ {
		if bytes.Equal(p.entries[j].key, k) {
			return j
		}
	}
	return -1
}
