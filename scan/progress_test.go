package scan

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// TestRunProgress: Progress reports the listing apart from the reading:
// the folders listed (every folder of a local tree, once its listing is
// done) and the keys found never go back, the objects read never pass the
// keys found, and once the listing is marked done its counts are final.
func TestRunProgress(t *testing.T) {
	dir, src := writeTree(t, gen.Sample())
	folders := int64(0)
	if err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			folders++
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var got []Progress
	cfg := Config{Sources: []reader.Source{src}, Rules: builtinSet(t), Workers: 2,
		Progress: func(p Progress) { got = append(got, p) }}
	sum, err := Run(context.Background(), cfg, &collect{})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(got)) != sum.Objects.Listed || len(got) == 0 {
		t.Fatalf("%d progress calls, want one an object (%d)", len(got), sum.Objects.Listed)
	}
	var prev Progress
	for i, p := range got {
		if p.Folders < prev.Folders || p.Listed < prev.Listed || p.Done+p.Failed < prev.Done+prev.Failed || prev.ListingDone && !p.ListingDone {
			t.Fatalf("progress %d went back: %+v after %+v", i, p, prev)
		}
		if p.Done+p.Failed > p.Listed || p.Folders > folders {
			t.Fatalf("progress %d: %+v; %d folders in the tree", i, p, folders)
		}
		if p.ListingDone && (p.Folders != folders || p.Listed != sum.Objects.Listed) {
			t.Fatalf("progress %d: listing done with %d folders and %d keys, want %d and %d", i, p.Folders, p.Listed, folders, sum.Objects.Listed)
		}
		prev = p
	}
	if last := got[len(got)-1]; last.Folders != folders || last.Done != sum.Objects.Scanned {
		t.Errorf("last progress %+v: want %d folders listed and %d objects read", last, folders, sum.Objects.Scanned)
	}
}
