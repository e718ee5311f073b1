package rule

import (
	"encoding/binary"

	"github.com/trailsweep/trailsweep/internal/kql"
)

// Local is one goroutine's view of a Set: Match with a candidate cache of
// its own, so that concurrent scan workers share no lock and write no
// shared memory per record (a Set's cache takes a read lock on every
// call). A miss asks the Set. Not safe for concurrent use.
type Local struct {
	s     *Set
	cache map[string][]*Rule // pairKey(provider, action) → candidates
	key   []byte             // scratch for pairKey
}

// Local returns a new Local view of s.
func (s *Set) Local() *Local {
	return &Local{s: s, cache: map[string][]*Rule{}}
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

// candidates looks the pair up by one key, hashed once: provider's length
// (a uvarint, so no two pairs share a key), provider, then action.
func (l *Local) candidates(provider, action string) []*Rule {
	l.key = append(append(binary.AppendUvarint(l.key[:0], uint64(len(provider))), provider...), action...)
	if c, ok := l.cache[string(l.key)]; ok {
		return c
	}
	c := l.s.candidates(provider, action)
	if len(l.cache) < maxCached {
		l.cache[string(l.key)] = c
	}
	return c
}
