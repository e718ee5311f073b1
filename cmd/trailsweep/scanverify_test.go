package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/s3test"
	"github.com/trailsweep/trailsweep/internal/verify"
	"github.com/trailsweep/trailsweep/report"
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

// TestScanVerifyS3: scan --verify over S3, each digest's signature in its
// user metadata as CloudTrail stores it (versitygw), for every tamper case:
// each finding carries its log's integrity, the summary counts the logs and
// digests per state and names the modified and deleted logs, and the
// findings are otherwise those of the same scan without --verify.
func TestScanVerifyS3(t *testing.T) {
	ts, err := gen.NewTamperSigners()
	if err != nil {
		t.Fatal(err)
	}
	srv := s3test.Start(t)
	srv.Env(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(keys, ts.PublicKeys(), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, c := range ts.Tampers() {
		t.Run(c.Name, func(t *testing.T) {
			bucket := fmt.Sprintf("scan-verify-%c", 'a'+i)
			tr, files, meta, err := ts.Build(c, bucket)
			if err != nil {
				t.Fatal(err)
			}
			srv.CreateBucket(t, bucket)
			for k, b := range files {
				srv.PutMeta(t, bucket, k, b, meta[k])
			}
			uri := func(k string) string { return "s3://" + bucket + "/" + k }

			// What the case must give: every log verified, every digest
			// delivered valid, but for those the case names.
			wantLogs, wantDigests := map[string]string{}, map[string]string{}
			for _, k := range tr.Logs {
				wantLogs[uri(k)] = verify.LogVerified
			}
			for k := range files {
				if strings.Contains(k, "CloudTrail-Digest") {
					wantDigests[uri(k)] = verify.DigestValid
				}
			}
			if c.Logs != nil {
				for k, s := range c.Logs(tr) {
					wantLogs[uri(k)] = s
				}
			}
			if c.Digests != nil {
				for k, s := range c.Digests(tr) {
					wantDigests[uri(k)] = s
				}
			}

			// Every record of every log is a finding: the query matches
			// the eventSource, which no case changes.
			scan := func(extra ...string) ([]map[string]any, *report.IntegrityStats) {
				out, sum := filepath.Join(t.TempDir(), "f.jsonl"), filepath.Join(t.TempDir(), "s.json")
				args := append([]string{"scan", "-q", "--query", `event.provider: "s3.amazonaws.com"`, "--out", out, "--summary", sum,
					"--since", "2026-11-01", "--until", "2026-11-01", "s3://" + bucket + "/"}, s3Args(srv)...)
				args = append(args, extra...)
				if code, o, e := cli(t, args...); code != exitOK {
					t.Fatalf("%v: exit %d\n%s%s", args, code, o, e)
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				var rows []map[string]any
				for l := range strings.Lines(string(b)) {
					var r map[string]any
					if err := json.Unmarshal([]byte(l), &r); err != nil {
						t.Fatal(err)
					}
					rows = append(rows, r)
				}
				b, err = os.ReadFile(sum)
				if err != nil {
					t.Fatal(err)
				}
				var s struct{ Integrity *report.IntegrityStats }
				if err := json.Unmarshal(b, &s); err != nil {
					t.Fatal(err)
				}
				return rows, s.Integrity
			}
			plain, none := scan()
			rows, in := scan("--verify", "--public-keys", keys)
			if none != nil {
				t.Errorf("without --verify the summary has integrity %+v", none)
			}

			// Findings: one per log still there, with its integrity.
			got := map[string]string{}
			for _, r := range rows {
				u, _ := r["source_uri"].(string)
				got[u], _ = r["integrity"].(string)
			}
			want := map[string]string{}
			for u, s := range wantLogs {
				if s != verify.LogDeleted {
					want[u] = s
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("integrity of the findings' logs:\n got %v\nwant %v", got, want)
			}
			// Otherwise the same findings, in the same order.
			if len(rows) != len(plain) {
				t.Fatalf("%d findings with --verify, %d without", len(rows), len(plain))
			}
			for j := range rows {
				if plain[j]["integrity"] != "" {
					t.Errorf("without --verify, finding %d has integrity %v", j, plain[j]["integrity"])
				}
				delete(rows[j], "integrity")
				delete(plain[j], "integrity")
				if a, b := fmt.Sprint(rows[j]), fmt.Sprint(plain[j]); a != b {
					t.Errorf("finding %d differs:\nwith --verify    %s\nwithout --verify %s", j, a, b)
				}
			}

			// Summary: per-state counts, the modified and deleted logs.
			if in == nil {
				t.Fatal("the summary of scan --verify has no integrity")
			}
			wantIn := report.IntegrityStats{Logs: map[string]int64{}, Digests: map[string]int64{}, Gaps: c.Gaps,
				Modified: []string{}, Deleted: []string{}}
			for u, s := range wantLogs {
				wantIn.Logs[s]++
				switch s {
				case verify.LogModified:
					wantIn.Modified = append(wantIn.Modified, u)
				case verify.LogDeleted:
					wantIn.Deleted = append(wantIn.Deleted, u)
				}
			}
			for _, s := range wantDigests {
				wantIn.Digests[s]++
			}
			slices.Sort(wantIn.Modified)
			slices.Sort(wantIn.Deleted)
			slices.Sort(in.Modified)
			slices.Sort(in.Deleted)
			if !maps.Equal(in.Logs, wantIn.Logs) || !maps.Equal(in.Digests, wantIn.Digests) || in.Gaps != wantIn.Gaps ||
				!slices.Equal(in.Modified, wantIn.Modified) || !slices.Equal(in.Deleted, wantIn.Deleted) {
				t.Errorf("summary integrity:\n got %+v\nwant %+v", *in, wantIn)
			}
		})
	}
}

// TestScanVerifyRefused: --verify is refused, with the reason, with a
// checkpoint and in every form of sharded scan (the flags, the job
// engine's index), before anything is read.
func TestScanVerifyRefused(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.json")
	signer, err := gen.NewSigner(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keys, gen.PublicKeys(signer), 0o644); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"checkpoint", []string{"--checkpoint", filepath.Join(dir, "ck")}, nil, "--verify with --checkpoint"},
		{"shard flag", []string{"--shard", "0/2"}, nil, "--verify in a sharded scan"},
		{"stage", []string{"--stage", filepath.Join(dir, "stage")}, nil, "--verify in a sharded scan"},
		{"job index", []string{"--shards", "2"}, map[string]string{"JOB_COMPLETION_INDEX": "1"}, "--verify in a sharded scan"},
		{"job index and count", nil, map[string]string{"JOB_COMPLETION_INDEX": "0", "TRAILSWEEP_SHARDS": "3"}, "--verify in a sharded scan"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			args := append([]string{"scan", "-q", "--verify", "--public-keys", keys, "--out", filepath.Join(t.TempDir(), "f.jsonl"), src}, c.args...)
			code, _, stderr := cli(t, args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("%v: exit %d, want %d with %q:\n%s", args, code, exitUsage, c.want, stderr)
			}
		})
	}
}
