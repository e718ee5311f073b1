package report

import (
	"strings"
	"unicode/utf8"
)

// Clean returns s made safe to print on a terminal: every byte or rune that
// could move the cursor, change colours, set the window title, open a
// hyperlink or otherwise be interpreted by the terminal is replaced by a
// visible escape, and printable text, including non-ASCII letters and
// emoji, is left as it is.
//
// Replaced are: C0 controls and DEL (\t, \n, \r as such, others as \xHH, so
// ESC becomes \x1b and the rest of an ANSI or OSC sequence is inert text),
// C1 controls (U+0080–U+009F, including the one-rune CSI U+009B) and the
// Unicode bidirectional and line/paragraph separator controls (U+2028,
// U+2029, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, U+061C) as \uHHHH,
// and each byte of invalid UTF-8 as \xHH. Backslashes are not escaped, so
// the result is for display, not for parsing back.
func Clean(s string) string {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			default:
				writeHexByte(&b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			writeHexByte(&b, c)
		case unsafeRune(r):
			b.WriteString(`\u`)
			b.WriteByte(hexDigits[r>>12&0xf])
			b.WriteByte(hexDigits[r>>8&0xf])
			b.WriteByte(hexDigits[r>>4&0xf])
			b.WriteByte(hexDigits[r&0xf])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"

// writeHexByte writes c as \xHH.
func writeHexByte(b *strings.Builder, c byte) {
	b.WriteString(`\x`)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&0xf])
}

// unsafeRune reports whether r is a non-ASCII rune a terminal may act on or
// that can make displayed text read differently from its bytes.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	}
	return false
}
