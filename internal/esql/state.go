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
// encode them).
func (p *Program) InputValues(r *Row) (vals [][]any, args []any) {
	in := p.ops[p.statsAt].stats.input(r)
	return groupKeys(in.Keys), in.Args
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

// NewGroupOf starts a STATS group with key values (Inputs1).
func (p *Program) NewGroupOf(key []any) *Group { return p.ops[p.statsAt].stats.newGroup(key) }

// AppendState appends g's aggregates' partial state to b.
func (g *Group) AppendState(b []byte) []byte {
	for i := range g.accs {
		b = g.accs[i].appendState(b)
	}
	return b
}

// AppendRowState appends the state AppendState would give a group of one
// row with the aggregates' arguments args (Inputs1), without the group.
func (p *Program) AppendRowState(b []byte, args []any) []byte {
	var scratch map[string]any // COUNT_DISTINCT and VALUES, one at a time
	for i, a := range p.ops[p.statsAt].stats.aggs {
		var ac acc
		if v := args[i]; v != skipped {
			if a.star {
				ac.count++
			} else if (a.fn == "COUNT_DISTINCT" || a.fn == "VALUES") && v != nil && !isMulti(v) {
				// A set of one value: what appendState writes of it
				// (flags, count and length, then the value's encoding),
				// without the set.
				var kb [64]byte
				enc := appendValue(kb[:0], v)
				b = binary.AppendUvarint(append(b, 0, 0, 1), uint64(len(enc)))
				b = append(b, enc...)
				continue
			} else {
				for _, x := range each(v) {
					if (a.fn == "COUNT_DISTINCT" || a.fn == "VALUES") && ac.set == nil {
						if scratch == nil {
							scratch = map[string]any{}
						}
						clear(scratch)
						ac.set = scratch
					}
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
	b = binary.AppendUvarint(b, uint64(len(ac.set)))
	switch len(ac.set) {
	case 0:
	case 1:
		for k, v := range ac.set {
			b = binenc.AppendString(b, setEncoding(k, v))
		}
	default:
		enc := make([]string, 0, len(ac.set))
		for k, v := range ac.set {
			enc = append(enc, setEncoding(k, v))
		}
		slices.Sort(enc) // the same state, the same bytes
		for _, e := range enc {
			b = binenc.AppendString(b, e)
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

// setEncoding is EncodeValue of v, a set's value under key k: a string's
// key is its encoding.
func setEncoding(k string, v any) string {
	if _, ok := v.(string); ok {
		return k
	}
	return EncodeValue(v)
}

// MergeState folds a state AppendState wrote, for a group of the same
// STATS, into g, as Merge folds a group.
func (g *Group) MergeState(state string) error {
	d := binenc.NewReader([]byte(state))
	for i, a := range g.s.aggs {
		x := &g.accs[i]
		flags := d.Byte()
		x.count += d.Varint()
		n := d.Uvarint()
		if d.Bad() || n > uint64(d.Len()) {
			return errBadValue
		}
		if n > 0 && x.set == nil {
			x.set = make(map[string]any, n)
		}
		for range n {
			enc := d.String()
			if d.Bad() {
				return errBadValue
			}
			if len(enc) > 0 && enc[0] == 's' { // a string: its encoding is its key
				if _, ok := x.set[enc]; !ok {
					x.set[enc] = enc[1:]
				}
				continue
			}
			v, err := DecodeValue(enc)
			if err != nil {
				return errBadValue
			}
			x.set[valueKey(v)] = v
		}
		if flags&8 != 0 {
			v, err := DecodeValue(d.String())
			if err != nil || d.Bad() {
				return errBadValue
			}
			x.addValue(a.fn, v)
		}
		if flags&4 != 0 { // as merge does
			sumI, sumF := d.Varint(), math.Float64frombits(d.Uvarint())
			s := x.sumI + sumI
			if (s > x.sumI) != (sumI > 0) && sumI != 0 {
				x.bad = true
			}
			x.sumI, x.sumF = s, x.sumF+sumF
			x.isF, x.bad, x.any = x.isF || flags&1 != 0, x.bad || flags&2 != 0, true
		}
	}
	if d.Bad() || d.Len() != 0 {
		return errBadValue
	}
	return nil
}
