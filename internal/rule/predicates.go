package rule

import (
	"sync"

	"github.com/trailsweep/trailsweep/internal/eql"
	"github.com/trailsweep/trailsweep/internal/kql"
	"github.com/trailsweep/trailsweep/internal/sigma"
)

// Shared predicates. Rules test many of the same things (event.provider,
// event.action, event.outcome, the identity type, an error code present),
// and a record that is a candidate for several rules would have each of
// them tested once per rule. A Set therefore names every leaf predicate of
// its rules' queries by its meaning (field, operation, values: the
// languages' LeafKeys, with KQL's `field: "s"` and EQL's `field == "s"`
// sharing a key), and gives each predicate that occurs more than once an
// id. The Set evaluates copies of the queries whose shared leaves note
// their outcome on the record (ecs.Record.Memo, a slot per id that a reset
// invalidates, so no allocation per record) and read it back: each shared
// predicate is evaluated at most once per record, lazily, only when a rule
// reaches it. A predicate used once keeps its plain evaluation: the memo
// would only add its lookup.
//
// Ids are interned process-wide (predIDs), not per Set: a Record may be
// evaluated by several Sets (an --exclude query, the rules) within one
// reset, and one id must mean one predicate for all of them.

// predIDs interns predicate keys to ids for the life of the process.
var predIDs struct {
	sync.Mutex
	m map[string]int32
}

// predID returns the id of the predicate named key, interning it.
func predID(key string) int32 {
	predIDs.Lock()
	defer predIDs.Unlock()
	if predIDs.m == nil {
		predIDs.m = map[string]int32{}
	}
	id, ok := predIDs.m[key]
	if !ok {
		id = int32(len(predIDs.m))
		predIDs.m[key] = id
	}
	return id
}

// leafKeyer is a compiled query that names its leaf predicates.
type leafKeyer interface {
	LeafKeys() []string
}

var (
	_ leafKeyer = (*kql.Matcher)(nil)
	_ leafKeyer = (*eql.Matcher)(nil)
	_ leafKeyer = (*sigma.Detection)(nil)
)

// shareMatcher returns m with its leaves that id maps shared (see the
// languages' Share), or m itself when it has no shared leaf or is of
// another kind.
func shareMatcher(m Matcher, id func(string) (int32, bool)) Matcher {
	switch m := m.(type) {
	case *kql.Matcher:
		return m.Share(id)
	case *eql.Matcher:
		return m.Share(id)
	case *sigma.Detection:
		return m.Share(id)
	case *orMatcher:
		steps := make([]*eql.Matcher, len(m.steps))
		for i, s := range m.steps {
			steps[i] = s.Share(id)
		}
		return &orMatcher{steps: steps, fields: m.fields}
	}
	return m
}

// leafKeys returns the leaf keys of m, nil for a kind that has none.
func leafKeys(m Matcher) []string {
	switch m := m.(type) {
	case leafKeyer:
		return m.LeafKeys()
	case *orMatcher:
		var keys []string
		for _, s := range m.steps {
			keys = append(keys, s.LeafKeys()...)
		}
		return keys
	}
	return nil
}

// sharedMatchers returns, for each rule, its matcher evaluating the
// predicates that occur more than once among the rules' queries through
// the record's memo, and the number of such predicates.
func sharedMatchers(rules []*Rule) ([]Matcher, int) {
	count := map[string]int{}
	for _, r := range rules {
		for _, k := range leafKeys(r.m) {
			count[k]++
		}
	}
	ids := map[string]int32{}
	for k, n := range count {
		if n > 1 {
			ids[k] = predID(k)
		}
	}
	id := func(k string) (int32, bool) {
		n, ok := ids[k]
		return n, ok
	}
	out := make([]Matcher, len(rules))
	for i, r := range rules {
		out[i] = r.m
		if len(ids) > 0 {
			out[i] = shareMatcher(r.m, id)
		}
	}
	return out, len(ids)
}
