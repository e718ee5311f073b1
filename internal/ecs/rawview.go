package ecs

import (
	"unsafe"

	"github.com/valyala/fastjson"
)

// TextView is Text without the copy for strings: the string shares the
// record's parsed bytes and is valid only until the next Reset of the Record
// the value came from. Use it for comparisons that keep no part of it.
func (v RawValue) TextView() string {
	if v.v == nil {
		return v.s
	}
	if v.v.Type() == fastjson.TypeString {
		b := v.v.GetStringBytes()
		if len(b) == 0 {
			return ""
		}
		return unsafe.String(&b[0], len(b))
	}
	return v.Text()
}

// textView is text without the copy for strings: a view of the record's
// bytes, valid until the next Reset. For values compared, never kept.
func (r *Record) textView(path ...string) (string, bool) {
	if r.lazy {
		switch s, st := r.plain(path...); st {
		case plainAbsent:
			return "", false
		case plainString:
			if emptyString(bytesOf(s)) {
				return "", false
			}
			return s, true
		}
	}
	v := r.get(path...)
	if v == nil {
		return "", false
	}
	if v.Type() == fastjson.TypeString {
		b := v.GetStringBytes()
		if len(b) == 0 {
			return "", true
		}
		return unsafe.String(&b[0], len(b)), true
	}
	return scalarText(v)
}

// bytesView returns b as a string without copying: valid as long as b is
// unchanged, that is until the next Reset for the record's parsed bytes.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// bytesOf returns s's bytes without copying, for reading only.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
