package ecs

import (
	"strings"
	"testing"
)

func TestRawValues(t *testing.T) {
	r := NewRecord(Options{})
	raw := `{"a":{"b":[{"c":"x"},{"c":2},{"c":null},{"d":1}],"e":[["p","q"],[]],"f":{"g":{"h":true}}}}`
	if err := r.Reset([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	collect := func(path ...string) string {
		var out []string
		r.RawValues(path, func(v RawValue) bool {
			switch v.Kind() {
			case RawNull:
				out = append(out, "null")
			case RawObject:
				var leaves []string
				v.Leaves(func(l RawValue) bool { leaves = append(leaves, l.Text()); return true })
				out = append(out, "{"+strings.Join(leaves, ",")+"}")
			default:
				out = append(out, v.Text())
			}
			return true
		})
		return strings.Join(out, " ")
	}
	for _, tt := range []struct {
		path []string
		want string
	}{
		{[]string{"a", "b", "c"}, "x 2 null"},
		{[]string{"a", "e"}, "p q"},
		{[]string{"a", "f"}, "{true}"},
		{[]string{"a", "f", "g", "h"}, "true"},
		{[]string{"a", "zz"}, ""},
		{[]string{"a", "b", "c", "deeper"}, ""},
	} {
		if got := collect(tt.path...); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.path, got, tt.want)
		}
	}
	// Stopping early.
	n := 0
	if r.RawValues([]string{"a", "b", "c"}, func(RawValue) bool { n++; return false }) || n != 1 {
		t.Errorf("did not stop: %d", n)
	}
	var f float64
	r.RawValues([]string{"a", "b", "c"}, func(v RawValue) bool {
		if x, ok := v.Float(); ok {
			f = x
		}
		return true
	})
	if f != 2 {
		t.Errorf("Float: %v", f)
	}
}
