package ecs

import (
	"unsafe"

	"github.com/valyala/fastjson"
)

// TextView is Text without the copy for strings: the string shares the
// record's parsed bytes and is valid only until the next Reset of the Record
// the value came from. Use it for comparisons that keep no part of it.
func (v RawValue) TextView() string {
	if v.v.Type() == fastjson.TypeString {
		b := v.v.GetStringBytes()
		if len(b) == 0 {
			return ""
		}
		return unsafe.String(&b[0], len(b))
	}
	return v.Text()
}
