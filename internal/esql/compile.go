package esql

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// ErrUnsupported marks a query that parses but uses what trailsweep does
// not evaluate (a function, a source other than CloudTrail).
var ErrUnsupported = errors.New("not supported")

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrUnsupported)
}

// cloudTrailIndex reports whether an index pattern of FROM covers the
// CloudTrail integration's data stream logs-aws.cloudtrail-<namespace>.
func cloudTrailIndex(pattern string) bool {
	return matchName(pattern, "logs-aws.cloudtrail-default") || matchName(pattern, "logs-aws.cloudtrail-x")
}

// Program is a compiled query. It is immutable and safe for concurrent use.
type Program struct {
	q        *Query
	ops      []op
	fields   map[string]ecs.Field // source fields the query may read
	order    []ecs.Field          // the same, in the order first read
	fieldIdx map[string]int       // index in order of each
	dates    []bool               // per field of order: of type date
	// prefixCols bounds the columns the commands before STATS compute
	// (room for them in a source row).
	prefixCols int
	srcNames   []string // source column names, for KEEP patterns
	metadata   map[string]bool
	eventID    ecs.Field
	statsAt    int // index in ops of the first STATS; -1 when none
	usesNow    bool
	// nowAfterStats: NOW() is called by a command after STATS, so that
	// Finish's rows depend on the execution, not only on the group.
	nowAfterStats bool
	scratch       sync.Pool // *prefixScratch
}

// op is one command: row-local (row), over the whole table (table), or
// STATS (stats).
type op struct {
	name  string
	row   func(r *Row) *Row   // the row, changed, or nil when dropped
	rows  func(r *Row) []*Row // MV_EXPAND: any number of rows
	table func(rows []*Row) []*Row
	stats *statsPlan
	cols  int // columns the command computes at most
}

// Compile checks a parsed query against what trailsweep evaluates and
// prepares it. Its errors wrap ErrUnsupported.
func Compile(q *Query) (*Program, error) {
	p := &Program{q: q, fields: map[string]ecs.Field{}, fieldIdx: map[string]int{}, metadata: map[string]bool{}, statsAt: -1}
	ok := false
	for _, ix := range q.From.Indices {
		if cloudTrailIndex(ix) {
			ok = true
		}
	}
	if !ok {
		for _, ix := range q.From.Indices {
			if strings.HasPrefix(ix, ".alerts-") {
				return nil, unsupported("FROM %s: the query correlates other rules' alerts in Kibana's alert indices, not CloudTrail records", ix)
			}
		}
		return nil, unsupported("FROM %s: no CloudTrail index (logs-aws.cloudtrail-*)", strings.Join(q.From.Indices, ", "))
	}
	for _, m := range q.From.Metadata {
		switch m {
		case "_id", "_index", "_version":
			p.metadata[m] = true
		default:
			return nil, unsupported("METADATA %s", m)
		}
	}
	p.eventID = ecs.Lookup("event.id")
	c := &compiler{p: p, names: map[string]bool{}}
	for _, cmd := range q.Commands {
		o, err := c.command(cmd)
		if err != nil {
			return nil, err
		}
		if o.stats != nil && p.statsAt < 0 {
			p.statsAt = len(p.ops)
		}
		if p.statsAt < 0 {
			p.prefixCols += o.cols
		}
		p.ops = append(p.ops, o)
	}
	if at := p.statsAt; at >= 0 && at+1 < len(q.Commands) {
		if w, ok := q.Commands[at+1].(*Where); ok {
			p.ops[at].stats.guardWhere(w.Cond)
		}
	}
	// KEEP and DROP patterns see the metadata and every field the view
	// produces that they match.
	for n := range p.metadata {
		p.srcNames = append(p.srcNames, n)
	}
	sort.Strings(p.srcNames)
	for _, n := range c.patternFields {
		p.resolve(n)
	}
	for _, f := range p.order {
		p.srcNames = append(p.srcNames, f.Name)
	}
	return p, nil
}

