package gen

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// treeBytes returns every file of a tree but the manifest, by key.
func treeBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBulk(t *testing.T) {
	for _, tc := range []struct {
		name     string
		datasets string
		set      string
	}{
		{"builtin", "", "builtin"},
		{"datasets", "shared", "datasets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			datasets := ""
			if tc.datasets == "shared" {
				datasets = SharedDir(t, "datasets")
			}
			opts := BulkOptions{Bytes: 3 << 20, Seed: 7, Datasets: datasets, Workers: 3}
			a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
			ma, err := Bulk(a, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.Workers = 1
			mb, err := Bulk(b, opts)
			if err != nil {
				t.Fatal(err)
			}
			if *ma != *mb {
				t.Fatalf("manifests differ with the worker count:\n%+v\n%+v", ma, mb)
			}
			if ma.TemplateSet != tc.set || ma.BytesJSON < opts.Bytes || ma.BytesJSON > opts.Bytes+opts.Bytes/2 {
				t.Fatalf("manifest %+v: want set %s and about %d bytes of JSON", ma, tc.set, opts.Bytes)
			}
			ta, tb := treeBytes(t, a), treeBytes(t, b)
			if len(ta) != ma.Objects || len(ta) != len(tb) {
				t.Fatalf("%d and %d files, manifest says %d", len(ta), len(tb), ma.Objects)
			}
			var records, jsonBytes int64
			ids := map[string]bool{}
			for key, body := range ta {
				if !bytes.Equal(body, tb[key]) {
					t.Fatalf("%s differs between two runs with the same seed", key)
				}
				if !strings.HasPrefix(key, "AWSLogs/") || !strings.HasSuffix(key, ".json.gz") || !strings.Contains(key, "/CloudTrail/") {
					t.Fatalf("key %s is not in the CloudTrail layout", key)
				}
				recs, err := splitRecords(body)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				jsonBytes += int64(len(mustGunzip(t, body)))
				for _, r := range recs {
					var rec struct {
						EventTime, EventID, EventName, EventSource, RecipientAccountID string
					}
					if err := json.Unmarshal(r, &rec); err != nil {
						t.Fatalf("%s: %v", key, err)
					}
					et, err := time.Parse(time.RFC3339, rec.EventTime)
					if err != nil || et.Year() != 2026 || rec.EventName == "" || rec.EventSource == "" {
						t.Fatalf("%s: bad record %s", key, r)
					}
					if !strings.Contains(key, "/"+rec.RecipientAccountID+"/") {
						t.Fatalf("%s: recipient account %s is not the key's", key, rec.RecipientAccountID)
					}
					if ids[rec.EventID] {
						t.Fatalf("%s: eventID %s repeats", key, rec.EventID)
					}
					ids[rec.EventID] = true
				}
				records += int64(len(recs))
			}
			if records != ma.Records || jsonBytes != ma.BytesJSON {
				t.Fatalf("tree has %d records and %d bytes, manifest %d and %d", records, jsonBytes, ma.Records, ma.BytesJSON)
			}

			// Cached: a second call keeps the tree (a marker file survives).
			marker := filepath.Join(a, "marker")
			if err := os.WriteFile(marker, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Bulk(a, opts); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(marker); err != nil {
				t.Fatalf("cached tree was regenerated: %v", err)
			}
			// Another seed replaces it.
			opts.Seed = 8
			mc, err := Bulk(a, opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(marker); err == nil || mc.Seed != 8 {
				t.Fatalf("tree of another seed was not regenerated")
			}
		})
	}
}

func mustGunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatal("not gzip")
	}
	out, err := gunzip(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
