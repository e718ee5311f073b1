package ecs

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// Options configure a Record.
type Options struct {
	// Ingested is the stand-in for event.ingested (the scan's start time,
	// truncated to seconds). The zero time leaves event.ingested absent.
	Ingested time.Time
}

// ErrNotObject is returned by Reset when the record is valid JSON but not an object.
var ErrNotObject = errors.New("record is not a JSON object")

// The four object fields printed as Java HashMap strings, by index.
const (
	objRequest = iota
	objResponse
	objAdditional
	objServiceEvent
	numObjs
)

// objKeys are the raw record keys of the four object fields.
var objKeys = [numObjs]string{"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"}

// maxFlattened is the length (in UTF-16 units) from which Elastic no longer
// keeps an object under aws.cloudtrail.flattened.
const maxFlattened = 32766

// Record is the ECS view of one raw CloudTrail record. Not safe for concurrent use;
// a worker reuses one Record for many records through Reset.
type Record struct {
	ingested string
	parser   fastjson.Parser
	raw      []byte
	root     *fastjson.Value // nil when the last Reset failed
	gen      uint32          // incremented by Reset; caches are valid when their gen matches
	cache    []slot          // indexed by Field.id
	pr       printer

	actorGen  uint32 // who: service actor, user name, moved UserName
	service   string
	userName  string
	hasUser   bool
	movedUser bool

	objGen  [numObjs]uint32
	objStr  [numObjs]string
	objOK   [numObjs]bool
	objFlat [numObjs]bool            // present and shorter than maxFlattened UTF-16 units
	objVal  [numObjs]*fastjson.Value // the raw object, nil when absent
	flatGen [numObjs]uint32          // flattened's, after ResetMembers
	flatVal [numObjs]*fastjson.Value
	flatOK  [numObjs]bool

	lazy    bool              // set by ResetMembers: members are parsed when read
	idx     []int32           // the member index given to ResetMembers
	pgen    []uint32          // per member: the gen of pval
	pval    []*fastjson.Value // per member: its value parsed
	parsers []fastjson.Parser // one per value parsed in the record
	nparse  int               // parsers in use
	err     error             // the first member that failed to parse
	tops    [128]topSlot      // the record's own members by key (findTop)
	topsGen uint32            // the record tops was built for
	topsOK  bool              // tops can answer
	comp    [16]int32         // the record's members whose value is composite, for Malformed (buildTops)
	ncomp   int               // how many buildTops found; more than len(comp): not all noted

	typeGen uint32 // the record typeErr belongs to
	typeErr error  // Malformed's answer

	memo      []memoSlot  // per predicate id: its outcome on the record of gen (Memo)
	inner     innerObject // the object a path entered last, from the record (walk)
	unindexed int         // reads of objects the index left out (Unindexed)

	stashGen uint32 // the record stash belongs to
	stash    []stashEntry
}

// memoSlot is one predicate's outcome on the record of generation gen.
type memoSlot struct {
	gen uint32
	v   bool
}

type stashEntry struct{ key, val any }

// slot caches one field's values for the record of generation gen.
type slot struct {
	gen  uint32
	vals []Value
}

// NewRecord returns an empty Record: every field is absent until Reset.
func NewRecord(opts Options) *Record {
	r := &Record{}
	if !opts.Ingested.IsZero() {
		r.ingested = opts.Ingested.UTC().Format(time.RFC3339)
	}
	return r
}

// Reset parses raw (one JSON object) and clears every cached field.
// raw must stay unchanged until the next Reset. On error the Record is
// empty: every field is absent and the raw accessors return zero values.
func (r *Record) Reset(raw []byte) error {
	r.next()
	v, err := r.parser.ParseBytes(raw)
	if err != nil {
		return fmt.Errorf("parse record: %w", err)
	}
	if v.Type() != fastjson.TypeObject {
		return fmt.Errorf("parse record: %w (got %s)", ErrNotObject, v.Type())
	}
	r.raw, r.root = raw, v
	return nil
}

