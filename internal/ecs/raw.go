package ecs

import (
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// RawKind is the JSON type of a RawValue.
type RawKind uint8

// Raw value kinds.
const (
	RawNull RawKind = iota
	RawString
	RawNumber
	RawBool
	RawObject
	RawArray
)

// RawValue is one value of the raw record, as written (no ECS cleanup). It
// is valid until the next Reset of the Record it came from.
type RawValue struct {
	v *fastjson.Value // nil for a plain string
	s string          // a plain string: a view of the record's bytes
}

// Kind returns the value's JSON type.
func (v RawValue) Kind() RawKind {
	if v.v == nil {
		return RawString
	}
	switch v.v.Type() {
	case fastjson.TypeString:
		return RawString
	case fastjson.TypeNumber:
		return RawNumber
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return RawBool
	case fastjson.TypeObject:
		return RawObject
	case fastjson.TypeArray:
		return RawArray
	}
	return RawNull
}

// Text returns a scalar's text: a string's contents, a number as written,
// "true" or "false"; "" for null, objects and arrays.
func (v RawValue) Text() string {
	if v.v == nil {
		return strings.Clone(v.s)
	}
	switch v.v.Type() {
	case fastjson.TypeString:
		return string(v.v.GetStringBytes())
	case fastjson.TypeNumber:
		return string(v.v.MarshalTo(nil))
	case fastjson.TypeTrue:
		return "true"
	case fastjson.TypeFalse:
		return "false"
	}
	return ""
}

// Float returns a number, or a string holding a number, as a float64.
func (v RawValue) Float() (float64, bool) {
	if v.v == nil {
		f, err := strconv.ParseFloat(v.s, 64)
		return f, err == nil
	}
	switch v.v.Type() {
	case fastjson.TypeNumber:
		f, err := v.v.Float64()
		return f, err == nil
	case fastjson.TypeString:
		f, err := strconv.ParseFloat(string(v.v.GetStringBytes()), 64)
		return f, err == nil
	}
	return 0, false
}

// Leaves calls fn for every scalar (string, number, bool, null) at or below
// v, descending into objects and arrays in document order, and stops early
// when fn returns false. It returns false when stopped.
func (v RawValue) Leaves(fn func(RawValue) bool) bool {
	if v.v == nil {
		return fn(v)
	}
	return rawLeaves(v.v, fn, 0)
}

// maxRawDepth bounds the recursion of Leaves; fastjson itself refuses
// documents nested deeper than this.
const maxRawDepth = 300

func rawLeaves(v *fastjson.Value, fn func(RawValue) bool, depth int) bool {
	if depth > maxRawDepth {
		return true
	}
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		ok := true
		o.Visit(func(_ []byte, c *fastjson.Value) {
			if ok {
				ok = rawLeaves(c, fn, depth+1)
			}
		})
		return ok
	case fastjson.TypeArray:
		for _, c := range v.GetArray() {
			if !rawLeaves(c, fn, depth+1) {
				return false
			}
		}
		return true
	}
	return fn(RawValue{v: v})
}

// RawValues calls fn for each value at path in the raw record (not cleaned),
// stopping early when fn returns false; it returns false when stopped. An
// array met along the path is crossed: the rest of the path is followed in
// each of its elements. An array at the end of the path is flattened: fn
// sees its elements (recursively), never the array itself, and an empty
// array yields nothing. A null value is passed to fn (Kind RawNull); a
// missing key yields nothing. Example: path {"resources", "ARN"} yields the
// ARN of every element of resources.
func (r *Record) RawValues(path []string, fn func(RawValue) bool) bool {
	if !r.valid() {
		return true
	}
	if len(path) == 0 || !r.lazy {
		root := r.lookup()
		if root == nil {
			return true
		}
		return rawWalk(root, path, fn, 0)
	}
	e, used := r.walk(path)
	if e < 0 {
		return true
	}
	if used == len(path) {
		if s, ok := plainText(r.valueOf(e)); ok {
			return fn(RawValue{s: s})
		}
	}
	v := r.parsed(e)
	if v == nil {
		return true
	}
	return rawWalk(v, path[used:], fn, used)
}

func rawWalk(v *fastjson.Value, path []string, fn func(RawValue) bool, depth int) bool {
	if depth > maxRawDepth {
		return true
	}
	if v.Type() == fastjson.TypeArray {
		for _, e := range v.GetArray() {
			if !rawWalk(e, path, fn, depth+1) {
				return false
			}
		}
		return true
	}
	if len(path) == 0 {
		return fn(RawValue{v: v})
	}
	if v.Type() != fastjson.TypeObject {
		return true
	}
	c := v.Get(path[0])
	if c == nil {
		return true
	}
	return rawWalk(c, path[1:], fn, depth+1)
}
