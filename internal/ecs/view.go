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
	s, _ := r.StrViewKnown(path...)
	return s
}

// StrViewKnown is StrView that also tells an absent value or a string
// (true) from a value that is present but not a string (false, with ""):
// absent means a key missing where every value along path is an object;
// a path that meets anything else on the way (an array, whose elements
// may hold the rest of it) is not known either.
func (r *Record) StrViewKnown(path ...string) (string, bool) {
	if r.lazy {
		switch s, st := r.plain(path...); st {
		case plainAbsent:
			return "", true
		case plainString:
			return s, true
		}
	}
	v := r.lookup(path...)
	if v == nil {
		for i := 1; i < len(path); i++ {
			if p := r.lookup(path[:i]...); p == nil {
				break
			} else if p.Type() != fastjson.TypeObject {
				return "", false
			}
		}
		return "", true
	}
	if v.Type() != fastjson.TypeString {
		return "", false
	}
	b := v.GetStringBytes()
	if len(b) == 0 {
		return "", true
	}
	return unsafe.String(&b[0], len(b)), true
}

// AppendJSON appends what JSON(key) returns to dst, without the string.
func (r *Record) AppendJSON(dst []byte, key string) []byte {
	if b, ok := r.canonical(key); ok {
		return append(dst, b...)
	}
	v := r.lookup(key)
	if v == nil || v.Type() == fastjson.TypeNull {
		return dst
	}
	return appendJSON(dst, v)
}

// StrViews sets dst[i] to StrView(append(parent, keys[i])...) for every i,
// in one pass over the object at parent: "" for a key that is absent or not
// a string; the first of duplicate keys counts, as for StrView. At most 64
// keys; len(dst) must be at least len(keys). The views are valid until the
// next Reset.
func (r *Record) StrViews(parent []string, keys []string, dst []string) {
	for i := range keys {
		dst[i] = ""
	}
	if !r.valid() {
		return
	}
	if r.lazy {
		for i, key := range keys {
			path := append(append(make([]string, 0, 8), parent...), key)
			switch s, st := r.plain(path...); st {
			case plainString:
				dst[i] = s
			case plainOther:
				if v := r.lookup(path...); v != nil && v.Type() == fastjson.TypeString {
					if b := v.GetStringBytes(); len(b) > 0 {
						dst[i] = unsafe.String(&b[0], len(b))
					}
				}
			}
		}
		return
	}
	o := r.lookup(parent...)
	if o == nil || o.Type() != fastjson.TypeObject {
		return
	}
	obj, _ := o.Object()
	var seen uint64 // the first occurrence of a key decides, as for Get
	obj.Visit(func(k []byte, v *fastjson.Value) {
		for i, key := range keys {
			if i < 64 && seen&(1<<i) == 0 && string(k) == key {
				seen |= 1 << i
				if v.Type() == fastjson.TypeString {
					if b := v.GetStringBytes(); len(b) > 0 {
						dst[i] = unsafe.String(&b[0], len(b))
					}
				}
				return
			}
		}
	})
}

// canonical returns the top-level member key's value as written when it is
// already what appendJSON would print (compact, strings with nothing to
// escape: no byte up to the space and no backslash anywhere), nil for null;
// false when it must be printed (or after Reset).
func (r *Record) canonical(key string) ([]byte, bool) {
	if !r.lazy {
		return nil, false
	}
	e := r.findTop(key)
	if e < 0 {
		return nil, true
	}
	v := r.valueOf(e)
	if len(v) == 0 {
		return nil, false
	}
	for _, c := range v {
		if c <= ' ' || c == '\\' {
			return nil, false
		}
	}
	if string(v) == "null" {
		return nil, true
	}
	return v, true
}
