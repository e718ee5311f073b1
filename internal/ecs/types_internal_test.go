package ecs

import (
	"slices"
	"testing"
	"time"
)

// TestStringFieldTable: stringField's switch numbers each key as
// stringFields lists it (the errors are built from the list), and keySigs
// admits every key checked.
func TestStringFieldTable(t *testing.T) {
	for level, names := range stringFields {
		for i, name := range names {
			if got := stringField(level, []byte(name)); got != i {
				t.Errorf("stringField(%d, %q) = %d, want %d", level, name, got, i)
			}
			if keySigs[level]&(1<<keySig([]byte(name))) == 0 {
				t.Errorf("keySigs[%d] rules out %q", level, name)
			}
			if want := "malformed record: " + levelPrefix[level] + name + " is an object"; typeErrors[level][i][0].Error() != want {
				t.Errorf("error %q, want %q", typeErrors[level][i][0], want)
			}
		}
		if got := stringField(level, []byte("requestParameters")); got != -1 {
			t.Errorf("stringField(%d, requestParameters) = %d", level, got)
		}
	}
}

// TestMemo: an outcome noted on a record is read back until the next
// reset, whichever kind of reset, and after the generation counter wraps.
func TestMemo(t *testing.T) {
	r := NewRecord(Options{})
	raw := []byte(`{"eventName":"a"}`)
	if err := r.Reset(raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Memo(3); ok {
		t.Fatal("Memo(3) known on a fresh record")
	}
	r.SetMemo(3, true)
	r.SetMemo(40, false) // grows the table
	if v, ok := r.Memo(3); !ok || !v {
		t.Errorf("Memo(3) = %v, %v; want true, true", v, ok)
	}
	if v, ok := r.Memo(40); !ok || v {
		t.Errorf("Memo(40) = %v, %v; want false, true", v, ok)
	}
	if _, ok := r.Memo(41); ok {
		t.Error("Memo(41) known, never set")
	}
	if err := r.ResetMembers(raw, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Memo(3); ok {
		t.Error("Memo(3) survives ResetMembers")
	}
	r.SetMemo(3, true)
	r.gen = ^uint32(0) // the next reset wraps the counter
	r.memo[40] = memoSlot{gen: 1, v: true}
	if err := r.Reset(raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Memo(40); ok {
		t.Error("Memo(40) of an old generation reads as known after the counter wrapped")
	}
}

// TestDateField: date's shortcut for whole seconds in UTC gives what
// time.Parse and Format give, and leaves every other text to them.
func TestDateField(t *testing.T) {
	compute := date("eventTime")
	for _, s := range []string{
		"2024-03-01T12:34:56Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-02-29T00:00:00Z",
		"2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z",
		"2024-01-01T00:00:60Z", "2024-01-01T00:00:00.5Z", "2024-01-01T01:00:00+01:00", "2024-01-01 00:00:00Z",
		"+024-01-01T00:00:00Z", "2024-01-01T00:00:00z", "", "x",
	} {
		r := NewRecord(Options{})
		if err := r.Reset([]byte(`{"eventVersion":"1.08","eventTime":"` + s + `"}`)); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var want []Value
		if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
			want = []Value{{Kind: KindString, S: tm.UTC().Format("2006-01-02T15:04:05.000Z07:00")}}
		}
		if got := compute(r, nil); !slices.Equal(got, want) {
			t.Errorf("date(%q) = %v, want %v", s, got, want)
		}
	}
}