// resolve registers a source field the query reads.
func (p *Program) resolve(name string) {
	if p.metadata[name] {
		return
	}
	if _, ok := p.fields[name]; !ok {
		f := ecs.Lookup(name)
		p.fields[name] = f
		p.fieldIdx[name] = len(p.order)
		p.order = append(p.order, f)
		p.dates = append(p.dates, dateFields[name])
	}
}

// Fields returns the ECS fields the program may read from a record. The
// caller must not modify the slice.
func (p *Program) Fields() []ecs.Field { return p.order }

// Aggregating reports whether the query has STATS: Kibana then identifies
// an alert by its execution and row, not by a source document.
func (p *Program) Aggregating() bool { return p.statsAt >= 0 }

// HasID reports whether the query keeps the source documents' _id
// (METADATA _id) so that Kibana identifies a non-aggregating alert by it.
func (p *Program) HasID() bool { return p.metadata["_id"] }

// UsesNow reports whether the query calls NOW().
func (p *Program) UsesNow() bool { return p.usesNow }

// FinishUsesNow reports whether a command after STATS calls NOW(): when
// it does not, Finish gives the same rows for the same group state
// whatever the now it is given.
func (p *Program) FinishUsesNow() bool { return p.nowAfterStats }

// String returns the query.
func (p *Program) String() string { return p.q.String() }

// compiler tracks the names computed so far: a reference to one of them
// is not a source field.
type compiler struct {
	p             *Program
	names         map[string]bool // computed columns so far
	afterStats    bool
	patternFields []string
}

func (c *compiler) command(cmd Command) (op, error) {
	switch x := cmd.(type) {
	case *Where:
		f, err := c.expr(x.Cond)
		if err != nil {
			return op{}, err
		}
		return op{name: "WHERE", row: func(r *Row) *Row {
			if b, _ := f(r).(bool); b {
				return r
			}
			return nil
		}}, nil
	case *Eval:
		fs := make([]evalFn, len(x.Fields))
		names := make([]string, len(x.Fields))
		for i, a := range x.Fields {
			f, err := c.expr(a.Expr)
			if err != nil {
				return op{}, err
			}
			fs[i], names[i] = f, colName(a)
			c.names[names[i]] = true
		}
		return op{name: "EVAL", cols: len(fs), row: func(r *Row) *Row {
			for i, f := range fs {
				r.set(names[i], f(r))
			}
			return r
		}}, nil
	case *Stats:
		s, err := c.stats(x)
		if err != nil {
			return op{}, err
		}
		return op{name: "STATS", stats: s}, nil
	case *Keep:
		pats := x.Patterns
		c.patterns(pats)
		if names, ok := plainNames(pats); ok {
			return op{name: "KEEP", row: func(r *Row) *Row { return keepNames(r, names) }}, nil
		}
		return op{name: "KEEP", row: func(r *Row) *Row { return keep(r, pats) }}, nil
	case *Drop:
		pats := x.Patterns
		c.patterns(pats)
		return op{name: "DROP", row: func(r *Row) *Row {
			for _, n := range r.available() {
				for _, pt := range pats {
					if matchName(pt, n) {
						r.drop(n)
					}
				}
			}
			return r
		}}, nil
	case *Rename:
		pairs := x.Pairs
		for _, pr := range pairs {
			c.ref(pr.Old)
			c.names[pr.New] = true
		}
		return op{name: "RENAME", cols: len(pairs), row: func(r *Row) *Row {
			for _, pr := range pairs {
				v := r.Get(pr.Old)
				r.drop(pr.Old)
				r.set(pr.New, v)
			}
			return r
		}}, nil
	case *Sort:
		return c.sort(x)
	case *Limit:
		n := x.N
		return op{name: "LIMIT", table: func(rows []*Row) []*Row {
			if int64(len(rows)) > n {
				rows = rows[:n]
			}
			return rows
		}}, nil
	case *Grok:
		g, err := compileGrok(x.Pattern)
		if err != nil {
			return op{}, err
		}
		in, err := c.expr(x.Input)
		if err != nil {
			return op{}, err
		}
		for _, n := range g.names {
			c.names[n] = true
		}
		src := -1 // the input's source field (Program.order), when it is one
		if ref, ok := x.Input.(*Ref); ok && !c.names[ref.Name] && !c.afterStats {
			if i, ok := c.p.fieldIdx[ref.Name]; ok {
				src = i
			}
		}
		return op{name: "GROK", cols: len(g.names), row: func(r *Row) *Row {
			if src >= 0 && r.lazyGrok(g, src) {
				return r
			}
			vals := g.match(in(r)) // nil when it does not match
			for i, n := range g.names {
				var v any
				if vals != nil {
					v = vals[i]
				}
				r.set(n, v)
			}
			return r
		}}, nil
	case *Dissect:
		sep := ""
		if x.Separator != nil {
			sep = *x.Separator
		}
		d, err := compileDissect(x.Pattern, sep)
		if err != nil {
			return op{}, err
		}
		in, err := c.expr(x.Input)
		if err != nil {
			return op{}, err
		}
		for _, n := range d.names {
			c.names[n] = true
		}
		return op{name: "DISSECT", cols: len(d.names), row: func(r *Row) *Row {
			vals := d.match(in(r))
			for i, n := range d.names {
				r.set(n, vals[i])
			}
			return r
		}}, nil
	case *MvExpand:
		name := x.Field
		c.ref(name)
		return op{name: "MV_EXPAND", rows: func(r *Row) []*Row {
			vs, ok := r.Get(name).([]any)
			if !ok {
				return []*Row{r}
			}
			out := make([]*Row, len(vs))
			for i, v := range vs {
				out[i] = r.clone()
				out[i].set(name, v)
			}
			return out
		}}, nil
	}
	return op{}, unsupported("command %s", cmd)
}

