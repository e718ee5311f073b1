package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/verify"
)

// TestScanVerify: scan --verify of a local copy with saved signatures gives
// every finding its log's integrity (intact: verified; a log's bytes
// changed: modified; a log no digest lists: unverified), and otherwise the
// same findings as the scan without --verify.
func TestScanVerify(t *testing.T) {
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	signer, err := gen.NewSigner(nov.AddDate(0, -1, 0), nov.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	tr := gen.Digests(gen.DigestOptions{Bucket: "evidence", Signer: signer, Hours: 3, Logs: 2})
	dir := t.TempDir()
	keys, sigs := filepath.Join(dir, "keys.json"), filepath.Join(dir, "sigs.json")
	if err := os.WriteFile(keys, gen.PublicKeys(signer), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sigs, tr.Signatures(), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "copy", "evidence")
	if err := gen.WriteTree(root, tr.Files); err != nil {
		t.Fatal(err)
	}
	scanOut := func(extra ...string) map[string]string { // source_uri -> integrity; also checks equality
		out := filepath.Join(dir, "f.jsonl")
		args := append([]string{"scan", "-q", "--query", "event.action: ListBuckets", "--out", out,
			"--since", "2026-11-01", "--until", "2026-11-01", filepath.Join(dir, "copy")}, extra...)
		if code, o, e := cli(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, o, e)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			var row map[string]any
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				t.Fatal(err)
			}
			got[row["source_uri"].(string)] = row["integrity"].(string)
		}
		return got
	}
	verified := []string{"--verify", "--public-keys", keys, "--signatures", sigs}
	plain := scanOut()
	want := map[string]string{}
	for _, k := range tr.Logs {
		p := filepath.Join(root, filepath.FromSlash(k))
		if plain[p] != "" {
			t.Errorf("without --verify, %s has integrity %q", p, plain[p])
		}
		want[p] = verify.LogVerified
	}
	check := func(name string, got map[string]string) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d logs with findings, want %d: %v", name, len(got), len(want), got)
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s integrity %q, want %q", name, k, got[k], w)
			}
		}
	}
	check("intact", scanOut(verified...))

	// A log's bytes changed (one more byte after the records): modified.
	mod := filepath.Join(root, filepath.FromSlash(tr.Logs[1]))
	body, err := verify.Gunzip(tr.Files[fileIndex(tr, tr.Logs[1])].Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mod, gen.Gzip(append(body, '\n')), 0o644); err != nil {
		t.Fatal(err)
	}
	want[mod] = verify.LogModified
	check("modified", scanOut(verified...))

	// A log no digest lists: unverified.
	inj := filepath.Join(filepath.Dir(mod), "111122223333_CloudTrail_us-east-1_20261101T0059Z_injected0000000.json.gz")
	if err := os.WriteFile(inj, gen.Gzip(body), 0o644); err != nil {
		t.Fatal(err)
	}
	want[inj] = "unverified"
	got := scanOut(verified...)
	check("injected", got)
	if p := scanOut(); len(p) != len(got) {
		t.Errorf("without --verify %d logs with findings, with it %d", len(p), len(got))
	}
}

func fileIndex(tr *gen.DigestTree, key string) int {
	for i, f := range tr.Files {
		if f.Key == key {
			return i
		}
	}
	return -1
}
