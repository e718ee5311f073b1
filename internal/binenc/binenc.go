// Package binenc is the compact binary encoding that spilled and
// checkpointed state uses: varints, length-prefixed strings and lists of
// strings that keep nil apart from empty. Appending never fails; a Reader
// marks itself bad, and then reads zeros, on bytes the appenders did not
// write.
package binenc

import "encoding/binary"

// AppendString appends s, length first.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendStrings appends ss: 0 for nil, else its length plus one and each
// string.
func AppendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(ss))+1)
	for _, s := range ss {
		b = AppendString(b, s)
	}
	return b
}

// AppendBool appends 1 for true, 0 for false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// Reader reads what the appenders wrote, in order.
type Reader struct {
	b   []byte
	bad bool
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Bad reports whether a read found bytes the appenders did not write.
func (r *Reader) Bad() bool { return r.bad }

// Len returns the bytes not read yet.
func (r *Reader) Len() int { return len(r.b) }

func (r *Reader) fail() { r.bad, r.b = true, nil }

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// Bool reads what AppendBool wrote.
func (r *Reader) Bool() bool { return r.Byte() == 1 }

// Bytes reads a string as a view of the Reader's bytes.
func (r *Reader) Bytes() []byte {
	n := r.Uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

// String reads a string.
func (r *Reader) String() string { return string(r.Bytes()) }

// Strings reads what AppendStrings wrote.
func (r *Reader) Strings() []string {
	n := r.Uvarint()
	if n == 0 {
		return nil
	}
	if n-1 > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	out := make([]string, n-1)
	for i := range out {
		out[i] = r.String()
	}
	return out
}
