package esql

import (
	"path"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Doc is what a query reads from a source record: the values of ECS fields.
type Doc = query.Doc

// env is what a row's expressions read besides its columns.
type env struct {
	now time.Time
	p   *Program
	sc  *prefixScratch // the storage of Prefix's rows, for Release
}

// Row is one row of a query's table: named columns in order and, until
// STATS or KEEP replaces them, the source record's fields behind them.
type Row struct {
	names  []string
	vals   []any
	src    Doc
	hidden map[string]bool // source fields dropped or renamed away
	env    *env
	// seen holds, per source field the program resolved (Program.order),
	// its value once read from src, unread until then: a record's field
	// is converted (and boxed) once however often the commands read it.
	// Clones share it: they read the same record.
	seen []any
}

// unreadT marks a source field not yet read into Row.seen.
type unreadT struct{}

var unread any = unreadT{}

// isUnread reports whether v is unread: a check of its type only, which
// v != unread is not (an interface comparison).
func isUnread(v any) bool { _, ok := v.(unreadT); return ok }

// newSourceRow returns a row over record d with room for ncols computed
// columns, in one allocation besides the column slices.
func newSourceRow(d Doc, e *env, ncols int) *Row {
	p := e.p
	buf := make([]any, ncols+len(p.order))
	seen := buf[ncols:]
	for i := range seen {
		seen[i] = unread
	}
	return &Row{src: d, env: e, names: make([]string, 0, ncols), vals: buf[:0:ncols], seen: seen}
}

// field returns the value of source field i (Program.order) of r's record,
// reading it once.
func (r *Row) field(i int, name string, f ecs.Field) any {
	if i < len(r.seen) {
		if v := r.seen[i]; !isUnread(v) {
			return v
		}
		v := fromValues(r.src.Values(f), r.env.p.dates[i])
		r.seen[i] = v
		return v
	}
	return fromECS(name, r.src.Values(f))
}

// text reads source field i (Program.order) of r's record as text (see
// textFn): a string field's one value is read from the record, not
// converted, so not kept in Row.seen; textOther for a date field, a
// number, a boolean or several values.
func (r *Row) text(i int, f ecs.Field) (string, textKind) {
	if i >= len(r.seen) {
		return "", textOther
	}
	if v := r.seen[i]; !isUnread(v) {
		return textOf(v)
	}
	if r.env.p.dates[i] {
		return "", textOther
	}
	vs := r.src.Values(f)
	switch {
	case len(vs) == 0:
		r.seen[i] = nil // what field reads
		return "", textNull
	case len(vs) == 1 && vs[0].Kind == ecs.KindString:
		return vs[0].S, textString
	}
	return "", textOther
}

// Columns returns the row's column names and values in order. A row that
// still reads its source record lists the columns computed so far only.
func (r *Row) Columns() (names []string, vals []any) {
	for i, v := range r.vals {
		r.vals[i] = force(v)
	}
	return r.names, r.vals
}

// lazyCol is the value of a column GROK computes from a source field,
// matched when first read: most records' input (a flattened object such as
// aws.cloudtrail.response_elements) is then never rendered.
type lazyCol struct {
	m *lazyMatch
	j int // index in the pattern's names
}

type lazyMatch struct {
	g    *grok
	r    *Row
	src  int // the input field, index in Program.order
	vals []any
	done bool
	cols []lazyCol
}

func (m *lazyMatch) get(j int) any {
	if !m.done {
		p := m.r.env.p
		f := p.order[m.src]
		m.vals, m.done = m.g.match(m.r.field(m.src, f.Name, f)), true
	}
	if m.vals == nil {
		return nil
	}
	return m.vals[j]
}

// newLazy returns an unused lazyMatch: the next of the scratch's, for a
// row of Prefix.
func (e *env) newLazy() *lazyMatch {
	sc := e.sc
	if sc == nil {
		return &lazyMatch{}
	}
	if sc.nlazy == len(sc.lazy) {
		sc.lazy = append(sc.lazy, &lazyMatch{})
	}
	m := sc.lazy[sc.nlazy]
	sc.nlazy++
	return m
}

// force returns v, or the value a lazy column stands for.
func force(v any) any {
	if c, ok := v.(*lazyCol); ok {
		return c.m.get(c.j)
	}
	return v
}

// lazyGrok sets the columns of GROK g over source field src (Program.order)
// to lazy columns and reports true, when the field is what the row reads
// under its name (not hidden, no computed column of that name); false, and
// nothing set, otherwise. The record's field does not change, so a later
// read gives what an eager match would have.
func (r *Row) lazyGrok(g *grok, src int) bool {
	p := r.env.p
	name := p.order[src].Name
	if r.src == nil || src >= len(r.seen) || r.hidden[name] || r.has(name) || p.fieldIdx[name] != src {
		return false
	}
	m := r.env.newLazy()
	m.g, m.r, m.src = g, r, src
	m.cols = resize(m.cols, len(g.names))
	for j, n := range g.names {
		m.cols[j] = lazyCol{m: m, j: j}
		r.set(n, &m.cols[j])
	}
	return true
}

// Get returns the value of column name: a computed column, else the
// source record's field, else null.
func (r *Row) Get(name string) any {
	for i := len(r.names) - 1; i >= 0; i-- {
		if r.names[i] == name {
			return force(r.vals[i])
		}
	}
	if r.src == nil || r.hidden[name] {
		return nil
	}
	return r.sourceValue(name)
}

// sourceValue reads source field or metadata name of r's record.
func (r *Row) sourceValue(name string) any {
	p := r.env.p
	if i, ok := p.fieldIdx[name]; ok && !p.metadata[name] {
		return r.field(i, name, p.order[i])
	}
	return p.source(r.src, name)
}

// set replaces or appends column name; a replaced column moves to the end,
// as EVAL does.
func (r *Row) set(name string, v any) {
	for i, n := range r.names {
		if n == name {
			r.names = append(r.names[:i], r.names[i+1:]...)
			r.vals = append(r.vals[:i], r.vals[i+1:]...)
			break
		}
	}
	r.names = append(r.names, name)
	r.vals = append(r.vals, v)
	if r.src != nil && r.hidden[name] {
		delete(r.hidden, name)
	}
}

func (r *Row) hide(name string) {
	if r.src == nil {
		return
	}
	if r.hidden == nil {
		r.hidden = map[string]bool{}
	}
	r.hidden[name] = true
}

func (r *Row) clone() *Row {
	c := *r
	c.names = append([]string(nil), r.names...)
	c.vals = append([]any(nil), r.vals...)
	if r.hidden != nil {
		c.hidden = make(map[string]bool, len(r.hidden))
		for k, v := range r.hidden {
			c.hidden[k] = v
		}
	}
	return &c
}

// available returns the names of the row's columns, the source fields
// that have a value included, in the order KEEP * would list them.
func (r *Row) available() []string {
	var out []string
	seen := map[string]bool{}
	if r.src != nil {
		for _, n := range r.env.p.srcNames {
			if r.hidden[n] || seen[n] {
				continue
			}
			if r.sourceValue(n) != nil && !r.has(n) {
				out = append(out, n)
				seen[n] = true
			}
		}
	}
	for _, n := range r.names {
		if !seen[n] {
			out = append(out, n)
			seen[n] = true
		}
	}
	return out
}

func (r *Row) has(name string) bool {
	for _, n := range r.names {
		if n == name {
			return true
		}
	}
	return false
}

// matchName reports whether column name matches a KEEP/DROP pattern
// (* for any run of characters, backquoted parts taken literally).
func matchName(pattern, name string) bool {
	p := strings.ReplaceAll(pattern, "`", "")
	if !strings.Contains(p, "*") {
		return p == name
	}
	// path.Match treats / specially and [ as a class: column names hold neither * nor those in the corpus.
	ok, err := path.Match(escapeMatch(p), name)
	return err == nil && ok
}

func escapeMatch(p string) string {
	var b strings.Builder
	for _, c := range p {
		switch c {
		case '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// metadataValue returns a METADATA field of a source record: _id is the
// record's event.id, _index the CloudTrail data stream, _version 1.
func (p *Program) metadataValue(d Doc, name string) any {
	switch name {
	case "_id":
		return fromECS("event.id", d.Values(p.eventID))
	case "_index":
		return "logs-aws.cloudtrail-default"
	case "_version":
		return int64(1)
	}
	return nil
}

// source reads field name of d.
func (p *Program) source(d Doc, name string) any {
	if p.metadata[name] {
		return p.metadataValue(d, name)
	}
	f, ok := p.fields[name]
	if !ok {
		return nil // not a field the program resolved: a computed name that was dropped
	}
	return fromECS(name, d.Values(f))
}
