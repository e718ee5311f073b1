package ecs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/valyala/fastjson"
)

// A record is read member by member. Reset parses the whole record;
// ResetMembers is given the record's member index, which the scanner's
// splitter builds as it finds the record's end (reader.Decoder.Index), and
// parses nothing up front. A field whose path runs through objects to a
// string written without escapes (eventName, userIdentity.type,
// userIdentity.sessionContext.sessionIssuer.arn) is read straight from the
// record's bytes; any other value is parsed the first time a field reads
// it, on its own, so a record whose rules read eventSource, eventName and
// userIdentity never parses its requestParameters or responseElements.

// The layout of the member index, as reader.Decoder.Index documents it.
const (
	ixKey, ixColon, ixEnd, ixChild, ixNext, ixWidth = 0, 1, 2, 3, 4, 5
	ixEscaped                                       = 1 << 30
	ixSkipped                                       = -2 // ixChild of an object whose members are not indexed
)

// errMember is the error of a record whose member does not parse.
var errMember = errors.New("member does not parse")

// ResetMembers is Reset for a record with its member index idx, as
// reader.Decoder.Index returns it: for every member of the record and of
// the objects nested in it through objects only, in order, the offsets of
// its key's opening quote (ORed with 1<<30 when the key may hold escapes),
// of its colon and of the ',' or '}' after its value, then its value's
// first member and its next sibling (-1 for none). The record's JSON must
// already be checked (the splitter does), and idx must stay unchanged until
// the next reset. Offsets are checked when read: a bad one, or a value that
// does not parse, reads as absent and makes Err report it. A record holding
// an object where CloudTrail writes a string resets without error, as with
// Reset: Malformed reports it, and the scanner then evaluates no rule.
func (r *Record) ResetMembers(raw []byte, idx []int32) error {
	r.next()
	r.err = nil
	if len(idx)%ixWidth != 0 || len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return fmt.Errorf("parse record: %w", ErrNotObject)
	}
	n := len(idx) / ixWidth
	if cap(r.pgen) < n {
		r.pgen = make([]uint32, n, n+n/2)
		r.pval = make([]*fastjson.Value, n, n+n/2)
	}
	r.pgen, r.pval = r.pgen[:n], r.pval[:n]
	r.idx, r.nparse = idx, 0
	r.raw, r.lazy = raw, true
	return nil
}

// Err returns the error of a member that failed to parse since the last
// reset, nil when every member read so far parsed (always nil after Reset,
// which parses the whole record).
func (r *Record) Err() error { return r.err }

// bad notes a broken index entry or value (the first one).
func (r *Record) bad(e int, why string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: member %d: %s", errMember, e, why)
	}
}

// keyOf returns the bytes of member e's key as written (without quotes),
// and whether the key may hold escapes; nil for a bad entry.
func (r *Record) keyOf(e int) ([]byte, bool) {
	k, c := int(r.idx[e*ixWidth+ixKey]), int(r.idx[e*ixWidth+ixColon])
	esc := k&ixEscaped != 0
	k &^= ixEscaped
	if k < 0 || c <= k+1 || c >= len(r.raw) {
		r.bad(e, "key offsets out of the record")
		return nil, false
	}
	q := c - 1 // the closing quote, before any white space
	for q > k && r.raw[q] != '"' {
		q--
	}
	if q <= k {
		r.bad(e, "no key")
		return nil, false
	}
	return r.raw[k+1 : q], esc
}

// valueOf returns member e's value as written; nil for a bad entry.
func (r *Record) valueOf(e int) []byte {
	c, end := int(r.idx[e*ixWidth+ixColon]), int(r.idx[e*ixWidth+ixEnd])
	if c < 0 || end <= c+1 || end >= len(r.raw) {
		r.bad(e, "value offsets out of the record")
		return nil
	}
	v := r.raw[c+1 : end]
	for len(v) > 0 && isSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	if len(v) == 0 {
		r.bad(e, "empty value")
	}
	return v
}

// link returns field f (ixChild or ixNext) of member e, -1 for none or a
// bad link (links only point forward).
func (r *Record) link(e, f int) int {
	x := int(r.idx[e*ixWidth+f])
	if x < 0 {
		return -1
	}
	if x <= e || x >= len(r.pval) {
		r.bad(e, "bad link")
		return -1
	}
	return x
}

