package esql

import "strings"

// dissect is a compiled DISSECT pattern: a leading literal, then keys each
// followed by the literal that ends it.
type dissect struct {
	prefix string
	keys   []dissectKey
	names  []string // output columns, in order of first appearance
	sep    string   // APPEND_SEPARATOR
}

type dissectKey struct {
	name   string // "" for %{} and %{?name}: matched, not kept
	append bool   // %{+name}
	pad    bool   // %{name->}: repeated delimiters are skipped
	delim  string // the literal after the key; "" for the last key
}

// compileDissect parses a DISSECT pattern: %{name} captures up to the next
// literal, %{?name} and %{} skip, %{+name} appends with the separator,
// %{name->} skips repeated delimiters. Reference keys (* and &) are not
// supported.
func compileDissect(pattern, sep string) (*dissect, error) {
	d := &dissect{sep: sep}
	rest := pattern
	i := strings.Index(rest, "%{")
	if i < 0 {
		return nil, unsupported("DISSECT pattern %q has no key", pattern)
	}
	d.prefix, rest = rest[:i], rest[i:]
	seen := map[string]bool{}
	for rest != "" {
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return nil, unsupported("DISSECT pattern %q: unterminated key", pattern)
		}
		k := dissectKey{}
		name := rest[2:end]
		rest = rest[end+1:]
		if strings.HasSuffix(name, "->") {
			k.pad, name = true, strings.TrimSuffix(name, "->")
		}
		switch {
		case strings.HasPrefix(name, "?"):
			name = ""
		case strings.HasPrefix(name, "+"):
			k.append, name = true, name[1:]
		case strings.HasPrefix(name, "*"), strings.HasPrefix(name, "&"):
			return nil, unsupported("DISSECT reference key %%{%s}", name)
		}
		k.name = name
		if name != "" && !seen[name] {
			seen[name] = true
			d.names = append(d.names, name)
		}
		next := strings.Index(rest, "%{")
		if next < 0 {
			next = len(rest)
		}
		k.delim, rest = rest[:next], rest[next:]
		if k.delim == "" && rest != "" {
			return nil, unsupported("DISSECT pattern %q: keys without a delimiter between them", pattern)
		}
		d.keys = append(d.keys, k)
	}
	return d, nil
}

// match returns the columns for input v: all null when v is not a single
// string or the pattern does not match.
func (d *dissect) match(v any) []any {
	out := make([]any, len(d.names))
	s, ok := v.(string)
	if !ok || !strings.HasPrefix(s, d.prefix) {
		return out
	}
	vals := map[string]string{}
	pos := len(d.prefix)
	for _, k := range d.keys {
		var val string
		if k.delim == "" {
			val, pos = s[pos:], len(s)
		} else {
			j := strings.Index(s[pos:], k.delim)
			if j < 0 {
				return make([]any, len(d.names))
			}
			val = s[pos : pos+j]
			pos += j + len(k.delim)
			if k.pad {
				for strings.HasPrefix(s[pos:], k.delim) {
					pos += len(k.delim)
				}
			}
		}
		if k.name == "" {
			continue
		}
		if old, ok := vals[k.name]; ok && k.append {
			vals[k.name] = old + d.sep + val
		} else {
			vals[k.name] = val
		}
	}
	for i, n := range d.names {
		out[i] = vals[n]
	}
	return out
}
