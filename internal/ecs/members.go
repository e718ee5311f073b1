package ecs

import (
	"errors"
	"fmt"
	"strconv"

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
	val    []byte          // the value as written (ResetMembers)
	v      *fastjson.Value // the parsed value, once parsed
	parsed bool
}

// errMember is the error of a record whose member does not parse.
var errMember = errors.New("member does not parse")

// ResetMembers is Reset for a record whose top-level keys start at the
// given offsets of raw (their opening quotes, in order, as the scanner's
// splitter reports them). The record's structure must already be checked:
// strings closed, brackets balanced. ResetMembers checks the top level
// (an object of key, colon, value, separated by commas) and parses each
// member the first time it is read; a member that does not parse makes
// Err report it from then on, and reads as absent.
func (r *Record) ResetMembers(raw []byte, keys []int32) error {
	r.next()
	r.members = r.members[:0]
	r.err, r.escaped = nil, false
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return fmt.Errorf("parse record: %w", ErrNotObject)
	}
	end := len(raw) - 1
	for end > i && isSpace(raw[end]) {
		end--
	}
	if raw[end] != '}' {
		return fmt.Errorf("parse record: want '}' at the end")
	}
	for k, off := range keys {
		ko := int(off)
		if ko <= i || ko >= end || raw[ko] != '"' {
			return fmt.Errorf("parse record: no key at offset %d", ko)
		}
		if k == 0 && skipSpace(raw, i+1) != ko {
			return fmt.Errorf("parse record: unexpected byte before the first key")
		}
		key, j, ok := scanKey(raw, ko)
		if !ok {
			return fmt.Errorf("parse record: bad key at offset %d", ko)
		}
		rawKey := ""
		if j-ko-2 != len(key) || string(raw[ko+1:j-1]) != key {
			rawKey = bytesView(raw[ko+1 : j-1])
			r.escaped = true
		}
		j = skipSpace(raw, j)
		if j >= end || raw[j] != ':' {
			return fmt.Errorf("parse record: want ':' after key %q", key)
		}
		start := skipSpace(raw, j+1)
		stop := end // the closing brace, or the comma before the next key
		if k+1 < len(keys) {
			stop = int(keys[k+1]) - 1
			for stop > start && isSpace(raw[stop]) {
				stop--
			}
			if raw[stop] != ',' {
				return fmt.Errorf("parse record: want ',' after member %q", key)
			}
		}
		e := stop
		for e > start && isSpace(raw[e-1]) {
			e--
		}
		if e <= start {
			return fmt.Errorf("parse record: member %q has no value", key)
		}
		r.members = append(r.members, member{key: key, raw: rawKey, val: raw[start:e]})
	}
	if len(keys) == 0 && skipSpace(raw, i+1) != end {
		return fmt.Errorf("parse record: unexpected byte in an empty object")
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
	for i := range r.members {
		if m := &r.members[i]; m.key == key && (m.raw == "" || !r.escaped) {
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

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// scanKey reads the JSON string whose opening quote is at b[i] and returns
// it unescaped (a view of b when it has no escape) and the index after the
// closing quote.
func scanKey(b []byte, i int) (string, int, bool) {
	j := i + 1
	esc := false
	for ; j < len(b); j++ {
		c := b[j]
		if c == '"' {
			break
		}
		if c == '\\' {
			esc = true
			j++
		}
	}
	if j >= len(b) {
		return "", 0, false
	}
	if !esc {
		return bytesView(b[i+1 : j]), j + 1, true
	}
	var p fastjson.Parser // rare: a key written with escapes
	v, err := p.ParseBytes(b[i : j+1])
	if err != nil {
		return "", 0, false
	}
	return string(v.GetStringBytes()), j + 1, true
}
