package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/s3test"
)

// TestVerifyEvidence verifies a trail in S3, saves its signatures, then
// verifies a local copy offline with them: intact, the copy verifies (0);
// tampered, it does not (5), and the report names exactly what changed;
// without the signatures file nothing in the copy is "verified".
func TestVerifyEvidence(t *testing.T) {
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	signer, err := gen.NewSigner(nov.AddDate(0, -1, 0), nov.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	tr := gen.Digests(gen.DigestOptions{Bucket: "evidence", Signer: signer, Hours: 3, Logs: 2})
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(keys, gen.PublicKeys(signer), 0o644); err != nil {
		t.Fatal(err)
	}

	srv := s3test.Start(t)
	srv.Env(t)
	srv.CreateBucket(t, "evidence")
	for _, f := range tr.Files {
		srv.PutMeta(t, "evidence", f.Key, f.Body, tr.Meta[f.Key])
	}
	sigs := filepath.Join(dir, "signatures.json")
	args := append([]string{"verify", "--public-keys", keys, "--save-signatures", sigs,
		"--since", "2026-11-01", "--until", "2026-11-01"},
		"--endpoint-url", srv.Endpoint, "--s3-path-style", "--region", srv.Region, "s3://evidence")
	code, out, errOut := cli(t, args...)
	if code != exitOK || !strings.Contains(out, "6 verified, 0 modified, 0 deleted, 0 unverified; digests: 3 valid; gaps: 0 — VERIFIED") {
		t.Fatalf("s3 verify: exit %d\n%s%s", code, out, errOut)
	}

	copyRoot := filepath.Join(dir, "copy")
	copyDir := filepath.Join(copyRoot, "evidence") // the bucket's folder, below the source named
	if err := gen.WriteTree(copyDir, tr.Files); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = cli(t, "verify", "--public-keys", keys, "--signatures", sigs, copyRoot)
	if code != exitOK {
		t.Fatalf("local verify: exit %d\n%s%s", code, out, errOut)
	}

	// Without the signatures, a copy proves nothing.
	code, out, _ = cli(t, "verify", "--public-keys", keys, copyRoot)
	if code != exitIntegrity || strings.Contains(out, "log  verified") || !strings.Contains(out, "0 verified") {
		t.Errorf("no signatures: exit %d, want %d, nothing verified\n%s", code, exitIntegrity, out)
	}

	// Tampered: a log rewritten, and the newest digest (the chain head the
	// signatures file recorded) deleted along with its logs.
	head := tr.Digests[2]
	logPath := filepath.Join(copyDir, filepath.FromSlash(tr.Logs[1]))
	if err := os.WriteFile(logPath, gen.Gzip([]byte(`{"Records":[]}`)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range append([]string{head}, tr.LogsOf[head]...) {
		if err := os.Remove(filepath.Join(copyDir, filepath.FromSlash(k))); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = cli(t, "verify", "--public-keys", keys, "--signatures", sigs, copyRoot)
	if code != exitIntegrity {
		t.Fatalf("tampered: exit %d, want %d\n%s%s", code, exitIntegrity, out, errOut)
	}
	for _, want := range []string{
		"log     modified  " + logPath,
		"digest  missing   " + head,
		"logs: 3 verified, 1 modified, 0 deleted, 0 unverified; digests: 2 valid, 1 missing; gaps: 0 — NOT VERIFIED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tampered: no %q in\n%s", want, out)
		}
	}
	t.Logf("tampered copy:\n%s", out)
}