// find returns the member named key among the members starting at first
// and following their next links, -1 when none. As fastjson's Get (which
// Reset's whole parse answers with): the first written exactly as key,
// else the first that unescapes to it.
func (r *Record) find(first int, key string) int {
	idx, raw := r.idx, r.raw
	n := len(idx) / ixWidth
	escaped := false
	for e := first; e >= 0; {
		if e >= n {
			r.bad(e, "bad link")
			return -1
		}
		k, c := int(idx[e*ixWidth+ixKey]), int(idx[e*ixWidth+ixColon])
		if k&ixEscaped != 0 {
			escaped, k = true, k&^ixEscaped
		}
		if c-k-2 == len(key) && k >= 0 && c < len(raw) && raw[c-1] == '"' {
			if string(raw[k+1:c-1]) == key {
				return e
			}
		} else if c <= k+1 || c >= len(raw) || raw[c-1] != '"' { // white space before the colon, or a bad entry
			if kb, _ := r.keyOf(e); kb != nil && string(kb) == key {
				return e
			}
		}
		next := int(idx[e*ixWidth+ixNext])
		if next >= 0 && next <= e {
			r.bad(e, "bad link")
			return -1
		}
		e = next
	}
	if !escaped {
		return -1
	}
	for e := first; e >= 0; e = r.link(e, ixNext) {
		if k, esc := r.keyOf(e); esc && bytes.IndexByte(k, '\\') >= 0 {
			q := int(r.idx[e*ixWidth+ixKey] &^ ixEscaped) // the opening quote
			if u, ok := unescapeKey(r.raw[q : q+len(k)+2]); ok && u == key {
				return e
			}
		}
	}
	return -1
}

// tops is a hash table of the record's own members by key, built on the
// first lookup of a record: the view reads a score of them through many
// fields (userIdentity, eventName, errorCode), a third of them absent.
type topSlot struct {
	gen uint32 // the record the slot belongs to; a slot of another is empty
	e   int32
}

// keyHash hashes a key's bytes for tops.
func keyHash(k []byte) uint64 {
	var w uint64
	if len(k) >= 8 {
		w = binary.LittleEndian.Uint64(k)
	} else {
		for i, c := range k {
			w |= uint64(c) << (8 * i)
		}
	}
	return ((w ^ uint64(len(k))<<56) * 0x9e3779b97f4a7c15) >> 57 // 128 slots
}

// buildTops fills r.tops with the record's own members, the first of
// duplicate keys; r.topsOK is false when a key holds escapes or white
// space precedes a colon (find then answers). It also notes, for
// Malformed, the members whose value is an object or an array
// (noteComposite).
func (r *Record) buildTops() {
	r.topsGen, r.topsOK, r.ncomp = r.gen, false, 0
	idx, raw, n := r.idx, r.raw, len(r.idx)/ixWidth
	for e, count := 0, 0; e >= 0 && n > 0; count++ {
		if count == len(r.tops)/2 {
			return // a record of a hundred members: not worth a table
		}
		k, c := int(idx[e*ixWidth+ixKey]), int(idx[e*ixWidth+ixColon])
		if k&ixEscaped != 0 || k < 0 || c <= k+1 || c+1 >= len(raw) || raw[c-1] != '"' {
			return
		}
		if v := raw[c+1]; v|0x20 == '{' || v <= ' ' { // '[' is '{' less 0x20
			r.noteComposite(e, k, c)
		}
		key := raw[k+1 : c-1]
		for i := keyHash(key); ; i = (i + 1) % uint64(len(r.tops)) {
			s := &r.tops[i]
			if s.gen != r.gen {
				s.gen, s.e = r.gen, int32(e)
				break
			}
			if string(tableKey(raw, idx, int(s.e))) == string(key) {
				break // a duplicate: the first counts
			}
		}
		next := int(idx[e*ixWidth+ixNext])
		if next >= n || (next >= 0 && next <= e) {
			return
		}
		e = next
	}
	r.topsOK = true
}

// noteComposite notes in r.comp the record's member e, whose key's quote
// is at k and colon at c (checked by buildTops), when its value is an
// object or an array and its key may be one Malformed checks (keySigs).
// Out of buildTops' loop, which it would slow: only a few members of a
// record have composite values.
//
//go:noinline
func (r *Record) noteComposite(e, k, c int) {
	if v := firstByte(r.raw, c+1); v != '{' && v != '[' {
		return
	}
	if keySigs[levelTop]&(1<<keySig(r.raw[k+1:c-1])) == 0 {
		return
	}
	if r.ncomp < len(r.comp) {
		r.comp[r.ncomp] = int32(e)
	}
	r.ncomp++
}

// tableKey returns the key of member e of r.tops: buildTops admits only
// keys without escapes whose closing quote is just before the colon.
func tableKey(raw []byte, idx []int32, e int) []byte {
	return raw[int(idx[e*ixWidth+ixKey])+1 : int(idx[e*ixWidth+ixColon])-1]
}

// findTop is find among the record's own members, through r.tops.
func (r *Record) findTop(key string) int {
	if r.topsGen != r.gen {
		r.buildTops()
	}
	if !r.topsOK {
		return r.find(0, key)
	}
	kb := unsafe.Slice(unsafe.StringData(key), len(key))
	idx, raw := r.idx, r.raw
	for i, probes := keyHash(kb), 0; probes < len(r.tops); i, probes = (i+1)%uint64(len(r.tops)), probes+1 {
		s := &r.tops[i]
		if s.gen != r.gen {
			return -1
		}
		o := int(s.e)
		if string(tableKey(raw, idx, o)) == key {
			return o
		}
	}
	return -1 // never: the table is at most half full
}

