package gen_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/verify"
	"github.com/trailsweep/trailsweep/reader"
)

// TestSignTree: digests written for a tree of logs verify every log, in
// one valid chain per account and region, with no gap.
func TestSignTree(t *testing.T) {
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	signer, err := gen.NewSigner(nov.AddDate(0, -1, 0), nov.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	src := gen.Digests(gen.DigestOptions{Signer: signer, Hours: 3, Logs: 3})
	var logs []gen.File
	for _, f := range src.Files {
		if _, ok := src.Meta[f.Key]; !ok {
			logs = append(logs, f)
		}
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "bucket")
	if err := gen.WriteTree(root, logs); err != nil {
		t.Fatal(err)
	}
	tr, err := gen.SignTree(root, "bucket", signer)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Digests) != 3 || len(tr.Heads) != 1 || len(tr.Logs) != len(logs) {
		t.Fatalf("%d digests, heads %v, %d logs", len(tr.Digests), tr.Heads, len(tr.Logs))
	}
	keys, err := verify.ParseKeys(gen.PublicKeys(signer))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := verify.ParseManifest(tr.Signatures())
	if err != nil {
		t.Fatal(err)
	}
	local, err := reader.Open(context.Background(), dir, reader.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.Run(context.Background(), verify.Config{Sources: []reader.Source{local}, Keys: keys, Signatures: sigs})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || len(res.Logs) != len(logs) || len(res.Digests) != 3 {
		t.Errorf("not OK: %+v", res)
	}
}
