package scan

import (
	"bytes"
	"testing"
)

// TestBufList: buffers come back empty and are reused, and the list keeps
// no more than bufsKeep bytes of them.
func TestBufList(t *testing.T) {
	var l bufList
	b := l.Get()
	b.WriteString("object bytes")
	l.Put(b)
	if c := l.Get(); c != b || c.Len() != 0 {
		t.Fatalf("Get after Put: %p len %d, want the same buffer %p, empty", c, c.Len(), b)
	}
	var big []*bytes.Buffer
	for range 10 {
		x := new(bytes.Buffer)
		x.Grow(bufsKeep / 4)
		big = append(big, x)
	}
	for _, x := range big {
		l.Put(x)
	}
	if l.bytes > bufsKeep || len(l.free) >= len(big) {
		t.Fatalf("kept %d buffers, %d bytes; the budget is %d bytes", len(l.free), l.bytes, bufsKeep)
	}
	for range len(l.free) {
		l.Get()
	}
	if l.bytes != 0 || len(l.free) != 0 {
		t.Fatalf("after taking every buffer: %d left, %d bytes", len(l.free), l.bytes)
	}
}
