package rule

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/eql"
	"github.com/trailsweep/trailsweep/internal/esql"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Aggregate rule kinds.
const (
	aggNewTerms  = "new_terms"
	aggThreshold = "threshold"
	aggSequence  = "sequence"
)

// aggSpec is what an aggregate rule (new_terms, threshold, EQL sequence)
// needs beyond its selecting query.
type aggSpec struct {
	kind   string
	fields []ecs.Field // new_terms fields, threshold group fields, sequence join keys

	window time.Duration // new_terms history window; threshold window span
	step   time.Duration // threshold: windows start every step
	value  int           // threshold count
	card   []ecs.Field   // threshold cardinality fields
	cardN  []int

	steps   []*eql.Matcher // sequence steps
	keys    [][]ecs.Field  // sequence: join keys of each step (sequence by + step by)
	maxspan time.Duration  // sequence: 0 = unbounded

	esql *esql.Program // ES|QL: the compiled query; window and step are from and interval
}

// nkeys is the number of group key values of the rule's events.
func (a *aggSpec) nkeys() int {
	switch a.kind {
	case aggSequence:
		return len(a.keys[0])
	case aggESQL:
		return a.esql.Keys()
	}
	return len(a.fields)
}

// Aggregate reports whether the rule needs state across records (new_terms,
// threshold, EQL sequence): its query only selects events, which the scanner
// hands to an Aggregator instead of reporting them.
func (r *Rule) Aggregate() bool { return r.agg != nil }

// orMatcher selects the records that match any step of a sequence.
type orMatcher struct {
	steps  []*eql.Matcher
	fields []ecs.Field
}

func (m *orMatcher) Match(d query.Doc) bool {
	for _, s := range m.steps {
		if s.Match(d) {
			return true
		}
	}
	return false
}

func (m *orMatcher) Fields() []ecs.Field { return m.fields }

// Constraint of any step: query.Or of the steps' constraints.
func (m *orMatcher) Constraint(field string) (query.Constraint, bool) {
	return query.Or(m.steps, func(s *eql.Matcher) (query.Constraint, bool) { return s.Constraint(field) })
}

// compileEQL compiles an EQL rule: an event query becomes r.m; a sequence
// becomes r.m (any step) plus r.agg. A syntax error is one of syntaxError; an
// unsupported construct (a function trailsweep lacks) leaves the rule
// unsupported with the reason in r.Reason, returned as a plain error.
func compileEQL(r *Rule) (syntax error, unsupported error) {
	q, err := eql.Parse(r.Query)
	if err != nil {
		return syntaxError(err), nil
	}
	if q.Event != nil {
		m, err := eql.Compile(q.Event, r.EventCategoryOverride)
		if err != nil {
			return nil, err
		}
		r.m = m
		return nil, nil
	}
	s := q.Sequence
	spec := &aggSpec{kind: aggSequence, maxspan: s.MaxSpan}
	om := &orMatcher{}
	seen := map[string]bool{}
	for _, st := range s.Steps {
		m, err := eql.Compile(st.Query, r.EventCategoryOverride)
		if err != nil {
			return nil, err
		}
		spec.steps = append(spec.steps, m)
		var keys []ecs.Field
		for _, name := range append(append([]string(nil), s.By...), st.By...) {
			keys = append(keys, ecs.Lookup(name))
		}
		if len(spec.keys) > 0 && len(keys) != len(spec.keys[0]) {
			return nil, fmt.Errorf("sequence steps join on different numbers of keys")
		}
		spec.keys = append(spec.keys, keys)
		for _, f := range append(m.Fields(), keys...) {
			if !seen[f.Name] {
				seen[f.Name] = true
				om.fields = append(om.fields, f)
			}
		}
	}
	om.steps = spec.steps
	r.m, r.agg = om, spec
	return nil, nil
}

