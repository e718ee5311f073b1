package esql

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/binenc"
)

// A rule runs a program in two stages: per record, the commands before
// STATS (Prefix, then Inputs); per group and execution window, STATS and
// the commands after it (Group, Finish). A program without STATS runs
// whole per record.

// Streamable says why the program cannot run in stages, nil when it can:
// LIMIT, or a second STATS, would need the whole table of an execution,
// and SORT before STATS or in a query without STATS only orders rows.
func (p *Program) Streamable() error {
	for i, o := range p.ops {
		if o.name == "LIMIT" {
			return unsupported("LIMIT in a rule query")
		}
		if o.stats != nil && i != p.statsAt {
			return unsupported("a second STATS")
		}
	}
	return nil
}

// Prefix runs the commands before STATS (all of them, SORT aside, when
// there is no STATS) over record d with NOW() = now and returns the rows
// that come out: none when WHERE drops the record.
func (p *Program) Prefix(d Doc, now time.Time) []*Row {
	sc, _ := p.scratch.Get().(*prefixScratch)
	if sc == nil {
		sc = &prefixScratch{}
		sc.env.p, sc.env.sc = p, sc
		sc.rows[0] = newSourceRow(nil, &sc.env, p.prefixCols)
		sc.row = *sc.rows[0]
	}
	sc.env.now = now
	r := sc.rows[0]
	*r = sc.row
	r.src = d
	rows := sc.rows[:]
	end := len(p.ops)
	if p.statsAt >= 0 {
		end = p.statsAt
	}
	for i := range p.ops[:end] {
		o := &p.ops[i]
		if o.row == nil && o.rows == nil {
			continue // SORT
		}
		if rows = o.apply(rows); len(rows) == 0 {
			// Nothing refers to the record's row: the next record reuses it.
			sc.reset()
			p.scratch.Put(sc)
			return nil
		}
	}
	if p.statsAt < 0 {
		for _, r := range rows {
			materialize(r)
		}
	}
	return rows
}

// Release gives back the storage of rows that Prefix returned, for
// another record: nothing may use rows, or values read from them, after.
func (p *Program) Release(rows []*Row) {
	if len(rows) == 0 {
		return
	}
	if sc := rows[0].env.sc; sc != nil && sc.env.p == p {
		sc.reset()
		p.scratch.Put(sc)
	}
}

// prefixScratch is the storage of a source row for Prefix, reused for
// another record when the commands drop this one (a record they keep
// holds on to it through its rows).
type prefixScratch struct {
	env  env
	rows [1]*Row
	row  Row // the empty row: column slices and Row.seen all unread
	// in and groups hold the STATS inputs of the record's rows
	// (InputValues); lazy the GROK matches of its row (Row.lazyGrok).
	in     inputBuf
	groups [][]any // groupKeys's result
	lazy   []*lazyMatch
	nlazy  int
}

func (sc *prefixScratch) reset() {
	clear(sc.row.vals[:cap(sc.row.vals)])
	for i := range sc.row.seen {
		sc.row.seen[i] = unread
	}
	*sc.rows[0] = Row{}
	clear(sc.groups[:cap(sc.groups)])
	for _, m := range sc.lazy[:sc.nlazy] {
		*m = lazyMatch{cols: m.cols[:0]}
	}
	sc.nlazy = 0
}

// Inputs returns what a row that reached STATS gives each group it falls
// in: the group keys (one per combination of the BY values) and the
// aggregates' arguments, encoded (EncodeValue).
func (p *Program) Inputs(r *Row) (keys [][]string, args []string) {
	vals, inArgs := p.InputValues(r)
	for _, k := range vals {
		enc := make([]string, len(k))
		for i, v := range k {
			enc[i] = EncodeValue(v)
		}
		keys = append(keys, enc)
	}
	args = make([]string, len(inArgs))
	for i, v := range inArgs {
		args[i] = EncodeValue(v)
	}
	return keys, args
}

