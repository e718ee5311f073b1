package rule

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// maxCached bounds the number of (provider, action) pairs whose candidate
// lists a Set remembers; past it, candidates are computed on every call.
// CloudTrail has a few thousand distinct pairs, so the bound only guards
// against hostile input.
const maxCached = 1 << 16

// Set is an immutable collection of rules with an index of its runnable
// rules by event.provider, event.action and
// aws.cloudtrail.user_identity.type, which evaluates each predicate its
// rules share at most once per *ecs.Record (predicates.go). It is safe for
// concurrent use.
type Set struct {
	all    []*Rule
	run    []*Rule
	fields []ecs.Field
	match  []Matcher // per rule of run, its query with shared predicates (predicates.go)
	shared int       // how many predicates the rules share

	provider, action, identity index

	mu    sync.RWMutex
	cache map[string][]candidate // indexKey → candidates
}

// candidate is a rule and the query the Set evaluates for it.
type candidate struct {
	r *Rule
	m Matcher
}

// The fields a Set indexes its rules by, beside event.provider and
// event.action, and where a record holds it.
const identityField = "aws.cloudtrail.user_identity.type"

var identityPath = []string{"userIdentity", "type"}

// keys are the values of a record a Set picks candidate rules by. A value
// is known when the record holds it as one string, or not at all (""); one
// that is not known (an array, a number, an object, a path through an
// array) narrows nothing: every rule is admitted on that field, and the
// rules themselves decide, so the index never changes a verdict.
type keys struct {
	provider, action, identity                string
	providerKnown, actionKnown, identityKnown bool
}

// indexKey appends to dst a key that tells every keys apart: per value a
// byte, 0 when it is not known, else 1 and its length as a uvarint ahead of
// the string.
func indexKey(dst []byte, k keys) []byte {
	dst = appendKey(dst, k.provider, k.providerKnown)
	dst = appendKey(dst, k.action, k.actionKnown)
	return appendKey(dst, k.identity, k.identityKnown)
}

func appendKey(dst []byte, v string, known bool) []byte {
	if !known {
		return append(dst, 0)
	}
	return append(binary.AppendUvarint(append(dst, 1), uint64(len(v))), v...)
}

// NewSet builds a Set from rules, in the given order. Two runnable rules
// of one source with the same ID are an error naming both origins; rules of
// different sources may share an ID (SigmaHQ reuses some of Elastic's), and
// unsupported rules may share IDs (they never produce findings).
func NewSet(rules []*Rule) (*Set, error) {
	s := &Set{all: rules, cache: map[string][]candidate{}}
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
	s.identity = newIndex(s.run, identityField)
	s.match, s.shared = sharedMatchers(s.run)
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
func (s *Set) Match(d query.Doc, provider, action string, dst []*Rule) []*Rule {
	for _, c := range s.candidates(knownKeys(provider, action), nil) {
		if c.m.Match(d) {
			dst = append(dst, c.r)
		}
	}
	return dst
}

// CanMatch reports whether any runnable rule could match a record with this
// eventSource and eventName. When it returns false the scanner can skip the
// record without building its ECS view. Neither CanMatch nor Match keeps
// provider or action: they may be transient views of a record's bytes.
func (s *Set) CanMatch(provider, action string) bool {
	return len(s.candidates(knownKeys(provider, action), nil)) > 0
}

// MatchRecord is Match for a record, whose eventSource, eventName and
// userIdentity.type select the candidate rules.
func (s *Set) MatchRecord(rec *ecs.Record, dst []*Rule) []*Rule {
	for _, c := range s.candidates(recordKeys(rec), nil) {
		if c.m.Match(rec) {
			dst = append(dst, c.r)
		}
	}
	return dst
}

// Shared returns how many distinct predicates the runnable rules' queries
// share: each is evaluated at most once per record (see predicates.go).
func (s *Set) Shared() int { return s.shared }

// knownKeys returns the keys of a record with this eventSource and
// eventName, strings, and any identity.
func knownKeys(provider, action string) keys {
	return keys{provider: provider, action: action, providerKnown: true, actionKnown: true}
}

// recordKeys returns rec's keys: transient views of its bytes.
func recordKeys(rec *ecs.Record) keys {
	var k keys
	k.provider, k.providerKnown = rec.StrViewKnown("eventSource")
	k.action, k.actionKnown = rec.StrViewKnown("eventName")
	k.identity, k.identityKnown = rec.StrViewKnown(identityPath...)
	return k
}

// candidates returns the runnable rules whose provider, action and
// identity constraints admit k, in set order. scratch is room for the
// cache key.
func (s *Set) candidates(k keys, scratch []byte) []candidate {
	key := indexKey(scratch[:0], k)
	s.mu.RLock()
	c, ok := s.cache[string(key)]
	s.mu.RUnlock()
	if ok {
		return c
	}
	p := s.provider.lookup(k.provider, k.providerKnown, len(s.run))
	a := s.action.lookup(k.action, k.actionKnown, len(s.run))
	id := s.identity.lookup(k.identity, k.identityKnown, len(s.run))
	for i := range p {
		p[i] &= a[i] & id[i]
	}
	for w, word := range p {
		for b := 0; word != 0; b++ {
			if word&1 != 0 {
				c = append(c, candidate{s.run[w*64+b], s.match[w*64+b]})
			}
			word >>= 1
		}
	}
	s.mu.Lock()
	if len(s.cache) < maxCached {
		if _, dup := s.cache[string(key)]; !dup {
			s.cache[string(key)] = c
		}
	}
	s.mu.Unlock()
	return c
}

// index maps the values of one field to the rules that admit them, from each
// rule's query.Constraint on that field.
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
	FoldConstraint(field string) (query.Constraint, bool)
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

// lookup returns a bitset over n rules of those that admit value v; all n
// when v is not known.
func (x *index) lookup(v string, known bool, n int) []uint64 {
	bits := make([]uint64, (n+63)/64)
	if !known {
		for i := range n {
			bits[i/64] |= 1 << (i % 64)
		}
		return bits
	}
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

// rawPather is a compiled query that reads raw record paths (Sigma).
type rawPather interface {
	RawPaths() [][]string
}

// Index adds to dst the objects of the record the runnable rules read
// member by member (see ecs.IndexFields): their queries' ECS fields, their
// aggregation fields, and the raw paths their Sigma detections read. The
// scanner's splitter indexes only those (reader.DecodeOptions.Index).
func (s *Set) Index(dst ecs.Indexer) {
	fields := append([]ecs.Field(nil), s.fields...)
	for _, r := range s.run {
		if r.agg != nil {
			fields = append(fields, r.agg.fields...)
			fields = append(fields, r.agg.card...)
			for _, k := range r.agg.keys {
				fields = append(fields, k...)
			}
		}
		for _, p := range rawPaths(r.m) {
			ecs.IndexRaw(dst, p)
		}
	}
	ecs.IndexFields(dst, fields)
}

// rawPaths returns the raw paths query m reads, when it reads any.
func rawPaths(m Matcher) [][]string {
	if p, ok := m.(rawPather); ok {
		return p.RawPaths()
	}
	return nil
}
