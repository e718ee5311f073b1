package ecs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/valyala/fastjson"
)

// A record is read member by member. Reset parses the whole record;
// ResetMembers, given where the top-level keys start (which the scanner's
// splitter notes as it finds the record's end), parses nothing up front: a
// top-level member is parsed the first time a field reads it, so a record
// whose rules read eventSource, eventName and userIdentity never parses its
// requestParameters or responseElements.

// member is one top-level member of the record.
type member struct {
	key    string          // unescaped
	raw    string          // as written, when it has escapes; else ""
	word   uint64          // keyWord(key)
	val    []byte          // the value as written (ResetMembers)
	v      *fastjson.Value // the parsed value, once parsed
	parsed bool
}

// errMember is the error of a record whose member does not parse.
var errMember = errors.New("member does not parse")

// ResetMembers is Reset for a record whose top-level members are located
// by offs, three offsets per member in order (as the scanner's splitter,
// reader.Decoder.KeyOffsets, reports them): the key's opening quote, the
// colon after it, and the comma or closing brace after the value. The
// record's JSON must already be checked (the splitter does): ResetMembers
// checks only that the offsets fit the record. Each member is parsed the
// first time a field reads it; one that does not parse reads as absent and
// makes Err report it.
func (r *Record) ResetMembers(raw []byte, offs []int32) error {
	r.next()
	r.members = r.members[:0]
	r.err, r.escaped = nil, false
	if len(offs)%3 != 0 || len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return fmt.Errorf("parse record: %w", ErrNotObject)
	}
	prev := 0
	for k := 0; k < len(offs); k += 3 {
		ko, co, eo := int(offs[k]), int(offs[k+1]), int(offs[k+2])
		if ko <= prev || co <= ko+1 || eo <= co || eo >= len(raw) || raw[ko] != '"' || raw[co] != ':' {
			return fmt.Errorf("parse record: bad member offsets %d %d %d", ko, co, eo)
		}
		prev = eo
		ke := co - 1 // the key's closing quote
		for ke > ko && raw[ke] != '"' {
			ke--
		}
		vs, ve := co+1, eo
		for vs < ve && isSpace(raw[vs]) {
			vs++
		}
		for ve > vs && isSpace(raw[ve-1]) {
			ve--
		}
		if ke <= ko || vs == ve {
			return fmt.Errorf("parse record: bad member offsets %d %d %d", ko, co, eo)
		}
		m := member{key: bytesView(raw[ko+1 : ke]), val: raw[vs:ve]}
		if bytes.IndexByte(raw[ko+1:ke], '\\') >= 0 {
			key, ok := unescapeKey(raw[ko : ke+1])
			if !ok {
				return fmt.Errorf("parse record: bad key at offset %d", ko)
			}
			m.key, m.raw = key, m.key
			r.escaped = true
		}
		m.word = keyWord(m.key)
		r.members = append(r.members, m)
	}
	if len(r.parsers) < len(r.members) {
		r.parsers = append(r.parsers, make([]fastjson.Parser, len(r.members)-len(r.parsers))...)
	}
	r.raw, r.lazy = raw, true
	return nil
}

// Err returns the error of a member that failed to parse since the last
// reset, nil when every member read so far parsed (always nil after Reset,
// which parses the whole record).
func (r *Record) Err() error { return r.err }

// top returns the parsed value of the top-level member named key, nil when
// there is none or it does not parse. Of duplicate keys the first counts,
// and, as in fastjson's Get (which Reset's whole parse answers with), a key
// written without escapes before one written with them.
func (r *Record) top(key string) *fastjson.Value {
	i := r.find(key)
	if i < 0 {
		return nil
	}
	m := &r.members[i]
	if !m.parsed {
		m.parsed = true
		v, err := r.parsers[i].ParseBytes(m.val)
		if err != nil {
			if r.err == nil {
				r.err = fmt.Errorf("%w: %s: %v", errMember, strconv.Quote(key), err)
			}
			return nil
		}
		m.v = v
	}
	return m.v
}

// find returns the index of the member top reads for key, -1 when none:
// the first written exactly as key, else the first that unescapes to it.
func (r *Record) find(key string) int {
	w := keyWord(key)
	for i := range r.members {
		if m := &r.members[i]; m.word == w && m.key == key && m.raw == "" {
			return i
		}
	}
	if !r.escaped {
		return -1
	}
	for i := range r.members {
		if r.members[i].key == key {
			return i
		}
	}
	return -1
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
	v := r.top(path[0])
	if v == nil || len(path) == 1 {
		return v
	}
	return v.Get(path[1:]...)
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

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

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

// keyWord packs a key's length and first bytes into one word, so that find
// compares most keys without reading them.
func keyWord(k string) uint64 {
	if len(k) >= 8 {
		w := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(k), 8))
		return w&(1<<56-1) | uint64(min(len(k), 255))<<56
	}
	var w uint64
	for i := 0; i < len(k); i++ {
		w |= uint64(k[i]) << (8 * i)
	}
	return w | uint64(len(k))<<56
}

// What plain finds.
const (
	plainAbsent = iota // no such member
	plainString        // a string written without escapes
	plainOther         // anything else: read it parsed
)

// plain returns the top-level member key's string when it is written
// without escapes, as a view of the record's bytes, without parsing it:
// the common case of the hottest fields (eventSource, eventName,
// sourceIPAddress, userAgent). Only after ResetMembers; plainOther after
// Reset.
func (r *Record) plain(key string) (string, int) {
	if !r.lazy {
		return "", plainOther
	}
	i := r.find(key)
	if i < 0 {
		return "", plainAbsent
	}
	v := r.members[i].val
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return "", plainOther
	}
	return bytesView(v[1 : len(v)-1]), plainString
}
