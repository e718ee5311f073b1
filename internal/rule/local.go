package rule

import (
	"strings"

	"github.com/trailsweep/trailsweep/internal/kql"
)

// Local is one goroutine's view of a Set: Match with a candidate cache of
// its own, so that concurrent scan workers share no lock and write no
// shared memory per record (a Set's cache takes a read lock on every
// call). A miss asks the Set. Not safe for concurrent use.
type Local struct {
	s      *Set
	cache  map[string]map[string][]*Rule // provider → action → candidates
	cached int
}

// Local returns a new Local view of s.
func (s *Set) Local() *Local {
	return &Local{s: s, cache: map[string]map[string][]*Rule{}}
}

// Match is Set.Match.
func (l *Local) Match(d kql.Doc, provider, action string, dst []*Rule) []*Rule {
	for _, r := range l.candidates(provider, action) {
		if r.m.Match(d) {
			dst = append(dst, r)
		}
	}
	return dst
}

func (l *Local) candidates(provider, action string) []*Rule {
	if c, ok := l.cache[provider][action]; ok {
		return c
	}
	c := l.s.candidates(provider, action)
	if l.cached < maxCached {
		m := l.cache[provider]
		if m == nil {
			m = map[string][]*Rule{}
			l.cache[strings.Clone(provider)] = m // callers may pass transient strings
		}
		m[strings.Clone(action)] = c
		l.cached++
	}
	return c
}
