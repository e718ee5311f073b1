package rule

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no rule file makes Parse panic, and that a rule it
// returns is coherent: an ID and a name, and a reason exactly when it
// cannot run.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"builtin", filepath.Join("testdata", "types"), filepath.Join("testdata", "broken")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse("f.toml", data, SourceElastic)
		if err != nil {
			if r != nil {
				t.Fatalf("both a rule and an error: %v", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if r.ID == "" || r.Name == "" {
			t.Fatalf("rule without id or name: %+v", r)
		}
		if r.Supported == (r.Reason != "") {
			t.Fatalf("supported %v with reason %q", r.Supported, r.Reason)
		}
	})
}
