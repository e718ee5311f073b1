package ecs

import (
	"unsafe"

	"github.com/valyala/fastjson"
)

// StrView is Str without the copy: the string shares the record's parsed
// bytes and is valid only until the next Reset. Use it for lookups that do
// not keep the string (an index, a map probe); keep a copy
// (strings.Clone) of anything retained.
func (r *Record) StrView(path ...string) string {
	if r.root == nil {
		return ""
	}
	v := r.root.Get(path...)
	if v == nil || v.Type() != fastjson.TypeString {
		return ""
	}
	b := v.GetStringBytes()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// AppendJSON appends what JSON(key) returns to dst, without the string.
func (r *Record) AppendJSON(dst []byte, key string) []byte {
	if r.root == nil {
		return dst
	}
	v := r.root.Get(key)
	if v == nil || v.Type() == fastjson.TypeNull {
		return dst
	}
	return appendJSON(dst, v)
}