// walk follows path from the record through the index as far as objects
// go. It returns the member reached and how many elements of path it
// consumed: all of them, or fewer when the value reached is not an object
// (an array, whose elements are not indexed, or a scalar); e < 0 when a
// key is absent.
//
// The object a path enters first is remembered (inner): the view reads
// half a dozen fields of userIdentity per record, and each would find
// userIdentity among the record's members and its first member again.
func (r *Record) walk(path []string) (e, used int) {
	if len(r.pval) == 0 {
		return -1, 0
	}
	if len(path) > 1 && r.inner.gen == r.gen && r.inner.key == path[0] {
		e, used = r.find(r.inner.child, path[1]), 2
	} else {
		e, used = r.findTop(path[0]), 1
	}
	for e >= 0 && used < len(path) {
		v := r.valueOf(e)
		if len(v) == 0 || v[0] != '{' {
			return e, used
		}
		if r.skipped(e) {
			return e, used // read from its bytes, as an array
		}
		e = r.link(e, ixChild)
		if e < 0 {
			return -1, used // an empty object
		}
		if used == 1 {
			r.inner = innerObject{gen: r.gen, key: path[0], child: e}
		}
		e = r.find(e, path[used])
		used++
	}
	return e, used
}

// skipped reports whether member e's value is an object the index leaves
// out (reader.DecodeOptions.Index): its members must be read from it
// parsed. It counts the reads that parse it (Unindexed): not those of an
// object parsed already, for this record.
func (r *Record) skipped(e int) bool {
	if r.idx[e*ixWidth+ixChild] != ixSkipped {
		return false
	}
	if r.pgen[e] != r.gen {
		r.unindexed++
	}
	return true
}

// Unindexed returns how many times, since the Record was made, a field
// read into an object the member index left out
// (reader.DecodeOptions.Index) and parsed it for that: zero when the index
// holds all a rule set reads.
func (r *Record) Unindexed() int { return r.unindexed }

// innerObject is the record's member key, an object, and its first
// member, for the record of generation gen (walk).
type innerObject struct {
	gen   uint32
	key   string
	child int
}

// parsed returns member e's value parsed, once per record; nil when it
// does not parse.
func (r *Record) parsed(e int) *fastjson.Value {
	if r.pgen[e] == r.gen {
		return r.pval[e]
	}
	r.pgen[e], r.pval[e] = r.gen, nil
	v := r.valueOf(e)
	if v == nil {
		return nil
	}
	if r.nparse == len(r.parsers) {
		r.parsers = append(r.parsers, fastjson.Parser{})
	}
	p := &r.parsers[r.nparse]
	r.nparse++
	pv, err := p.ParseBytes(v)
	if err != nil {
		r.bad(e, err.Error())
		return nil
	}
	r.pval[e] = pv
	return pv
}

// lookup returns the raw value at path (not cleaned), nil when absent: the
// record itself for an empty path.
func (r *Record) lookup(path ...string) *fastjson.Value {
	if !r.valid() {
		return nil
	}
	if !r.lazy {
		return r.root.Get(path...)
	}
	if len(path) == 0 {
		return r.whole()
	}
	e, used := r.walk(path)
	if e < 0 {
		return nil
	}
	v := r.parsed(e)
	if v == nil || used == len(path) {
		return v
	}
	return v.Get(path[used:]...)
}

// whole returns the whole record parsed, parsing it once per record after
// ResetMembers.
func (r *Record) whole() *fastjson.Value {
	if r.root != nil {
		return r.root
	}
	v, err := r.parser.ParseBytes(r.raw)
	if err != nil || v.Type() != fastjson.TypeObject {
		if r.err == nil {
			r.err = fmt.Errorf("%w: the record: %v", errMember, err)
		}
		return nil
	}
	r.root = v
	return v
}

// What plain finds.
const (
	plainAbsent = iota // no such member
	plainString        // a string written without escapes
	plainOther         // anything else: read it parsed
)

// plain returns the string at path when the path runs through objects to
// a string written without escapes, as a view of the record's bytes,
// without parsing anything: the common case of the hottest fields
// (eventName, sourceIPAddress, userIdentity.type). Only after
// ResetMembers; plainOther after Reset.
func (r *Record) plain(path ...string) (string, int) {
	if !r.lazy || len(path) == 0 {
		return "", plainOther
	}
	e, used := r.walk(path)
	if e < 0 {
		return "", plainAbsent
	}
	if used < len(path) {
		return "", plainOther
	}
	if s, ok := plainText(r.valueOf(e)); ok {
		return s, plainString
	}
	return "", plainOther
}

// plainText returns the text of v, a value as written, when it is a string
// without escapes: a view of its bytes.
func plainText(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	return bytesView(v[1 : len(v)-1]), true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// firstByte returns the first byte from raw[i] on that is not white space,
// 0 when there is none.
func firstByte(raw []byte, i int) byte {
	for ; i >= 0 && i < len(raw); i++ {
		if c := raw[i]; !isSpace(c) {
			return c
		}
	}
	return 0
}

// unescapeKey returns the JSON string literal q (quotes included)
// unescaped.
func unescapeKey(q []byte) (string, bool) {
	var p fastjson.Parser // rare: a key written with escapes
	v, err := p.ParseBytes(q)
	if err != nil || v.Type() != fastjson.TypeString {
		return "", false
	}
	return string(v.GetStringBytes()), true
}
