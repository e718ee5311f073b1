package ecs

import "testing"

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
