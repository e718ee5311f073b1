package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteAndAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	a, err := Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name() == b.Name() {
		t.Fatalf("two writers share the temporary name %s", a.Name())
	}
	if err := b.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteString("x"); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	des, _ := os.ReadDir(dir)
	if string(got) != "new" || fi.Mode().Perm() != 0o600 || len(des) != 1 {
		t.Errorf("content %q mode %v, %d files in the directory", got, fi.Mode(), len(des))
	}
}
