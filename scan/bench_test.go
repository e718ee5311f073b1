package scan

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
)

// BenchmarkWorker measures one CPU worker on gzip log objects (decode,
// split, ECS view, rules, findings; no fetch, no writer) against the floor
// it must approach: inflating the same objects. SetBytes counts the JSON.
// The objects come from gen.Bulk (../shared/datasets templates when
// present); "corpus" loads every rule of ../shared/rules when present.
func BenchmarkWorker(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "tree")
	datasets, err := gen.SharedPath("datasets")
	if err != nil {
		datasets = ""
	}
	m, err := gen.Bulk(dir, gen.BulkOptions{Bytes: 8 << 20, Seed: 1, Datasets: datasets})
	if err != nil {
		b.Fatal(err)
	}
	var objs [][]byte
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			body, err := os.ReadFile(p)
			objs = append(objs, body)
			return err
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}

	b.Run("inflate", func(b *testing.B) {
		var zr gzip.Reader
		b.SetBytes(m.BytesJSON)
		for b.Loop() {
			for _, o := range objs {
				if err := zr.Reset(bytes.NewReader(o)); err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, &zr); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	run := func(b *testing.B, set *rule.Set) {
		w := newWorker(Config{Rules: set})
		b.SetBytes(m.BytesJSON)
		b.ReportAllocs()
		for b.Loop() {
			for _, o := range objs {
				buf := bufs.Get()
				buf.Reset()
				buf.Write(o)
				r := w.process(fetched{obj: reader.Object{URI: "bench"}, body: buf})
				if r.err != nil {
					b.Fatal(r.err)
				}
			}
		}
	}
	b.Run("no-rules", func(b *testing.B) { run(b, nil) })
	b.Run("builtin", func(b *testing.B) {
		rules, err := rule.Builtin()
		if err != nil {
			b.Fatal(err)
		}
		set, err := rule.NewSet(rules)
		if err != nil {
			b.Fatal(err)
		}
		run(b, set)
	})
	b.Run("corpus", func(b *testing.B) {
		var paths []string
		for _, c := range []string{"elastic-aws", "sigma-aws"} {
			if p, err := gen.SharedPath("rules", c); err == nil {
				paths = append(paths, p)
			}
		}
		if len(paths) == 0 {
			gen.SharedDir(b, "rules")
		}
		loaded, _ := rule.Load(paths)
		var rules []*rule.Rule
		seen := map[string]bool{}
		for _, r := range loaded { // the first of two runnable rules with one ID
			if !r.Runnable() || !seen[r.ID] {
				rules = append(rules, r)
				seen[r.ID] = seen[r.ID] || r.Runnable()
			}
		}
		set, err := rule.NewSet(rules)
		if err != nil {
			b.Fatal(err)
		}
		run(b, set)
	})
}
