package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// TestReduceListsShardFailures: objects a shard could not read are named
// by reduce, with the shard and the reason, in its summary on stderr and
// in --summary, and reduce exits 3.
func TestReduceListsShardFailures(t *testing.T) {
	tree := filepath.Join(t.TempDir(), "tree")
	if err := gen.WriteTree(tree, gen.Broken().Files); err != nil {
		t.Fatal(err)
	}
	stage := filepath.Join(t.TempDir(), "stage")
	const n = 2
	failing := -1
	for i := range n {
		spec := fmt.Sprintf("%d/%d", i, n)
		code, _, stderr := cli(t, "scan", tree, "--shard", spec, "--stage", stage, "--out", filepath.Join(t.TempDir(), "part.jsonl"), "-q")
		if code == exitIncomplete {
			failing = i
		} else if code != exitOK && code != exitNothing {
			t.Fatalf("shard %s: exit %d\n%s", spec, code, stderr)
		}
	}
	if failing < 0 {
		t.Fatal("no shard failed an object: the tree's broken objects were not read")
	}
	sumPath := filepath.Join(t.TempDir(), "summary.json")
	code, _, stderr := cli(t, "reduce", "--stage", stage, "--summary", sumPath)
	if code != exitIncomplete {
		t.Fatalf("reduce: exit %d, want %d\n%s", code, exitIncomplete, stderr)
	}
	var sum struct {
		Failures []struct{ URI, Reason, Shard string }
	}
	b, err := os.ReadFile(sumPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d/%d", failing, n)
	if len(sum.Failures) != 4 {
		t.Fatalf("--summary lists %d failures, want the tree's 4 broken objects: %s", len(sum.Failures), b)
	}
	for _, f := range sum.Failures {
		if f.Shard != want || f.Reason == "" || !strings.HasPrefix(f.URI, tree) {
			t.Errorf("failure %+v: want shard %s, a reason and a URI under %s", f, want, tree)
		}
		if line := fmt.Sprintf("shard %s: %s: ", want, f.URI); !strings.Contains(stderr, line) {
			t.Errorf("reduce's summary does not name %q:\n%s", line, stderr)
		}
	}
}
