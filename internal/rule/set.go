package rule

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/kql"
)

// maxCached bounds the number of (provider, action) pairs whose candidate
// lists a Set remembers; past it, candidates are computed on every call.
// CloudTrail has a few thousand distinct pairs, so the bound only guards
// against hostile input.
const maxCached = 1 << 16

// Set is an immutable collection of rules with an index of its runnable
// rules by event.provider and event.action. It is safe for concurrent use.
type Set struct {
	all    []*Rule
	run    []*Rule
	fields []ecs.Field

	provider, action index

	mu     sync.RWMutex
	cache  map[string]map[string][]*Rule // provider → action → candidates
	cached int
}

// NewSet builds a Set from rules, in the given order. Two runnable rules
// of one source with the same ID are an error naming both origins; rules of
// different sources may share an ID (SigmaHQ reuses some of Elastic's), and
// unsupported rules may share IDs (they never produce findings).
func NewSet(rules []*Rule) (*Set, error) {
	s := &Set{all: rules, cache: map[string]map[string][]*Rule{}}
	byID := map[string]*Rule{}
	seen := map[string]bool{}
	for _, r := range rules {
		if r == nil {
			return nil, fmt.Errorf("rule set: nil rule")
		}
		if !r.Runnable() {
			continue
		}
		if prev, ok := byID[r.Key()]; ok {
			return nil, fmt.Errorf("duplicate rule id %s: %s and %s", r.ID, origin(prev), origin(r))
		}
		byID[r.Key()] = r
		s.run = append(s.run, r)
		for _, f := range r.Fields() {
			if !seen[f.Name] {
				seen[f.Name] = true
				s.fields = append(s.fields, f)
			}
		}
	}
	sort.Slice(s.fields, func(i, j int) bool { return s.fields[i].Name < s.fields[j].Name })
	s.provider = newIndex(s.run, "event.provider")
	s.action = newIndex(s.run, "event.action")
	return s, nil
}

// origin names where r came from in error messages.
func origin(r *Rule) string {
	if r.Path != "" {
		return r.Path
	}
	return r.Source + " rule " + r.ID
}

// All returns every rule of the set, runnable or not, in the order given to
// NewSet. The caller must not modify the slice.
func (s *Set) All() []*Rule { return s.all }

// Runnable returns the rules the scanner evaluates, in the order given to
// NewSet. The caller must not modify the slice.
func (s *Set) Runnable() []*Rule { return s.run }

// Fields returns the union of the fields the runnable rules read, sorted by
// name. The caller must not modify the slice.
func (s *Set) Fields() []ecs.Field { return s.fields }

// Match appends to dst every runnable rule that matches d, in set order, and
// returns the extended slice. provider and action must be d's event.provider
// and event.action (the record's eventSource and eventName; "" when absent):
// they select the candidate rules, so a rule whose query pins either field
// to other values is never evaluated. The result is the same as evaluating
// every runnable rule.
func (s *Set) Match(d kql.Doc, provider, action string, dst []*Rule) []*Rule {
	for _, r := range s.candidates(provider, action) {
		if r.m.Match(d) {
			dst = append(dst, r)
		}
	}
	return dst
}

// CanMatch reports whether any runnable rule could match a record with this
// eventSource and eventName. When it returns false the scanner can skip the
// record without building its ECS view. Neither CanMatch nor Match keeps
// provider or action: they may be transient views of a record's bytes.
func (s *Set) CanMatch(provider, action string) bool {
	return len(s.candidates(provider, action)) > 0
}