// next starts a new record: every cache is stale, every field absent.
func (r *Record) next() {
	r.gen++
	if r.gen == 0 { // wrapped: invalidate every cache explicitly, once per 2^32 records
		for i := range r.cache {
			r.cache[i].gen = 0
		}
		r.actorGen = 0
		r.tops, r.topsGen = [128]topSlot{}, 0
		r.objGen = [numObjs]uint32{}
		r.flatGen = [numObjs]uint32{}
		r.typeGen = 0
		r.inner = innerObject{}
		clear(r.memo)
		r.stashGen = 0
		r.gen = 1
	}
	r.raw, r.root, r.lazy, r.err = nil, nil, false, nil
}

// valid reports whether the last reset succeeded.
func (r *Record) valid() bool { return r.raw != nil }

// Values returns the values of f after cleanup, nil when the field is absent.
// The slice is owned by the Record and valid until the next Reset; callers
// must not modify it. Its strings may share the record's parsed bytes and
// are valid only until the next Reset as well: compare them freely, but keep
// a copy (strings.Clone) of any string retained across records (findings,
// aggregate keys).
func (r *Record) Values(f Field) []Value {
	if f.id <= 0 || !r.valid() {
		return nil
	}
	if f.id >= len(r.cache) {
		infos := *registry.infos.Load()
		grown := make([]slot, len(infos))
		copy(grown, r.cache)
		r.cache = grown
	}
	s := &r.cache[f.id]
	if s.gen != r.gen {
		compute := (*registry.infos.Load())[f.id]
		s.vals = compute(r, s.vals[:0])
		s.gen = r.gen
	}
	if len(s.vals) == 0 {
		return nil
	}
	return s.vals
}

// Memo returns the outcome SetMemo noted for predicate id on the current
// record; ok is false when none was noted since the last reset. Ids are
// small non-negative integers a caller assigns to predicates whose outcome
// depends only on the record (the rule engine interns them process-wide,
// so that every rule set sharing a Record agrees on them).
func (r *Record) Memo(id int32) (v, ok bool) {
	if int(id) < len(r.memo) {
		if s := r.memo[id]; s.gen == r.gen {
			return s.v, true
		}
	}
	return false, false
}

// SetMemo notes v as the outcome of predicate id on the current record.
// The table grows to the largest id seen, once; after that it allocates
// nothing.
func (r *Record) SetMemo(id int32, v bool) {
	if int(id) >= len(r.memo) {
		grown := make([]memoSlot, max(int(id)+1, 2*len(r.memo)))
		copy(grown, r.memo)
		r.memo = grown
	}
	r.memo[id] = memoSlot{gen: r.gen, v: v}
}

// Raw returns the bytes given to the last successful Reset, nil otherwise.
func (r *Record) Raw() []byte { return r.raw }

// Str returns the string at path in the raw record (not cleaned), "" when
// it is absent or not a string. Example: r.Str("userIdentity", "arn").
func (r *Record) Str(path ...string) string {
	v := r.lookup(path...)
	if v == nil || v.Type() != fastjson.TypeString {
		return ""
	}
	return string(v.GetStringBytes())
}

// JSON returns the compact JSON of the top-level key as written in the raw
// record (not cleaned; strings re-escaped minimally), "" when the key is
// absent or null.
func (r *Record) JSON(key string) string {
	if b, ok := r.canonical(key); ok {
		return string(b)
	}
	v := r.lookup(key)
	if v == nil || v.Type() == fastjson.TypeNull {
		return ""
	}
	return string(appendJSON(nil, v))
}

