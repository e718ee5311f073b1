package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/verify"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// evidenceFile is an --evidence file as read back.
type evidenceFile struct {
	report.EvidenceHeader
	Objects []report.EvidenceObject `json:"objects"`
}

// TestScanEvidence: --evidence lists every object of the tree once, with
// its size and the SHA-256 of its bytes; it holds the findings file's
// hash, the window and rule set hash; with --verify, each object's
// integrity and the chain heads. No temporary file is left beside it.
func TestScanEvidence(t *testing.T) {
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
	src := filepath.Join(dir, "copy")
	root := filepath.Join(src, "evidence")
	if err := gen.WriteTree(root, tr.Files); err != nil {
		t.Fatal(err)
	}
	// One log modified: with --verify, its integrity says so.
	mod := filepath.Join(root, filepath.FromSlash(tr.Logs[1]))
	body, err := verify.Gunzip(tr.Files[fileIndex(tr, tr.Logs[1])].Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mod, gen.Gzip(append(body, '\n')), 0o644); err != nil {
		t.Fatal(err)
	}
	onDisk := map[string][]byte{} // path -> bytes
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		onDisk[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"plain", nil},
		{"verify", []string{"--verify", "--public-keys", keys, "--signatures", sigs}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outDir := t.TempDir()
			out, evPath := filepath.Join(outDir, "f.jsonl"), filepath.Join(outDir, "evidence.json")
			args := append([]string{"scan", "-q", "--query", "event.action: ListBuckets", "--out", out, "--evidence", evPath,
				"--since", "2026-11-01", "--until", "2026-11-01", src}, tc.extra...)
			if code, o, e := cli(t, args...); code != exitOK {
				t.Fatalf("%v: exit %d\n%s%s", args, code, o, e)
			}
			b, err := os.ReadFile(evPath)
			if err != nil {
				t.Fatal(err)
			}
			if testing.Verbose() {
				t.Logf("%s", b)
			}
			var ev evidenceFile
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			ents, err := os.ReadDir(outDir)
			if err != nil {
				t.Fatal(err)
			}
			if len(ents) != 2 {
				t.Errorf("%d files beside the evidence, want f.jsonl and evidence.json: %v", len(ents), ents)
			}

			findings, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(findings)
			if ev.Findings == nil || ev.Findings.SHA256 != hex.EncodeToString(sum[:]) || ev.Findings.Size != int64(len(findings)) {
				t.Errorf("findings %+v, want sha256 %x size %d", ev.Findings, sum, len(findings))
			}
			if len(findings) == 0 {
				t.Error("no findings: the hash proves little")
			}
			if ev.Version != report.EvidenceVersion || ev.ToolVersion == "" || !ev.Complete ||
				ev.Window.Since != "2026-11-01T00:00:00Z" || ev.Window.Until != "2026-11-02T00:00:00Z" {
				t.Errorf("header %+v", ev.EvidenceHeader)
			}
			if len(ev.RulesHash) != 64 || ev.RulesHash == scan.RulesHash(nil) {
				t.Errorf("rules hash %q", ev.RulesHash)
			}
			if line := strings.Join(ev.CommandLine, " "); !strings.Contains(line, "--query=event.action: ListBuckets") ||
				!strings.HasSuffix(line, " "+src) {
				t.Errorf("command line %q", ev.CommandLine)
			}

			seen := map[string]bool{}
			for _, o := range ev.Objects {
				if seen[o.URI] {
					t.Errorf("%s listed twice", o.URI)
				}
				seen[o.URI] = true
				data, ok := onDisk[o.URI]
				if !ok {
					t.Errorf("%s listed, not in the tree", o.URI)
					continue
				}
				if o.Size != int64(len(data)) {
					t.Errorf("%s: size %d, want %d", o.URI, o.Size, len(data))
				}
				isDigest := strings.Contains(o.URI, "CloudTrail-Digest")
				switch {
				case isDigest && (o.Status != "skipped" || o.Reason != reader.SkipDigest):
					t.Errorf("digest %s: %s %s", o.URI, o.Status, o.Reason)
				case !isDigest:
					h := sha256.Sum256(data)
					if o.Status != "scanned" || o.SHA256 != hex.EncodeToString(h[:]) {
						t.Errorf("%s: %s sha256 %s, want scanned %x", o.URI, o.Status, o.SHA256, h)
					}
				}
				want := ""
				if tc.extra != nil {
					switch {
					case isDigest:
						want = verify.DigestValid
					case o.URI == mod:
						want = verify.LogModified
					default:
						want = verify.LogVerified
					}
				}
				if o.Integrity != want {
					t.Errorf("%s: integrity %q, want %q", o.URI, o.Integrity, want)
				}
			}
			for p := range onDisk {
				if !seen[p] {
					t.Errorf("%s in the tree, not in the evidence", p)
				}
			}
			if tc.extra == nil {
				if ev.Integrity != nil {
					t.Errorf("integrity without --verify: %+v", ev.Integrity)
				}
				return
			}
			if ev.Integrity == nil || len(ev.Integrity.Heads) == 0 || len(ev.Integrity.Gaps) != 0 {
				t.Fatalf("integrity %+v", ev.Integrity)
			}
			for _, h := range ev.Integrity.Heads {
				if h.Status != verify.DigestValid || !seen[h.URI] {
					t.Errorf("head %+v", h)
				}
			}
		})
	}
}

// TestScanEvidenceRefused: --evidence with --checkpoint, or naming the
// --out file, is a usage error.
func TestScanEvidenceRefused(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "f.jsonl")
	for _, args := range [][]string{
		{"--evidence", filepath.Join(dir, "e.json"), "--checkpoint", filepath.Join(dir, "ck")},
		{"--evidence", out},
	} {
		args = append([]string{"scan", "-q", "--query", "event.action: ListBuckets", "--out", out, dir}, args...)
		if code, _, e := cli(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUsage, e)
		}
	}
}