// patterns registers the source fields KEEP or DROP patterns can name.
func (c *compiler) patterns(pats []string) {
	if c.afterStats {
		return
	}
	for _, pt := range pats {
		if !strings.Contains(pt, "*") {
			c.ref(strings.ReplaceAll(pt, "`", ""))
			continue
		}
		for _, n := range ecs.Names() {
			if matchName(pt, n) {
				c.patternFields = appendNew(c.patternFields, n)
			}
		}
	}
}

func appendNew(list []string, s string) []string {
	for _, t := range list {
		if t == s {
			return list
		}
	}
	return append(list, s)
}

// ref notes a reference to column name: a source field unless computed.
func (c *compiler) ref(name string) {
	if c.names[name] || c.afterStats {
		return
	}
	c.p.resolve(name)
}

// colName is the name of an assignment's column.
func colName(a Assign) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Expr.String()
}

// keep returns the row with only the columns the patterns name, in the
// order of the patterns (a name matched by an earlier pattern stays there).
func keep(r *Row, pats []string) *Row {
	var avail []string // read for the first pattern with *
	out := &Row{env: r.env}
	for _, pt := range pats {
		if name := strings.ReplaceAll(pt, "`", ""); !strings.Contains(name, "*") {
			// A column named outright is kept, null or not.
			if !out.has(name) {
				out.names = append(out.names, name)
				out.vals = append(out.vals, r.Get(name))
			}
			continue
		}
		if avail == nil {
			avail = r.available()
		}
		for _, n := range avail {
			if matchName(pt, n) && !out.has(n) {
				out.names = append(out.names, n)
				out.vals = append(out.vals, r.Get(n))
			}
		}
	}
	return out
}

// plainNames returns the column names KEEP patterns name outright, in
// order and each once, when none has a *: what keep would list.
func plainNames(pats []string) ([]string, bool) {
	var names []string
	for _, pt := range pats {
		name := strings.ReplaceAll(pt, "`", "")
		if strings.Contains(name, "*") {
			return nil, false
		}
		names = appendNew(names, name)
	}
	return names, true
}