// EventTime returns eventTime parsed as RFC 3339, in UTC; false when it is
// absent or does not parse.
func (r *Record) EventTime() (time.Time, bool) {
	s := r.StrView("eventTime")
	if t, ok := parseUTCSeconds(s); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339Nano, s) // Parse keeps no part of a value it accepts
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// appendJSON appends v as compact JSON. Numbers keep their text; strings are
// escaped only where JSON requires it.
func appendJSON(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		dst = append(dst, '{')
		first := true
		v.GetObject().Visit(func(k []byte, c *fastjson.Value) {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSON(dst, c)
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		dst = append(dst, '[')
		for i, e := range v.GetArray() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e)
		}
		return append(dst, ']')
	case fastjson.TypeString:
		return appendJSONString(dst, v.GetStringBytes())
	case fastjson.TypeNumber:
		return append(dst, numberText(v)...)
	case fastjson.TypeTrue:
		return append(dst, "true"...)
	case fastjson.TypeFalse:
		return append(dst, "false"...)
	}
	return append(dst, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// numberText returns the text of a JSON number as written.
func numberText(v *fastjson.Value) string {
	var tmp [32]byte
	return string(v.MarshalTo(tmp[:0]))
}

// emptyString reports whether cleanup drops the string s.
func emptyString(s []byte) bool {
	switch string(s) {
	case "", "-", "none":
		return true
	}
	return false
}

// dropped reports whether cleanup removes v: null, "", "-", "none", or a map
// or list with nothing left after cleanup.
func dropped(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeNull:
		return true
	case fastjson.TypeString:
		return emptyString(v.GetStringBytes())
	case fastjson.TypeObject:
		all := true
		v.GetObject().Visit(func(_ []byte, c *fastjson.Value) {
			if all && !dropped(c) {
				all = false
			}
		})
		return all
	case fastjson.TypeArray:
		for _, e := range v.GetArray() {
			if !dropped(e) {
				return false
			}
		}
		return true
	}
	return false
}

// get returns the value at path after cleanup, nil when absent.
func (r *Record) get(path ...string) *fastjson.Value {
	v := r.lookup(path...)
	if v == nil || dropped(v) {
		return nil
	}
	return v
}

// text returns the keyword text of the cleaned scalar at path: a string
// as is, a number as Java prints it, a boolean as "true"/"false".
func (r *Record) text(path ...string) (string, bool) {
	if r.lazy {
		switch s, st := r.plain(path...); st {
		case plainAbsent:
			return "", false
		case plainString:
			return s, !emptyString(bytesOf(s))
		}
	}
	v := r.get(path...)
	if v == nil {
		return "", false
	}
	return scalarText(v)
}

// scalarText returns the keyword text of a scalar v; false for maps, lists and null.
func scalarText(v *fastjson.Value) (string, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		return bytesView(v.GetStringBytes()), true // valid until the next Reset, like every Value
	case fastjson.TypeNumber:
		return string(appendJavaNumber(nil, numberText(v))), true
	case fastjson.TypeTrue:
		return "true", true
	case fastjson.TypeFalse:
		return "false", true
	}
	return "", false
}

// object returns the Java HashMap string of object field i (objRequest…)
// after cleanup, and whether it is present.
func (r *Record) object(i int) (string, bool) {
	if r.objGen[i] == r.gen {
		return r.objStr[i], r.objOK[i]
	}
	r.objGen[i] = r.gen
	r.objStr[i], r.objOK[i], r.objFlat[i] = "", false, false
	v := r.lookup(objKeys[i])
	r.objVal[i] = v
	if v == nil {
		return "", false
	}
	skip := ""
	if i == objAdditional && r.who().movedUser {
		skip = "UserName"
	}
	r.objStr[i], r.objOK[i] = r.pr.String(v, skip)
	r.objFlat[i] = r.objOK[i] && utf16Len(r.objStr[i]) < maxFlattened
	return r.objStr[i], r.objOK[i]
}

// flattened reports whether Elastic keeps object field i under
// aws.cloudtrail.flattened (present, and its HashMap string shorter than
// maxFlattened), with the raw object; computed once per record.
func (r *Record) flattened(i int) (*fastjson.Value, bool) {
	if r.lazy {
		if r.flatGen[i] == r.gen {
			return r.flatVal[i], r.flatOK[i]
		}
		// The HashMap string is at most four times the member's JSON (a
		// number's Java form adds up to three characters, ", " one per
		// element, and nothing else grows): a short member is kept
		// whenever cleanup leaves something, without printing it.
		if e := r.findTop(objKeys[i]); e >= 0 {
			if b := r.valueOf(e); 4*len(b)+16 < maxFlattened {
				v := r.parsed(e)
				r.flatGen[i], r.flatVal[i], r.flatOK[i] = r.gen, v, v != nil && !dropped(v)
				return r.flatVal[i], r.flatOK[i]
			}
		}
	}
	r.object(i)
	return r.objVal[i], r.objFlat[i]
}

