package esql

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// aggFuncs are the aggregate functions STATS evaluates.
var aggFuncs = map[string]bool{
	"COUNT": true, "COUNT_DISTINCT": true, "VALUES": true, "MIN": true, "MAX": true, "SUM": true,
}

// statsPlan is a compiled STATS: its aggregates, each a function of one
// argument with an optional filter, and its groups.
type statsPlan struct {
	aggs []aggPlan
	by   []byPlan
	// guard lists the aggregates the WHERE right after STATS reads, when
	// that WHERE reads nothing but them and the BY columns; guarded says
	// there is such a WHERE (see Program.Dropped).
	guard   []int
	guarded bool
	// fns are the distinct expressions (by their text) of the aggregates'
	// arguments and filters: a row evaluates each once however many
	// aggregates share it.
	fns []evalFn
}

type aggPlan struct {
	name   string
	fn     string // COUNT, COUNT_DISTINCT, VALUES, MIN, MAX, SUM
	star   bool   // COUNT(*)
	arg    int    // index in statsPlan.fns; -1: none
	filter int    // index in statsPlan.fns; -1: every row
}

type byPlan struct {
	name string
	f    evalFn
}

func (c *compiler) stats(x *Stats) (*statsPlan, error) {
	s := &statsPlan{}
	seen := map[string]int{}
	fn := func(e Expr) (int, error) {
		if i, ok := seen[e.String()]; ok {
			return i, nil
		}
		f, err := c.expr(e)
		if err != nil {
			return 0, err
		}
		seen[e.String()] = len(s.fns)
		s.fns = append(s.fns, f)
		return len(s.fns) - 1, nil
	}
	for _, a := range x.Aggs {
		call, ok := a.Expr.(*Call)
		if !ok || !aggFuncs[call.Name] {
			return nil, unsupported("STATS %s: only an aggregate function call (COUNT, COUNT_DISTINCT, VALUES, MIN, MAX, SUM) per column", a.Expr)
		}
		ap := aggPlan{name: Assign{a.Name, a.Expr}.name(), fn: call.Name, star: call.Star, arg: -1, filter: -1}
		switch {
		case call.Star && call.Name != "COUNT":
			return nil, unsupported("%s(*)", call.Name)
		case call.Star:
		case call.Name == "COUNT" && len(call.Args) == 0:
			ap.star = true
		case len(call.Args) != 1:
			return nil, unsupported("%s with %d arguments", call.Name, len(call.Args))
		default:
			i, err := fn(call.Args[0])
			if err != nil {
				return nil, err
			}
			ap.arg = i
		}
		if a.Filter != nil {
			i, err := fn(a.Filter)
			if err != nil {
				return nil, err
			}
			ap.filter = i
		}
		s.aggs = append(s.aggs, ap)
	}
	for _, b := range x.By {
		f, err := c.expr(b.Expr)
		if err != nil {
			return nil, err
		}
		s.by = append(s.by, byPlan{name: b.name(), f: f})
	}
	// After STATS only its columns exist.
	c.names = map[string]bool{}
	for _, a := range s.aggs {
		c.names[a.name] = true
	}
	for _, b := range s.by {
		c.names[b.name] = true
	}
	c.afterStats = true
	return s, nil
}

func (a Assign) name() string { return colName(a) }

// skipped marks an aggregate input whose row its WHERE filter excluded.
type skippedT struct{}

var skipped any = skippedT{}

// isSkipped reports whether v is skipped, by its type only.
func isSkipped(v any) bool { _, ok := v.(skippedT); return ok }

// Input is what one row gives a STATS: its group key values (a
// multi-valued key puts the row in one group per value) and, per
// aggregate, the argument's value (nil for COUNT(*), skipped when the
// aggregate's filter excludes the row).
type Input struct {
	Keys []any
	Args []any
}

// inputBuf is the storage of the STATS inputs of a record's rows, reused
// record after record (prefixScratch): Input's slices then stay valid
// until the next row's input.
type inputBuf struct {
	keys, args []any
	vals       []any // the values of statsPlan.fns
	done       []bool
}

