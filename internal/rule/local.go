package rule

import (
	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Local is one goroutine's view of a Set: Match with a candidate cache of
// its own, so that concurrent scan workers share no lock and write no
// shared memory per record (a Set's cache takes a read lock on every
// call). A miss asks the Set. Not safe for concurrent use.
type Local struct {
	s     *Set
	cache map[string][]candidate // indexKey → candidates
	key   []byte                 // scratch for pairKey
}

// Local returns a new Local view of s.
func (s *Set) Local() *Local {
	return &Local{s: s, cache: map[string][]candidate{}}
}

// Match is Set.Match.
func (l *Local) Match(d query.Doc, provider, action string, dst []*Rule) []*Rule {
	for _, c := range l.candidates(knownKeys(provider, action)) {
		if c.m.Match(d) {
			dst = append(dst, c.r)
		}
	}
	return dst
}

// MatchRecord is Set.MatchRecord.
func (l *Local) MatchRecord(rec *ecs.Record, dst []*Rule) []*Rule {
	for _, c := range l.candidates(recordKeys(rec)) {
		if c.m.Match(rec) {
			dst = append(dst, c.r)
		}
	}
	return dst
}

// candidates looks k up by its indexKey, hashed once.
func (l *Local) candidates(k keys) []candidate {
	l.key = indexKey(l.key[:0], k)
	if c, ok := l.cache[string(l.key)]; ok {
		return c
	}
	c := l.s.candidates(k, l.key[len(l.key):])
	if len(l.cache) < maxCached {
		l.cache[string(l.key)] = c
	}
	return c
}