// flattenedLeaves appends the leaves of aws.cloudtrail.flattened.<obj>.<path>:
// every cleaned scalar whose dotted key path is exactly path, across arrays,
// each as a string; every scalar of the object when path is "". The object
// is absent when its HashMap string is 32,766 UTF-16 units or longer.
func (r *Record) flattenedLeaves(dst []Value, obj int, path string) []Value {
	v, ok := r.flattened(obj)
	if !ok {
		return dst
	}
	skip := ""
	if obj == objAdditional && r.who().movedUser {
		skip = "UserName"
	}
	return leaves(dst, v, path, skip)
}

// leaves appends the scalars under v at the dotted path (all of them when
// path is ""), skipping the key skip of v itself when v is a map.
func leaves(dst []Value, v *fastjson.Value, path, skip string) []Value {
	switch v.Type() {
	case fastjson.TypeObject:
		v.GetObject().Visit(func(k []byte, c *fastjson.Value) {
			key := string(k)
			if skip != "" && key == skip {
				return
			}
			switch {
			case path == "":
				dst = leaves(dst, c, "", "")
			case path == key:
				dst = exactLeaves(dst, c)
			case len(path) > len(key) && path[len(key)] == '.' && strings.HasPrefix(path, key):
				dst = leaves(dst, c, path[len(key)+1:], "")
			}
		})
	case fastjson.TypeArray:
		for _, e := range v.GetArray() {
			dst = leaves(dst, e, path, "")
		}
	default:
		if path == "" {
			dst = exactLeaves(dst, v)
		}
	}
	return dst
}

// exactLeaves appends v when it is a scalar that survives cleanup, and the
// scalars of v when it is a list (of lists) of them; maps hold no leaf here.
func exactLeaves(dst []Value, v *fastjson.Value) []Value {
	if v.Type() == fastjson.TypeArray {
		for _, e := range v.GetArray() {
			dst = exactLeaves(dst, e)
		}
		return dst
	}
	if dropped(v) {
		return dst
	}
	if s, ok := scalarText(v); ok {
		dst = append(dst, Value{Kind: KindString, S: s})
	}
	return dst
}

// parseUTCSeconds parses the form CloudTrail writes, 2006-01-02T15:04:05Z,
// as time.Parse(time.RFC3339Nano, s) does; false for any other form (which
// time.Parse then reads) or an out-of-range field.
func parseUTCSeconds(s string) (time.Time, bool) {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	return time.Unix(unixDays(y, mo, d)*86400+int64(h*3600+mi*60+sec), 0).UTC(), true
}

// unixDays returns the days from 1970-01-01 to the proleptic Gregorian date
// y-mo-d, by the usual era arithmetic (eras of 400 years, years from March).
func unixDays(y, mo, d int) int64 {
	if mo <= 2 {
		y--
	}
	era := y / 400
	if y < 0 { // year 0's January and February: floor, not truncate
		era = (y - 399) / 400
	}
	yoe := y - era*400
	m := mo + 9
	if mo > 2 {
		m = mo - 3
	}
	doy := (153*m+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// daysIn returns the number of days of month m (1-12) of year y.
func daysIn(m, y int) int {
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 29
	}
	return int(monthDays[m])
}

var monthDays = [13]uint8{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// Stashed returns what Stash stored under key for the current record; false
// when nothing was since the last reset.
func (r *Record) Stashed(key any) (any, bool) {
	if r.stashGen != r.gen {
		return nil, false
	}
	for _, e := range r.stash {
		if e.key == key {
			return e.val, true
		}
	}
	return nil, false
}

// Releaser is a stashed value that can be reused once its record is gone:
// Stash calls Release when it forgets the value, at the first Stash after
// a reset (a value Stash replaces is not released).
type Releaser interface{ Release() }

// Stash stores val under key (a comparable value) for the current
// record: what a reader derived from it and means to read again before
// the next record (a rule's evaluation shared by its matcher and its
// aggregate events). A reset forgets every entry.
func (r *Record) Stash(key, val any) {
	if r.stashGen != r.gen {
		for _, e := range r.stash {
			if v, ok := e.val.(Releaser); ok {
				v.Release()
			}
		}
		clear(r.stash) // let the previous record's values go
		r.stash, r.stashGen = r.stash[:0], r.gen
	}
	for i := range r.stash {
		if r.stash[i].key == key {
			r.stash[i].val = val
			return
		}
	}
	r.stash = append(r.stash, stashEntry{key, val})
}
