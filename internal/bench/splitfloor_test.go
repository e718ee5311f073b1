package bench

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// TestSplitLocal: the split floor reads every record of a generated tree
// and every byte the inflate floor reads, and fails on a file that is not
// gzip JSON, naming it.
func TestSplitLocal(t *testing.T) {
	dir := t.TempDir()
	m, err := gen.Bulk(dir, gen.BulkOptions{Bytes: 4 << 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != m.Objects {
		t.Fatalf("Files found %d objects, the generator wrote %d", len(files), m.Objects)
	}
	for _, workers := range []int{1, 2} {
		s, err := SplitLocal(files, workers)
		if err != nil {
			t.Fatal(err)
		}
		if s.Records != m.Records || s.BytesJSON != m.BytesJSON || s.BytesGzip != m.BytesGzip {
			t.Errorf("workers %d: split %d records, %d JSON bytes, %d gzip bytes; the tree has %d, %d, %d",
				workers, s.Records, s.BytesJSON, s.BytesGzip, m.Records, m.BytesJSON, m.BytesGzip)
		}
		f, err := InflateLocal(files, workers)
		if err != nil {
			t.Fatal(err)
		}
		if f.BytesJSON != s.BytesJSON {
			t.Errorf("workers %d: inflate floor read %d JSON bytes, split floor %d", workers, f.BytesJSON, s.BytesJSON)
		}
	}

	if runtime.GOOS == "linux" {
		inflate, split, err := FloorCPU(files, 2, 2)
		if err != nil {
			t.Fatal(err)
		}
		// Tens of milliseconds of CPU on a 4 MB tree, at the kernel's
		// accounting granularity: both must have been counted.
		if inflate <= 0 || split <= 0 {
			t.Errorf("FloorCPU = %v, %v CPU s per GB, want both measured", inflate, split)
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.json.gz")
	if err := os.WriteFile(bad, []byte("\x1f\x8b not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := SplitLocal([]string{bad}, 1); err == nil {
		t.Error("SplitLocal read a corrupt gzip file without error")
	} else if !strings.Contains(err.Error(), bad) {
		t.Errorf("error %q does not name %s", err, bad)
	}
}
