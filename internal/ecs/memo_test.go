package ecs

import "testing"

// TestMemo: what SetMemo stores is read back under its key for the same
// record only; a reset (Reset or ResetMembers) forgets every entry.
func TestMemo(t *testing.T) {
	r := NewRecord(Options{})
	if err := r.Reset([]byte(`{"eventName":"A"}`)); err != nil {
		t.Fatal(err)
	}
	type key struct{ n int }
	k1, k2 := &key{1}, &key{2}
	if _, ok := r.Memo(k1); ok {
		t.Fatal("Memo before SetMemo: found")
	}
	r.SetMemo(k1, "one")
	r.SetMemo(k2, "two")
	r.SetMemo(k1, "uno")
	if v, ok := r.Memo(k1); !ok || v != "uno" {
		t.Errorf("Memo(k1) = %v, %v; want uno", v, ok)
	}
	if v, ok := r.Memo(k2); !ok || v != "two" {
		t.Errorf("Memo(k2) = %v, %v; want two", v, ok)
	}
	if _, ok := r.Memo(&key{1}); ok {
		t.Error("Memo of another key equal in content: found (keys compare by identity here)")
	}
	if err := r.Reset([]byte(`{"eventName":"B"}`)); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Memo(k1); ok {
		t.Errorf("Memo(k1) after Reset = %v: the previous record's", v)
	}
	r.SetMemo(k2, "deux")
	if _, ok := r.Memo(k1); ok {
		t.Error("Memo(k1) after Reset and SetMemo(k2): found")
	}
	raw := []byte(`{"eventName":"C"}`)
	if err := r.ResetMembers(raw, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Memo(k2); ok {
		t.Error("Memo(k2) after ResetMembers: found")
	}
}