// Keys returns the number of BY columns of the program's STATS.
func (p *Program) Keys() int {
	if p.statsAt < 0 {
		return 0
	}
	return len(p.ops[p.statsAt].stats.by)
}

// NewGroup starts a STATS group with encoded key values.
func (p *Program) NewGroup(key []string) (*Group, error) {
	vals := make([]any, len(key))
	for i, k := range key {
		v, err := DecodeValue(k)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return p.ops[p.statsAt].stats.newGroup(vals), nil
}

// DecodeArgs decodes the arguments Inputs encoded.
func DecodeArgs(args []string) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		v, err := DecodeValue(a)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Add folds one row's decoded arguments into g.
func (g *Group) Add(args []any) { g.add(args) }

// Finish returns the rows a group gives at the end of an execution with
// NOW() = now: its STATS row through the commands after STATS.
func (p *Program) Finish(g *Group, now time.Time) []*Row {
	e := &env{now: now, p: p}
	rows := []*Row{g.row(e)}
	for _, o := range p.ops[p.statsAt+1:] {
		switch {
		case o.row != nil || o.rows != nil:
			rows = o.apply(rows)
		case o.table != nil:
			rows = o.table(rows)
		}
	}
	return rows
}

// RowJSON renders a row's columns as a JSON object in column order,
// leaving out null columns.
func RowJSON(r *Row) string {
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for i, name := range r.names {
		v := force(r.vals[i])
		if v == nil {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		k, _ := json.Marshal(name)
		x, _ := json.Marshal(JSON(v))
		b.Write(k)
		b.WriteByte(':')
		b.Write(x)
	}
	b.WriteByte('}')
	return b.String()
}

// errBadValue is returned by DecodeValue for bytes EncodeValue did not write.
var errBadValue = errors.New("esql: malformed encoded value")

// EncodeValue encodes a value with its type, for the spilled state of
// rule executions.
func EncodeValue(v any) string {
	switch x := v.(type) { // one byte: no allocation
	case nil:
		return "n"
	case skippedT:
		return "x"
	case bool:
		if x {
			return "t"
		}
		return "f"
	}
	var buf [64]byte
	return string(appendValue(buf[:0], v))
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'n')
	case skippedT:
		return append(b, 'x')
	case bool:
		if x {
			return append(b, 't')
		}
		return append(b, 'f')
	case int64:
		return binary.AppendVarint(append(b, 'i'), x)
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'd'), math.Float64bits(x))
	case string:
		return append(append(b, 's'), x...)
	case time.Time:
		return binary.AppendVarint(append(b, 'T'), x.UnixMilli())
	case []any:
		b = binary.AppendUvarint(append(b, 'm'), uint64(len(x)))
		for _, e := range x {
			b = binenc.AppendString(b, string(appendValue(nil, e)))
		}
		return b
	}
	return append(b, 'n')
}

// DecodeValue reads back what EncodeValue wrote.
func DecodeValue(s string) (any, error) {
	if s == "" {
		return nil, errBadValue
	}
	rest := []byte(s[1:])
	switch s[0] {
	case 'n':
		return nil, nil
	case 'x':
		return skipped, nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'i', 'T':
		n, k := binary.Varint(rest)
		if k <= 0 || k != len(rest) {
			return nil, errBadValue
		}
		if s[0] == 'T' {
			return time.UnixMilli(n).UTC(), nil
		}
		return n, nil
	case 'd':
		if len(rest) != 8 {
			return nil, errBadValue
		}
		return math.Float64frombits(binary.BigEndian.Uint64(rest)), nil
	case 's':
		return s[1:], nil
	case 'm':
		d := binenc.NewReader(rest)
		n := d.Uvarint()
		if d.Bad() || n > uint64(d.Len()) {
			return nil, errBadValue
		}
		out := make([]any, 0, n)
		for range n {
			e, err := DecodeValue(d.String())
			if err != nil || d.Bad() {
				return nil, errBadValue
			}
			out = append(out, e)
		}
		if d.Len() != 0 {
			return nil, errBadValue
		}
		return out, nil
	}
	return nil, errBadValue
}