// keepNames is keep for patterns without * (plainNames): the row of
// those columns, null or not, built at its size.
func keepNames(r *Row, names []string) *Row {
	out := &Row{env: r.env, names: make([]string, len(names)), vals: make([]any, len(names))}
	copy(out.names, names) // the row's own: commands after change it in place
	for i, n := range names {
		out.vals[i] = r.Get(n)
	}
	return out
}

// drop removes column name.
func (r *Row) drop(name string) {
	for i, n := range r.names {
		if n == name {
			r.names = append(r.names[:i], r.names[i+1:]...)
			r.vals = append(r.vals[:i], r.vals[i+1:]...)
			break
		}
	}
	r.hide(name)
}

func (c *compiler) sort(x *Sort) (op, error) {
	type key struct {
		f          evalFn
		desc       bool
		nullsFirst bool
	}
	keys := make([]key, len(x.Keys))
	for i, k := range x.Keys {
		f, err := c.expr(k.Expr)
		if err != nil {
			return op{}, err
		}
		// Nulls sort last ascending and first descending unless told.
		nf := k.Desc
		switch k.Nulls {
		case "FIRST":
			nf = true
		case "LAST":
			nf = false
		}
		keys[i] = key{f, k.Desc, nf}
	}
	return op{name: "SORT", table: func(rows []*Row) []*Row {
		vals := make([][]any, len(rows))
		for i, r := range rows {
			vals[i] = make([]any, len(keys))
			for j, k := range keys {
				v := k.f(r)
				if isMulti(v) { // a multi-valued key sorts by its least (ASC) or greatest (DESC) value
					vs := append([]any(nil), v.([]any)...)
					sortValues(vs)
					if k.desc {
						v = vs[len(vs)-1]
					} else {
						v = vs[0]
					}
				}
				vals[i][j] = v
			}
		}
		idx := make([]int, len(rows))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool {
			for j, k := range keys {
				va, vb := vals[idx[a]][j], vals[idx[b]][j]
				if va == nil || vb == nil {
					if (va == nil) == (vb == nil) {
						continue
					}
					return (va == nil) == k.nullsFirst
				}
				c, _ := compare(va, vb)
				if c == 0 {
					continue
				}
				return (c < 0) != k.desc
			}
			return false
		})
		out := make([]*Row, len(rows))
		for i, j := range idx {
			out[i] = rows[j]
		}
		return out
	}}, nil
}

// Record is a source record with its time, for Run.
type Record struct {
	Doc  Doc
	Time time.Time
}

// Run runs the whole query over recs with NOW() = now and returns the
// result's rows in order.
func (p *Program) Run(recs []Doc, now time.Time) []*Row {
	e := &env{now: now, p: p}
	rows := make([]*Row, 0, len(recs))
	for _, d := range recs {
		rows = append(rows, newSourceRow(d, e, p.prefixCols))
	}
	for _, o := range p.ops {
		switch {
		case o.row != nil || o.rows != nil:
			rows = o.apply(rows)
		case o.table != nil:
			rows = o.table(rows)
		default:
			rows = o.stats.run(rows, e)
		}
	}
	for _, r := range rows {
		materialize(r)
	}
	return rows
}

// materialize turns the source fields still behind r into columns: a query
// that ends without KEEP returns every field with a value.
func materialize(r *Row) {
	if r.src == nil {
		return
	}
	*r = *keep(r, []string{"*"})
}

// apply runs a row-local command over rows, reusing the slice.
func (o *op) apply(rows []*Row) []*Row {
	if o.rows != nil {
		var next []*Row
		for _, r := range rows {
			next = append(next, o.rows(r)...)
		}
		return next
	}
	out := rows[:0]
	for _, r := range rows {
		if x := o.row(r); x != nil {
			out = append(out, x)
		}
	}
	return out
}