// prepareAggregate builds r.agg for new_terms and threshold rules. It
// returns why the rule cannot run, "" when it can.
func prepareAggregate(r *Rule) string {
	switch r.Type {
	case "new_terms":
		if len(r.NewTermsFields) == 0 {
			return "new_terms rule without new_terms.value fields"
		}
		w, err := relativeSpan(r.HistoryWindowStart)
		if err != nil {
			return fmt.Sprintf("new_terms history_window_start %q: %v", r.HistoryWindowStart, err)
		}
		spec := &aggSpec{kind: aggNewTerms, window: w}
		for _, f := range r.NewTermsFields {
			spec.fields = append(spec.fields, ecs.Lookup(f))
		}
		r.agg = spec
	case "threshold":
		if r.Threshold == nil || r.Threshold.Value < 1 {
			return "threshold rule without a threshold.value of at least 1"
		}
		span, err := relativeSpan(orDefault(r.From, "now-6m"))
		if err != nil {
			return fmt.Sprintf("threshold rule from %q: %v", r.From, err)
		}
		step, err := eql.ParseDuration(orDefault(r.Interval, "5m"))
		if err != nil {
			return fmt.Sprintf("threshold rule interval %q: %v", r.Interval, err)
		}
		spec := &aggSpec{kind: aggThreshold, window: span, step: step, value: r.Threshold.Value}
		for _, f := range r.Threshold.Fields {
			spec.fields = append(spec.fields, ecs.Lookup(f))
		}
		for _, c := range r.Threshold.Cardinality {
			spec.card = append(spec.card, ecs.Lookup(c.Field))
			spec.cardN = append(spec.cardN, c.Value)
		}
		r.agg = spec
	}
	return ""
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// relativeSpan turns Elastic date math "now-7d" into 7 days.
func relativeSpan(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "now-")
	if !ok {
		return 0, fmt.Errorf("want now-N with a unit s, m, h or d")
	}
	return eql.ParseDuration(rest)
}

// Event is what a scan worker hands the Aggregator for one record that an
// aggregate rule's query selected: the record's time and place, the values
// it groups on, and the caller's payload (what the event becomes when
// decided: its finding). History events (read only to build new_terms
// history) are never decided.
type Event struct {
	Rule    *Rule
	Time    time.Time
	Key     []string // new_terms term combination; threshold group; sequence join key
	Card    []string // threshold: one value per cardinality field ("" when absent)
	Steps   uint64   // sequence: bit i set when the record matches step i
	History bool
	Source  string // where the record was read (its object): orders events at one instant
	Index   int64  // the record's position in Source
	ID      string // sequences: the record's event id, listed in the decision's details
	Payload []byte // opaque to the rule engine; nil for an event that cannot be decided
}

// combos appends ev once per combination of the values of fields.
func combos(d query.Doc, fields []ecs.Field, ev Event, dst []Event) []Event {
	// The usual case, every field with one value: one combination, one
	// allocation.
	if len(fields) <= 4 {
		var one [4]string
		single := true
		for i, f := range fields {
			vs := d.Values(f)
			if len(vs) == 0 {
				return dst
			}
			if len(vs) > 1 {
				single = false
				break
			}
			one[i] = valueText(vs[0]) // a view until cloned below
		}
		if single {
			ev.Key = cloneAll(one[:len(fields)])
			return append(dst, ev)
		}
	}
	vals := make([][]string, len(fields))
	for i, f := range fields {
		for _, v := range d.Values(f) {
			vals[i] = appendUnique(vals[i], valueText(v))
		}
		if len(vals[i]) == 0 {
			return dst
		}
	}
	key := make([]string, len(fields))
	var rec func(i int)
	rec = func(i int) {
		if i == len(fields) {
			e := ev
			e.Key = cloneAll(key)
			dst = append(dst, e)
			return
		}
		for _, v := range vals[i] {
			key[i] = v
			rec(i + 1)
		}
	}
	rec(0)
	return dst
}

func appendUnique(list []string, s string) []string {
	for _, t := range list {
		if t == s {
			return list
		}
	}
	return append(list, s)
}

// cloneAll returns a new slice of copies of ss: values handed out by a
// Record share its bytes only until the next Reset, and events outlive it.
func cloneAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.Clone(s)
	}
	return out
}

// valueText returns the text of v, a view of the record's bytes for strings:
// copy it before keeping it.
func valueText(v ecs.Value) string {
	if v.Kind == ecs.KindNumber && v.S == "" {
		return fmt.Sprint(v.N)
	}
	if v.Kind == ecs.KindBool {
		return fmt.Sprint(v.B)
	}
	return v.S
}

// HistoryWindow returns a runnable new_terms rule's history window (from
// history_window_start), and 0 for any other rule.
func (r *Rule) HistoryWindow() time.Duration {
	if r.agg != nil && r.agg.kind == aggNewTerms {
		return r.agg.window
	}
	return 0
}

// CannotFire returns the new_terms rules of rules that can report nothing
// when the only history is the scanned span itself: an event is judged only
// once a whole history window lies before it (see Aggregator), so a rule
// whose window is at least span (the time from the span's start to its
// exclusive end) never judges one. --history gives them the history they
// need.
func CannotFire(rules []*Rule, span time.Duration) []*Rule {
	var out []*Rule
	for _, r := range rules {
		if w := r.HistoryWindow(); w > 0 && w >= span {
			out = append(out, r)
		}
	}
	return out
}
