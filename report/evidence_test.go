package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailsweep/trailsweep/reader"
)

// TestEvidenceSpills: entries beyond the budget spill to the directory,
// come back once each, by URI, and nothing is left in the directory.
func TestEvidenceSpills(t *testing.T) {
	work, dir := t.TempDir(), t.TempDir()
	ev := NewEvidence(work, 4<<10)
	const n = 2000
	for i := range n {
		o := reader.Object{URI: fmt.Sprintf("s3://b/k%05d", (i*7919)%n), Key: "k", Size: int64(i)}
		var err error
		if i%3 == 0 {
			err = errors.New("boom")
		}
		if e := ev.Entry(o, "ab", err); e != nil {
			t.Fatal(e)
		}
	}
	if ev.sort.Runs() == 0 {
		t.Fatal("nothing spilled")
	}
	path := filepath.Join(dir, "ev.json")
	if err := ev.WriteFile(path, EvidenceHeader{}, func(o *EvidenceObject) string { return o.Status }); err != nil {
		t.Fatal(err)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Objects []EvidenceObject `json:"objects"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Objects) != n {
		t.Fatalf("%d objects, want %d", len(got.Objects), n)
	}
	for i, o := range got.Objects {
		if want := fmt.Sprintf("s3://b/k%05d", i); o.URI != want || o.Integrity != o.Status {
			t.Fatalf("object %d: %+v, want %s", i, o, want)
		}
	}
	for _, d := range []string{work, dir} {
		ents, _ := os.ReadDir(d)
		if want := map[string]int{work: 0, dir: 1}[d]; len(ents) != want {
			t.Errorf("%s holds %v", d, ents)
		}
	}
}
