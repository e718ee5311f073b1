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
// values (for NewGroupOf), and the aggregates' arguments as values.
func (p *Program) Inputs1(r *Row) (keys [][]string, vals [][]any, args []any) {
	s := p.ops[p.statsAt].stats
	in := s.input(r)
	vals = groupKeys(in.Keys)
	for _, k := range vals {
		enc := make([]string, len(k))
		for i, v := range k {
			enc[i] = EncodeValue(v)
		}
		keys = append(keys, enc)
	}
	return keys, vals, in.Args
}

// NewGroupOf starts a STATS group with key values (Inputs1).
func (p *Program) NewGroupOf(key []any) *Group { return p.ops[p.statsAt].stats.newGroup(key) }

// AppendState appends g's aggregates' partial state to b.
func (g *Group) AppendState(b []byte) []byte {
	for i := range g.accs {
		ac := &g.accs[i]
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
		if len(ac.set) > 0 {
			enc := make([]string, 0, len(ac.set))
			for _, v := range ac.set {
				enc = append(enc, EncodeValue(v))
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
	}
	return b
}

// MergeState folds a state AppendState wrote, for a group of the same
// STATS, into g, as Merge folds a group.
func (g *Group) MergeState(state string) error {
	o := Group{s: g.s, Key: g.Key, accs: make([]acc, len(g.accs))}
	d := binenc.NewReader([]byte(state))
	for i := range o.accs {
		ac := &o.accs[i]
		flags := d.Byte()
		ac.isF, ac.bad, ac.any = flags&1 != 0, flags&2 != 0, flags&4 != 0
		ac.count = d.Varint()
		n := d.Uvarint()
		if d.Bad() || n > uint64(d.Len()) {
			return errBadValue
		}
		if n > 0 {
			ac.set = make(map[string]any, n)
		}
		for range n {
			v, err := DecodeValue(d.String())
			if err != nil || d.Bad() {
				return errBadValue
			}
			ac.set[valueKey(v)] = v
		}
		if flags&8 != 0 {
			v, err := DecodeValue(d.String())
			if err != nil || d.Bad() {
				return errBadValue
			}
			ac.best = v
		}
		if ac.any {
			ac.sumI = d.Varint()
			ac.sumF = math.Float64frombits(d.Uvarint())
		}
	}
	if d.Bad() || d.Len() != 0 {
		return errBadValue
	}
	g.Merge(&o)
	return nil
}
