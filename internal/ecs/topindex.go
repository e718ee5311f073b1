package ecs

import (
	"unsafe"

	"github.com/valyala/fastjson"
)

// topIndex is a hash table of the record's top-level keys, built on the
// first lookup after a Reset: the rules read a few dozen top-level keys of
// every record (many absent), and fastjson finds a key by comparing it with
// each key in turn.
type topIndex struct {
	gen    uint32 // the Record generation the table is for
	linear bool   // too many keys: use fastjson's lookup
	keys   []string
	vals   []*fastjson.Value
	tab    [topSlots]uint8 // 1 + index into keys, 0 for an empty slot
}

const (
	topSlots = 128
	topMax   = 48 // at most this many keys are indexed (CloudTrail has about 20)
)

func topHash(k string) int {
	if len(k) == 0 {
		return 0
	}
	return (len(k)*31 + int(k[0])*7 + int(k[len(k)-1])*3 + int(k[len(k)/2])) & (topSlots - 1)
}

// top returns the value of the top-level key k (the first of duplicate
// keys, as fastjson's Get), nil when absent. r.root must be set.
func (r *Record) top(k string) *fastjson.Value {
	x := &r.idx
	if x.gen != r.gen {
		r.buildTop()
	}
	if x.linear {
		return r.root.Get(k)
	}
	for h := topHash(k); ; h = (h + 1) & (topSlots - 1) {
		i := x.tab[h]
		if i == 0 {
			return nil
		}
		if x.keys[i-1] == k {
			return x.vals[i-1]
		}
	}
}

func (r *Record) buildTop() {
	x := &r.idx
	x.gen = r.gen
	x.linear = false
	x.tab = [topSlots]uint8{}
	x.keys, x.vals = x.keys[:0], x.vals[:0]
	o, _ := r.root.Object()
	if o == nil || o.Len() > topMax {
		x.linear = true
		return
	}
	o.Visit(func(kb []byte, v *fastjson.Value) {
		var k string
		if len(kb) > 0 {
			k = unsafe.String(&kb[0], len(kb)) // the parser's bytes, valid until the next Reset
		}
		h := topHash(k)
		for ; x.tab[h] != 0; h = (h + 1) & (topSlots - 1) {
			if x.keys[x.tab[h]-1] == k {
				return // a duplicate key: the first counts
			}
		}
		x.keys = append(x.keys, k)
		x.vals = append(x.vals, v)
		x.tab[h] = uint8(len(x.keys))
	})
}

// lookup is r.root.Get(path...) with the top-level key found through the
// index; nil when the last Reset failed.
func (r *Record) lookup(path ...string) *fastjson.Value {
	if r.root == nil {
		return nil
	}
	if len(path) == 0 {
		return r.root
	}
	v := r.top(path[0])
	if v == nil || len(path) == 1 {
		return v
	}
	return v.Get(path[1:]...)
}
