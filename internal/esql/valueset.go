package esql

import (
	"math"
	"slices"
	"strings"
	"time"
)

// valueSet is the distinct values of COUNT_DISTINCT and VALUES. Strings,
// the common values, are held as themselves: in a slice while few (most
// groups see one or two), in a map beyond. Other values are held under
// what valueKey would give them, where a float equal to an integer is that
// integer and a date is its millisecond: numbers and dates under an
// integer, the rest under valueKey itself. Of two values under one key
// the later stays. The zero value is an empty set.
type valueSet struct {
	strs []string
	*setMaps
}

// setMaps are a valueSet's maps, allocated for its first value that needs
// one: a group's aggregates keep a valueSet each, most of them strings only.
type setMaps struct {
	strM  map[string]struct{}
	nums  map[int64]any // int64, and float64 equal to one
	times map[int64]time.Time
	other map[string]any
}

// maps returns s's maps, allocated if need be.
func (s *valueSet) maps() *setMaps {
	if s.setMaps == nil {
		s.setMaps = &setMaps{}
	}
	return s.setMaps
}

// smallSet bounds the strings a set scans before it holds them in a map.
const smallSet = 8

func (s *valueSet) len() int {
	if s.setMaps == nil {
		return len(s.strs)
	}
	return len(s.strs) + len(s.strM) + len(s.nums) + len(s.times) + len(s.other)
}

// hasString reports whether string x is in s.
func (s *valueSet) hasString(x string) bool {
	if s.setMaps != nil && s.strM != nil {
		_, ok := s.strM[x]
		return ok
	}
	// The latest first: a group's rows often repeat the value before.
	if n := len(s.strs); n > 0 && s.strs[n-1] == x {
		return true
	}
	return slices.Contains(s.strs, x)
}

// addString adds string x, copied when it is new unless owned says the
// set may keep x itself.
func (s *valueSet) addString(x string, owned bool) {
	if s.hasString(x) {
		return
	}
	if !owned {
		x = strings.Clone(x)
	}
	if (s.setMaps == nil || s.strM == nil) && len(s.strs) < smallSet {
		s.strs = append(s.strs, x)
		return
	}
	m := s.maps()
	if m.strM == nil {
		m.strM = make(map[string]struct{}, 2*smallSet)
		for _, y := range s.strs {
			m.strM[y] = struct{}{}
		}
		s.strs = nil
	}
	m.strM[x] = struct{}{}
}

// add adds single value x, copied when it is a new string; any other
// value replaces the one under its key.
func (s *valueSet) add(x any) {
	switch v := x.(type) {
	case string:
		s.addString(v, false)
		return
	case int64:
		s.putNum(v, x)
		return
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 { // valueKey's integer
			s.putNum(int64(v), x)
			return
		}
	case time.Time:
		m := s.maps()
		if m.times == nil {
			m.times = map[int64]time.Time{}
		}
		m.times[v.UnixMilli()] = v
		return
	}
	s.putOther(valueKey(x), x)
}

func (s *valueSet) putNum(k int64, x any) {
	m := s.maps()
	if m.nums == nil {
		m.nums = map[int64]any{}
	}
	m.nums[k] = x
}

func (s *valueSet) putOther(k string, x any) {
	m := s.maps()
	if m.other == nil {
		m.other = map[string]any{}
	}
	m.other[k] = x
}

// merge adds the values of o, which keeps its own: they are shared.
func (s *valueSet) merge(o *valueSet) {
	for _, x := range o.strs {
		s.addString(x, true)
	}
	if o.setMaps == nil {
		return
	}
	for x := range o.strM {
		s.addString(x, true)
	}
	for k, v := range o.nums {
		s.putNum(k, v)
	}
	for _, v := range o.times {
		s.add(v)
	}
	for k, v := range o.other {
		s.putOther(k, v)
	}
}

// values returns the set's values, in no particular order.
func (s *valueSet) values() []any {
	vs := make([]any, 0, s.len())
	for _, x := range s.strs {
		vs = append(vs, x)
	}
	if s.setMaps == nil {
		return vs
	}
	for x := range s.strM {
		vs = append(vs, x)
	}
	for _, v := range s.nums {
		vs = append(vs, v)
	}
	for _, v := range s.times {
		vs = append(vs, v)
	}
	for _, v := range s.other {
		vs = append(vs, v)
	}
	return vs
}

// reset empties s, keeping the slice's storage.
func (s *valueSet) reset() {
	clear(s.strs)
	*s = valueSet{strs: s.strs[:0]}
}

// encEntry is a value's encoding (EncodeValue) as its type byte and the
// rest: a string's rest is the string, built without concatenating.
type encEntry struct {
	tag  byte
	rest string
}

// encodings returns the encodings of the set's values in increasing order
// (of the whole encodings' bytes), appended to dst.
func (s *valueSet) encodings(dst []encEntry) []encEntry {
	for _, x := range s.strs {
		dst = append(dst, encEntry{'s', x})
	}
	if s.setMaps != nil {
		for x := range s.strM {
			dst = append(dst, encEntry{'s', x})
		}
		for _, v := range s.nums {
			dst = appendEnc(dst, v)
		}
		for _, v := range s.times {
			dst = appendEnc(dst, v)
		}
		for _, v := range s.other {
			dst = appendEnc(dst, v)
		}
	}
	if len(dst) > 1 {
		slices.SortFunc(dst, func(a, b encEntry) int {
			if a.tag != b.tag {
				return int(a.tag) - int(b.tag)
			}
			return strings.Compare(a.rest, b.rest)
		})
	}
	return dst
}

func appendEnc(dst []encEntry, v any) []encEntry {
	e := EncodeValue(v)
	return append(dst, encEntry{e[0], e[1:]})
}
