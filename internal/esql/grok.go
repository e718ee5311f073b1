package esql

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// grokPatterns are the patterns of Elasticsearch's standard grok set that
// a GROK may name, rewritten for RE2 (no look-around or atomic groups).
var grokPatterns = map[string]string{
	"USERNAME":   `[a-zA-Z0-9._-]+`,
	"USER":       `%{USERNAME}`,
	"INT":        `(?:[+-]?(?:[0-9]+))`,
	"BASE10NUM":  `(?:[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))`,
	"NUMBER":     `(?:%{BASE10NUM})`,
	"POSINT":     `\b(?:[1-9][0-9]*)\b`,
	"NONNEGINT":  `\b(?:[0-9]+)\b`,
	"WORD":       `\b\w+\b`,
	"NOTSPACE":   `\S+`,
	"SPACE":      `\s*`,
	"DATA":       `.*?`,
	"GREEDYDATA": `.*`,
	"UUID":       `[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}`,
	"IPV4":       `(?:(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})[.](?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})[.](?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})[.](?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2}))`,
}

// grok is a compiled GROK pattern: a Go regexp whose groups g0, g1…
// capture the columns names[i], converted to types[i] ("", "int",
// "long", "float", "double").
type grok struct {
	re    *regexp.Regexp
	names []string
	types []string
	lits  []string // every match contains these (requiredLiterals)
}

var (
	grokRef   = regexp.MustCompile(`%\{(\w+)(?::([^:}]+))?(?::(\w+))?\}`)
	namedOnig = regexp.MustCompile(`\(\?<([^>]+)>`)
)

// compileGrok turns a GROK pattern into a regexp: %{NAME:column[:type]}
// expands NAME from grokPatterns; (?<column>…) is a named group.
func compileGrok(pattern string) (*grok, error) {
	g := &grok{}
	var expand func(p string, depth int) (string, error)
	expand = func(p string, depth int) (string, error) {
		if depth > 10 {
			return "", unsupported("GROK pattern %q nests too deeply", pattern)
		}
		var err error
		out := grokRef.ReplaceAllStringFunc(p, func(m string) string {
			sub := grokRef.FindStringSubmatch(m)
			def, ok := grokPatterns[sub[1]]
			if !ok {
				err = unsupported("GROK pattern %%{%s}", sub[1])
				return ""
			}
			body, e := expand(def, depth+1)
			if e != nil {
				err = e
				return ""
			}
			if sub[2] == "" {
				return "(?:" + body + ")"
			}
			g.names = append(g.names, sub[2])
			g.types = append(g.types, sub[3])
			return "(?P<g" + strconv.Itoa(len(g.names)-1) + ">" + body + ")"
		})
		return out, err
	}
	// Named groups first: the expansion of %{…} introduces none.
	p := namedOnig.ReplaceAllStringFunc(pattern, func(m string) string {
		name := namedOnig.FindStringSubmatch(m)[1]
		g.names = append(g.names, name)
		g.types = append(g.types, "")
		return "(?P<g" + strconv.Itoa(len(g.names)-1) + ">"
	})
	p, err := expand(p, 0)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, unsupported("GROK pattern %q: %v", pattern, err)
	}
	g.re = re
	g.lits = requiredLiterals(p)
	return g, nil
}

// requiredLiterals returns strings that every match of regexp p contains:
// the case-sensitive literals of its top-level concatenation. A GROK
// pattern such as .*accessKeyId=(?<k>AKIA…).* rarely finds its literal, and
// looking for it first spares most inputs the backtracking of the leading .*.
func requiredLiterals(p string) []string {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	var out []string
	for _, sub := range subs {
		if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0 && len(sub.Rune) > 0 {
			out = append(out, string(sub.Rune))
		}
	}
	return out
}

// match returns the captured columns for input v; nil (every column null)
// when v is not a single string or the pattern does not match.
func (g *grok) match(v any) []any {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	for _, l := range g.lits {
		if !strings.Contains(s, l) {
			return nil
		}
	}
	m := g.re.FindStringSubmatchIndex(s)
	if m == nil {
		return nil
	}
	out := make([]any, len(g.names))
	for i, n := range g.re.SubexpNames() {
		if !strings.HasPrefix(n, "g") || m[2*i] < 0 {
			continue
		}
		j, err := strconv.Atoi(n[1:])
		if err != nil || j >= len(out) {
			continue
		}
		text := s[m[2*i]:m[2*i+1]]
		switch g.types[j] {
		case "int", "long":
			if n, err := strconv.ParseInt(text, 10, 64); err == nil {
				out[j] = n
			}
		case "float", "double":
			if f, err := strconv.ParseFloat(text, 64); err == nil {
				out[j] = f
			}
		default:
			out[j] = text
		}
	}
	return out
}