// input returns what row r gives the STATS, in b's storage when b is not
// nil (newly allocated otherwise: a group may then keep the keys).
func (s *statsPlan) input(r *Row, b *inputBuf) Input {
	if b == nil {
		b = &inputBuf{}
	}
	keys := resize(b.keys, len(s.by))
	for i, p := range s.by {
		keys[i] = p.f(r)
	}
	args := resize(b.args, len(s.aggs))
	// The values of s.fns so far, each computed on first use.
	vals, done := resize(b.vals, len(s.fns)), resize(b.done, len(s.fns))
	clear(done)
	eval := func(i int) any {
		if !done[i] {
			vals[i], done[i] = s.fns[i](r), true
		}
		return vals[i]
	}
	for i, a := range s.aggs {
		args[i] = nil
		if a.filter >= 0 {
			if ok, _ := eval(a.filter).(bool); !ok {
				args[i] = skipped
				continue
			}
		}
		if a.arg >= 0 {
			args[i] = eval(a.arg)
		}
	}
	clear(vals) // let the record's values go
	b.keys, b.args, b.vals, b.done = keys, args, vals, done
	return Input{Keys: keys, Args: args}
}

// resize returns s with length n, reusing its storage when it has room.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// groupKeys returns the combinations of single key values of keys: one
// per value of each multi-valued key. The common case, no multi-valued
// key, is keys itself, in buf's storage when buf is not nil.
func groupKeys(keys []any, buf *[][]any) [][]any {
	if !slices.ContainsFunc(keys, isMulti) {
		if buf == nil {
			return [][]any{keys}
		}
		*buf = append((*buf)[:0], keys)
		return *buf
	}
	out := [][]any{{}}
	for _, k := range keys {
		vs := each(k)
		if len(vs) == 0 {
			vs = []any{nil}
		}
		next := make([][]any, 0, len(out)*len(vs))
		for _, o := range out {
			for _, v := range vs {
				next = append(next, append(append([]any(nil), o...), v))
			}
		}
		out = next
	}
	return out
}

func keyString(key []any) string {
	var b strings.Builder
	for _, k := range key {
		b.WriteString(valueKey(k))
		b.WriteByte(0)
	}
	return b.String()
}

// Group accumulates the aggregates of one STATS group.
type Group struct {
	s    *statsPlan
	Key  []any
	accs []acc
}

type acc struct {
	count int64
	set   valueSet // COUNT_DISTINCT, VALUES
	best  any      // MIN, MAX
	sumI  int64
	sumF  float64
	isF   bool
	bad   bool // SUM overflowed
	any   bool
}

func (s *statsPlan) newGroup(key []any) *Group {
	return &Group{s: s, Key: key, accs: make([]acc, len(s.aggs))}
}

// own returns x, a string copied: a group outlives the records whose
// values it keeps (fromECS gives views of their bytes).
func own(x any) any {
	if s, ok := x.(string); ok {
		return strings.Clone(s)
	}
	return x
}

// add folds one row's aggregate inputs into g.
func (g *Group) add(args []any) {
	for i, a := range g.s.aggs {
		v := args[i]
		if isSkipped(v) {
			continue
		}
		ac := &g.accs[i]
		if a.star {
			ac.count++
			continue
		}
		switch x := v.(type) {
		case nil:
		case []any:
			for _, e := range x {
				ac.addValue(a.fn, e)
			}
		default: // a single value: each's slice of one, without building it
			ac.addValue(a.fn, x)
		}
	}
}

func (ac *acc) addValue(fn string, x any) {
	switch fn {
	case "COUNT":
		ac.count++
	case "COUNT_DISTINCT", "VALUES":
		ac.set.add(x)
	case "MIN", "MAX":
		if ac.best == nil {
			ac.best = own(x)
			return
		}
		c, ok := compare(x, ac.best)
		if ok && ((fn == "MIN" && c < 0) || (fn == "MAX" && c > 0)) {
			ac.best = own(x)
		}
	case "SUM":
		ac.any = true
		switch n := x.(type) {
		case int64:
			s := ac.sumI + n
			if (s > ac.sumI) != (n > 0) && n != 0 {
				ac.bad = true
			}
			ac.sumI = s
		case float64:
			ac.isF = true
			ac.sumF += n
		}
	}
}

func (ac *acc) result(fn string) any {
	switch fn {
	case "COUNT":
		return ac.count
	case "COUNT_DISTINCT":
		return int64(ac.set.len())
	case "VALUES":
		vs := ac.set.values()
		sortValues(vs)
		return mv(vs)
	case "MIN", "MAX":
		return ac.best
	case "SUM":
		if !ac.any || ac.bad {
			return nil
		}
		if ac.isF {
			v := ac.sumF + float64(ac.sumI)
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return nil
			}
			return v
		}
		return ac.sumI
	}
	return nil
}

// row returns the group's result row: the aggregates, then the groups.
func (g *Group) row(e *env) *Row {
	r := &Row{env: e}
	for i, a := range g.s.aggs {
		r.set(a.name, g.accs[i].result(a.fn))
	}
	for i, b := range g.s.by {
		r.set(b.name, g.Key[i])
	}
	return r
}

