package esql

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestValueSet checks valueSet against the set it replaced: a map from
// valueKey to the latest value under it. Its values, its size and its
// encodings (sorted EncodeValue bytes, as AppendState writes them) must
// agree, whether built by add, by merge of two sets or through a small set
// growing past smallSet strings.
func TestValueSet(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	pool := []any{int64(2), 2.0, 2.5, int64(-1), true, false, t0, t0.Add(time.Millisecond), t0.Add(time.Hour), "", "a"}
	for i := range 3 * smallSet {
		pool = append(pool, fmt.Sprintf("s%02d", i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := rng.IntN(4 * smallSet)
		ref, refL, refR := map[string]any{}, map[string]any{}, map[string]any{}
		var whole, left, right valueSet
		for i := range n {
			x := pool[rng.IntN(len(pool))]
			ref[valueKey(x)] = x
			whole.add(x)
			if i%2 == 0 {
				refL[valueKey(x)] = x
				left.add(x)
			} else {
				refR[valueKey(x)] = x
				right.add(x)
			}
		}
		left.merge(&right)
		for k, v := range refR { // the old merge: the other set's value stays
			refL[k] = v
		}
		for name, s := range map[string]*valueSet{"added": &whole, "merged": &left} {
			ref := ref
			if name == "merged" {
				ref = refL
			}
			var want []string
			var wantVals []any
			for _, v := range ref {
				want = append(want, EncodeValue(v))
				wantVals = append(wantVals, v)
			}
			slices.Sort(want)
			sortValues(wantVals)
			if s.len() != len(ref) {
				t.Errorf("round %d %s: len %d, want %d", round, name, s.len(), len(ref))
			}
			var got []string
			for _, e := range s.encodings(nil) {
				got = append(got, string(e.tag)+e.rest)
			}
			if !slices.Equal(got, want) {
				t.Errorf("round %d %s: encodings %q, want %q", round, name, got, want)
			}
			vals := s.values()
			sortValues(vals)
			if fmt.Sprint(vals) != fmt.Sprint(wantVals) {
				t.Errorf("round %d %s: values %v, want %v", round, name, vals, wantVals)
			}
		}
	}
}
