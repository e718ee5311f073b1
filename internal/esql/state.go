package esql

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/trailsweep/trailsweep/internal/binenc"
)

// A STATS group's partial state can travel between a scan worker, which
// folds the rows of one object into it, and the rule's executions, which
// merge the states of their segments (Group.Merge): AppendState encodes
// it, MergeState folds an encoded state into a group.

// Inputs1 is Inputs with the group keys both encoded (for the sort) and as
// values (for NewGroupOf), and the aggregates' arguments as values: views
// of the record's bytes, valid as long as it is (a Group copies what it
// keeps; AppendRowState encodes).
func (p *Program) Inputs1(r *Row) (keys [][]string, vals [][]any, args []any) {
	vals, args = p.InputValues(r)
	for _, k := range vals {
		keys = append(keys, EncodeKey(k))
	}
	return keys, vals, args
}

// InputValues is Inputs1 without the encoded keys (EncodeKey and AppendKey
// encode them). For a row of Prefix, the slices are valid until the next
// InputValues, Inputs1 or Inputs of a row of the same Prefix call, or its
// Release: a caller copies what it keeps.
func (p *Program) InputValues(r *Row) (vals [][]any, args []any) {
	var b *inputBuf
	var groups *[][]any
	if sc := r.env.sc; sc != nil {
		b, groups = &sc.in, &sc.groups
	}
	in := p.ops[p.statsAt].stats.input(r, b)
	return groupKeys(in.Keys, groups), in.Args
}

// EncodeKey encodes a group's key values as Inputs1 does.
func EncodeKey(vals []any) []string {
	enc := make([]string, len(vals))
	for i, v := range vals {
		enc[i] = EncodeValue(v)
	}
	return enc
}

// AppendKey appends to b the values' encodings joined by NUL: the bytes of
// strings.Join(EncodeKey(vals), "\x00"), without building them.
func AppendKey(b []byte, vals []any) []byte {
	for i, v := range vals {
		if i > 0 {
			b = append(b, 0)
		}
		b = appendValue(b, v)
	}
	return b
}

// NewGroupOf starts a STATS group with key values (Inputs1), which it
// copies.
func (p *Program) NewGroupOf(key []any) *Group {
	k := make([]any, len(key))
	for i, v := range key {
		k[i] = own(v)
	}
	return p.ops[p.statsAt].stats.newGroup(k)
}

// AppendState appends g's aggregates' partial state to b. It orders the
// strings g holds where they are, so it writes g.
func (g *Group) AppendState(b []byte) []byte {
	for i := range g.accs {
		b = g.accs[i].appendState(b)
	}
	return b
}

// AppendRowState appends the state AppendState would give a group of one
// row with the aggregates' arguments args (Inputs1), without the group.
func (p *Program) AppendRowState(b []byte, args []any) []byte {
	var ac acc // reused: COUNT_DISTINCT and VALUES keep their set's storage
	for i, a := range p.ops[p.statsAt].stats.aggs {
		set := ac.set
		set.reset()
		ac = acc{set: set}
		if v := args[i]; !isSkipped(v) {
			if a.star {
				ac.count++
			} else if (a.fn == "COUNT_DISTINCT" || a.fn == "VALUES") && v != nil && !isMulti(v) {
				// A set of one value: what appendState writes of it
				// (flags, count and length, then the value's encoding),
				// without the set.
				b = append(b, 0, 0, 1)
				if s, ok := v.(string); ok {
					b = binary.AppendUvarint(b, uint64(1+len(s)))
					b = append(append(b, 's'), s...)
					continue
				}
				var kb [64]byte
				enc := appendValue(kb[:0], v)
				b = binary.AppendUvarint(b, uint64(len(enc)))
				b = append(b, enc...)
				continue
			} else {
				for _, x := range each(v) {
					ac.addValue(a.fn, x)
				}
			}
		}
		b = ac.appendState(b)
	}
	return b
}

func (ac *acc) appendState(b []byte) []byte {
	var flags byte
	if ac.isF {
		flags |= 1
	}
	if ac.bad {
		flags |= 2
	}
	if ac.any {
		flags |= 4
	}
	if ac.best != nil {
		flags |= 8
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, ac.count)
	b = binary.AppendUvarint(b, uint64(ac.set.len()))
	// The values in the order of their encodings: the same state, the
	// same bytes.
	switch {
	case ac.set.setMaps == nil: // strings only, sorted where they are
		slices.Sort(ac.set.strs)
		for _, x := range ac.set.strs {
			b = binary.AppendUvarint(b, uint64(1+len(x)))
			b = append(append(b, 's'), x...)
		}
	case ac.set.len() > 0:
		for _, e := range ac.set.encodings(nil) {
			b = binary.AppendUvarint(b, uint64(1+len(e.rest)))
			b = append(append(b, e.tag), e.rest...)
		}
	}
	if ac.best != nil {
		b = binenc.AppendString(b, EncodeValue(ac.best))
	}
	if ac.any {
		b = binary.AppendVarint(b, ac.sumI)
		b = binary.AppendUvarint(b, math.Float64bits(ac.sumF))
	}
	return b
}

// MergeState folds a state AppendState wrote, for a group of the same
// STATS, into g, as Merge folds a group.
func (g *Group) MergeState(state string) error {
	d := stateReader{s: state}
	for i, a := range g.s.aggs {
		x := &g.accs[i]
		flags := d.byte()
		x.count += d.varint()
		n := d.uvarint()
		if d.bad || n > uint64(len(d.s)) {
			return errBadValue
		}
		for range n {
			enc := d.string()
			if d.bad {
				return errBadValue
			}
			if len(enc) > 0 && enc[0] == 's' { // a string: copied if new
				x.set.addString(enc[1:], false)
				continue
			}
			v, err := DecodeValue(enc)
			if err != nil {
				return errBadValue
			}
			x.set.add(v)
		}
		if flags&8 != 0 {
			v, err := DecodeValue(d.string())
			if err != nil || d.bad {
				return errBadValue
			}
			x.addValue(a.fn, v)
		}
		if flags&4 != 0 { // as merge does
			sumI, sumF := d.varint(), math.Float64frombits(d.uvarint())
			s := x.sumI + sumI
			if (s > x.sumI) != (sumI > 0) && sumI != 0 {
				x.bad = true
			}
			x.sumI, x.sumF = s, x.sumF+sumF
			x.isF, x.bad, x.any = x.isF || flags&1 != 0, x.bad || flags&2 != 0, true
		}
	}
	if d.bad || len(d.s) != 0 {
		return errBadValue
	}
	return nil
}

// stateReader reads what AppendState wrote, as binenc.Reader does, from a
// string: the strings it returns are views of it, not copies.
type stateReader struct {
	s   string
	bad bool
}

func (d *stateReader) fail() { d.bad, d.s = true, "" }

func (d *stateReader) byte() byte {
	if len(d.s) == 0 {
		d.fail()
		return 0
	}
	c := d.s[0]
	d.s = d.s[1:]
	return c
}

func (d *stateReader) uvarint() uint64 {
	// binary.Uvarint over a copy of the few bytes a varint may take: the
	// string is not converted whole.
	var b [binary.MaxVarintLen64]byte
	x, n := binary.Uvarint(b[:copy(b[:], d.s)])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.s = d.s[n:]
	return x
}

func (d *stateReader) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

// string reads a length-prefixed string (binenc.AppendString).
func (d *stateReader) string() string {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.s)) {
		d.fail()
		return ""
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}
