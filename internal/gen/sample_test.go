package gen

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the committed trees under testdata/")

// TestCommittedTrees checks that testdata/sample and testdata/broken are
// exactly what the generator writes, so the fixtures and the expected
// findings derived from Sample() and Broken() cannot drift apart.
// Refresh with: go test ./internal/gen -run TestCommittedTrees -update
func TestCommittedTrees(t *testing.T) {
	for name, tree := range map[string]Tree{"sample": Sample(), "broken": Broken()} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "testdata", name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if err := WriteTree(dir, tree.Files); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				got = append(got, filepath.ToSlash(rel))
				return nil
			})
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			var want []string
			for _, f := range tree.Files {
				want = append(want, f.Key)
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Key)))
				if err != nil {
					t.Errorf("missing %s: %v", f.Key, err)
					continue
				}
				if !bytes.Equal(b, f.Body) {
					t.Errorf("%s differs from the generator's output (run with -update)", f.Key)
				}
			}
			sort.Strings(want)
			if len(got) != len(want) {
				t.Errorf("testdata/%s has %d files, generator writes %d:\n got %v\nwant %v", name, len(got), len(want), got, want)
			}
		})
	}
}

func TestSampleHits(t *testing.T) {
	tree := Sample()
	seed := 0
	for _, h := range tree.Hits {
		if h.RuleID == SeedRuleID {
			seed++
		}
		if h.EventID == "" || h.Key == "" {
			t.Errorf("hit without event id or key: %+v", h)
		}
	}
	if seed != 4 {
		t.Errorf("sample holds %d seed positives, want 4", seed)
	}
	ids := map[string]bool{}
	for _, f := range tree.Files {
		if ids[f.Key] {
			t.Errorf("duplicate key %s", f.Key)
		}
		ids[f.Key] = true
	}
}