// candidates returns the runnable rules whose provider and action
// constraints admit provider and action, in set order.
func (s *Set) candidates(provider, action string) []*Rule {
	s.mu.RLock()
	c, ok := s.cache[provider][action]
	s.mu.RUnlock()
	if ok {
		return c
	}
	p := s.provider.lookup(provider, len(s.run))
	a := s.action.lookup(action, len(s.run))
	for i := range p {
		p[i] &= a[i]
	}
	for w, word := range p {
		for b := 0; word != 0; b++ {
			if word&1 != 0 {
				c = append(c, s.run[w*64+b])
			}
			word >>= 1
		}
	}
	s.mu.Lock()
	if s.cached < maxCached {
		m := s.cache[provider]
		if m == nil {
			m = map[string][]*Rule{}
			s.cache[strings.Clone(provider)] = m // callers may pass transient strings
		}
		if _, dup := m[action]; !dup {
			m[strings.Clone(action)] = c
			s.cached++
		}
	}
	s.mu.Unlock()
	return c
}

// index maps the values of one field to the rules that admit them, from each
// rule's kql Constraint on that field.
type index struct {
	free     []int            // rules without a constraint on the field
	exact    map[string][]int // value → rules requiring exactly it
	prefix   map[string][]int // prefix → rules requiring a value starting with it
	prefixNs []int            // distinct prefix lengths, ascending

	// The same for rules that compare case-insensitively (FoldConstrainer),
	// keyed by strings.ToLower of the value; nil when there are none.
	foldExact, foldPrefix map[string][]int
}

// FoldConstrainer is implemented by a Matcher whose string comparisons are
// case-insensitive (Sigma). FoldConstraint has Constraint's contract except
// that a matching document's value equals (or starts with) a listed value
// after strings.ToLower of both; the Set then uses it instead of Constraint.
type FoldConstrainer interface {
	FoldConstraint(field string) (kql.Constraint, bool)
}

func newIndex(rules []*Rule, field string) index {
	x := index{exact: map[string][]int{}, prefix: map[string][]int{}}
	lens := map[int]bool{}
	for i, r := range rules {
		exact, prefix, fold := x.exact, x.prefix, false
		c, ok := r.m.Constraint(field)
		if fc, isFold := r.m.(FoldConstrainer); isFold {
			c, ok = fc.FoldConstraint(field)
			if x.foldExact == nil {
				x.foldExact, x.foldPrefix = map[string][]int{}, map[string][]int{}
			}
			exact, prefix, fold = x.foldExact, x.foldPrefix, true
		}
		if !ok {
			x.free = append(x.free, i)
			continue
		}
		for _, v := range c.Exact {
			if fold {
				v = strings.ToLower(v)
			}
			exact[v] = append(exact[v], i)
		}
		for _, p := range c.Prefixes {
			if fold {
				p = strings.ToLower(p)
			}
			prefix[p] = append(prefix[p], i)
			lens[len(p)] = true
		}
	}
	for n := range lens {
		x.prefixNs = append(x.prefixNs, n)
	}
	sort.Ints(x.prefixNs)
	return x
}

// lookup returns a bitset over n rules of those that admit value v.
func (x *index) lookup(v string, n int) []uint64 {
	bits := make([]uint64, (n+63)/64)
	set := func(ids []int) {
		for _, i := range ids {
			bits[i/64] |= 1 << (i % 64)
		}
	}
	set(x.free)
	set(x.exact[v])
	for _, l := range x.prefixNs {
		if l > len(v) {
			break
		}
		set(x.prefix[v[:l]])
	}
	if x.foldExact != nil {
		lv := strings.ToLower(v)
		set(x.foldExact[lv])
		for _, l := range x.prefixNs {
			if l > len(lv) {
				break
			}
			set(x.foldPrefix[lv[:l]])
		}
	}
	return bits
}

// Overlay returns the rules of top followed by the rules of base whose ID no
// rule of top has: a rule file given by the user replaces the built-in rule
// with the same ID (the seed rule ships both ways) instead of colliding with
// it in NewSet.
func Overlay(base, top []*Rule) []*Rule {
	ids := make(map[string]bool, len(top))
	for _, r := range top {
		ids[r.ID] = true
	}
	out := append([]*Rule(nil), top...)
	for _, r := range base {
		if !ids[r.ID] {
			out = append(out, r)
		}
	}
	return out
}
