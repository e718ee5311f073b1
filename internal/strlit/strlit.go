// Package strlit prints string literals for the query languages trailsweep
// parses (KQL, EQL), whose double-quoted strings share their escapes.
package strlit

import "strings"

// Quote returns s double-quoted, with `"` and `\` backslash-escaped and tab,
// CR and LF written as \t, \r and \n; every other byte is kept as is. Both
// KQL's and EQL's lexers read the result back to s.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