// run aggregates rows in memory, groups in order of first appearance.
func (s *statsPlan) run(rows []*Row, e *env) []*Row {
	groups := map[string]*Group{}
	var order []*Group
	for _, r := range rows {
		in := s.input(r, nil)
		for _, k := range groupKeys(in.Keys, nil) {
			ks := keyString(k)
			g, ok := groups[ks]
			if !ok {
				g = s.newGroup(k)
				groups[ks] = g
				order = append(order, g)
			}
			g.add(in.Args)
		}
	}
	if len(order) == 0 && len(s.by) == 0 {
		// STATS without BY over no rows gives one row.
		order = append(order, s.newGroup(nil))
	}
	out := make([]*Row, len(order))
	for i, g := range order {
		out[i] = g.row(e)
	}
	return out
}

var _ = time.Time{}

// Dropped reports whether the WHERE right after STATS drops the row of g,
// reading only the aggregates it names (merged with MergeGuard): Finish
// would then give no row. false when the query has no such WHERE, or when
// it reads more than columns (KQL()).
func (p *Program) Dropped(g *Group, now time.Time) bool {
	s := p.ops[p.statsAt].stats
	if !s.guarded {
		return false
	}
	e := &env{now: now, p: p}
	r := &Row{env: e}
	for _, i := range s.guard {
		r.set(s.aggs[i].name, g.accs[i].result(s.aggs[i].fn))
	}
	for i, b := range s.by {
		r.set(b.name, g.Key[i])
	}
	return p.ops[p.statsAt+1].row(r) == nil
}

// guardWhere notes, for a WHERE right after STATS, which aggregates its
// condition reads (Dropped).
func (s *statsPlan) guardWhere(cond Expr) {
	names := map[string]bool{}
	if !exprRefs(cond, names) {
		return
	}
	agg := map[string]int{}
	for i, a := range s.aggs {
		agg[a.name] = i
	}
	for _, b := range s.by {
		delete(names, b.name)
	}
	for n := range names {
		i, ok := agg[n]
		if !ok {
			return // not a column of STATS: no guard
		}
		s.guard = append(s.guard, i)
	}
	sort.Ints(s.guard)
	s.guarded = true
}

// exprRefs adds the column names e reads to names; false when e may read
// columns it does not name (KQL()).
func exprRefs(e Expr, names map[string]bool) bool {
	switch x := e.(type) {
	case *Literal:
		return true
	case *Ref:
		names[x.Name] = true
		return true
	case *Call:
		if x.Name == "KQL" {
			return false
		}
		for _, a := range x.Args {
			if !exprRefs(a, names) {
				return false
			}
		}
		return true
	case *Unary:
		return exprRefs(x.X, names)
	case *Binary:
		return exprRefs(x.L, names) && exprRefs(x.R, names)
	case *In:
		for _, a := range x.List {
			if !exprRefs(a, names) {
				return false
			}
		}
		return exprRefs(x.X, names)
	case *Like:
		return exprRefs(x.X, names)
	case *IsNull:
		return exprRefs(x.X, names)
	}
	return false
}

// Merge folds the state of o, a group of the same STATS and key, into g:
// g then holds the aggregates of both groups' rows. o is not changed.
func (g *Group) Merge(o *Group) {
	for i := range g.s.aggs {
		g.merge(o, i)
	}
}

// MergeGuard is Merge of the aggregates the WHERE right after STATS reads
// only (Program.Dropped decides on them); the others stay as they were.
func (g *Group) MergeGuard(o *Group) {
	for _, i := range g.s.guard {
		g.merge(o, i)
	}
}

// merge folds aggregate i of o into g's.
func (g *Group) merge(o *Group, i int) {
	fn := g.s.aggs[i].fn
	x, y := &g.accs[i], &o.accs[i]
	x.count += y.count
	x.set.merge(&y.set)
	if y.best != nil {
		x.addValue(fn, y.best)
	}
	if y.any {
		s := x.sumI + y.sumI
		if (s > x.sumI) != (y.sumI > 0) && y.sumI != 0 {
			x.bad = true
		}
		x.sumI, x.sumF = s, x.sumF+y.sumF
		x.isF, x.bad, x.any = x.isF || y.isF, x.bad || y.bad, true
	}
}

// Clone returns an empty group of the same STATS and key.
func (g *Group) Clone() *Group { return g.s.newGroup(g.Key) }

// Reset empties g's aggregates: g is then what Clone would return, without
// allocating a group.
func (g *Group) Reset() { clear(g.accs) }
