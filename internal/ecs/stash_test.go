package ecs

import "testing"

// TestStash: what Stash stores is read back under its key for the same
// record only; a reset (Reset or ResetMembers) forgets every entry.
func TestStash(t *testing.T) {
	r := NewRecord(Options{})
	if err := r.Reset([]byte(`{"eventName":"A"}`)); err != nil {
		t.Fatal(err)
	}
	type key struct{ n int }
	k1, k2 := &key{1}, &key{2}
	if _, ok := r.Stashed(k1); ok {
		t.Fatal("Memo before Stash: found")
	}
	r.Stash(k1, "one")
	r.Stash(k2, "two")
	r.Stash(k1, "uno")
	if v, ok := r.Stashed(k1); !ok || v != "uno" {
		t.Errorf("Memo(k1) = %v, %v; want uno", v, ok)
	}
	if v, ok := r.Stashed(k2); !ok || v != "two" {
		t.Errorf("Memo(k2) = %v, %v; want two", v, ok)
	}
	if _, ok := r.Stashed(&key{1}); ok {
		t.Error("Memo of another key equal in content: found (keys compare by identity here)")
	}
	if err := r.Reset([]byte(`{"eventName":"B"}`)); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Stashed(k1); ok {
		t.Errorf("Memo(k1) after Reset = %v: the previous record's", v)
	}
	r.Stash(k2, "deux")
	if _, ok := r.Stashed(k1); ok {
		t.Error("Memo(k1) after Reset and Stash(k2): found")
	}
	raw := []byte(`{"eventName":"C"}`)
	if err := r.ResetMembers(raw, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Stashed(k2); ok {
		t.Error("Memo(k2) after ResetMembers: found")
	}
}
