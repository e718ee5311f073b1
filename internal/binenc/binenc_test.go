package binenc

import (
	"encoding/binary"
	"reflect"
	"testing"
)

// TestRoundTrip: what the appenders write reads back the same, nil lists
// apart from empty ones, and every proper prefix of it reads as bad.
func TestRoundTrip(t *testing.T) {
	var b []byte
	b = AppendString(b, "")
	b = AppendString(b, "a\x00\xff")
	b = AppendStrings(b, nil)
	b = AppendStrings(b, []string{})
	b = AppendStrings(b, []string{"x", "", "yz"})
	b = AppendBool(b, true)
	b = AppendBool(b, false)
	b = binary.AppendVarint(b, -5)
	b = binary.AppendUvarint(b, 1<<40)
	read := func(b []byte) (*Reader, []any) {
		r := NewReader(b)
		return r, []any{r.String(), r.String(), r.Strings(), r.Strings(), r.Strings(), r.Bool(), r.Bool(), r.Varint(), r.Uvarint()}
	}
	r, got := read(b)
	want := []any{"", "a\x00\xff", []string(nil), []string{}, []string{"x", "", "yz"}, true, false, int64(-5), uint64(1 << 40)}
	if r.Bad() || r.Len() != 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %#v (bad %v, %d left), want %#v", got, r.Bad(), r.Len(), want)
	}
	for n := range len(b) {
		if r, _ := read(b[:n]); !r.Bad() {
			t.Errorf("prefix of %d bytes of %d read as good", n, len(b))
		}
	}
}
