package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// SignTree writes, into a local tree of log files (root holds AWSLogs/,
// as a copy of bucket does), one signed digest an hour for each account
// and region, listing the logs delivered in that hour (by the time in
// their names) and chained as CloudTrail chains them, hours without logs
// included. It returns the digests as a DigestTree (Files: the digests
// only), whose Signatures are those of the tree.
func SignTree(root, bucket string, signer *Signer) (*DigestTree, error) {
	type chainKey struct{ account, region string }
	type logFile struct {
		key  string
		at   time.Time
		hash string
	}
	chains := map[chainKey][]logFile{}
	err := filepath.WalkDir(filepath.Join(root, "AWSLogs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		parts := strings.Split(key, "/") // AWSLogs/acct/CloudTrail/region/y/m/d/file
		if len(parts) != 8 || parts[2] != "CloudTrail" {
			return nil
		}
		fields := strings.Split(parts[7], "_") // acct_CloudTrail_region_20261101T0003Z_unique.json.gz
		if len(fields) < 5 {
			return nil
		}
		at, err := time.Parse("20060102T1504Z", fields[3])
		if err != nil {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		body, err := gunzip(b)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		k := chainKey{parts[1], parts[3]}
		chains[k] = append(chains[k], logFile{key: key, at: at, hash: hex.EncodeToString(sum[:])})
		return nil
	})
	if err != nil {
		return nil, err
	}
	t := &DigestTree{LogsOf: map[string][]string{}, Meta: map[string]map[string]string{},
		Opts: DigestOptions{Bucket: bucket, Signer: signer}}
	keys := make([]chainKey, 0, len(chains))
	for k := range chains {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].account+keys[i].region < keys[j].account+keys[j].region
	})
	for _, ck := range keys {
		logs := chains[ck]
		sort.Slice(logs, func(i, j int) bool {
			return logs[i].at.Before(logs[j].at) || logs[i].at.Equal(logs[j].at) && logs[i].key < logs[j].key
		})
		first, last := logs[0].at.Truncate(time.Hour), logs[len(logs)-1].at.Truncate(time.Hour)
		var prev *struct{ key, hash, sig string }
		next := 0
		for start := first; !start.After(last); start = start.Add(time.Hour) {
			end := start.Add(time.Hour)
			d := digestJSON{
				AWSAccountID: ck.account, DigestStartTime: start.Format(time.RFC3339), DigestEndTime: end.Format(time.RFC3339),
				DigestS3Bucket: bucket, DigestS3Object: DigestKey(ck.account, ck.region, "main", end.Add(7*time.Minute)),
				DigestSignatureAlgorithm: "SHA256withRSA", DigestPublicKeyFingerprint: signer.Fingerprint, LogFiles: []digestEntry{},
			}
			for ; next < len(logs) && logs[next].at.Before(end); next++ {
				l := logs[next]
				et := l.at.Format(time.RFC3339)
				d.LogFiles = append(d.LogFiles, digestEntry{S3Bucket: bucket, S3Object: l.key, HashValue: l.hash,
					HashAlgorithm: "SHA-256", NewestEventTime: et, OldestEventTime: et})
				if d.OldestEventTime == nil {
					d.OldestEventTime = &et
				}
				d.NewestEventTime = &et
				t.LogsOf[d.DigestS3Object] = append(t.LogsOf[d.DigestS3Object], l.key)
				t.Logs = append(t.Logs, l.key)
			}
			prevSig := "null"
			if prev != nil {
				b, alg := bucket, "SHA-256"
				key, hash, sig := prev.key, prev.hash, prev.sig
				d.PreviousDigestS3Bucket, d.PreviousDigestS3Object = &b, &key
				d.PreviousDigestHashValue, d.PreviousDigestHashAlgorithm, d.PreviousDigestSignature = &hash, &alg, &sig
				prevSig = sig
			}
			body, err := json.Marshal(d)
			if err != nil {
				return nil, err
			}
			sig := signer.Sign(d.DigestEndTime, d.DigestS3Bucket, d.DigestS3Object, body, prevSig)
			sum := sha256.Sum256(body)
			prev = &struct{ key, hash, sig string }{d.DigestS3Object, hex.EncodeToString(sum[:]), sig}
			f := File{Key: d.DigestS3Object, Body: Gzip(body)}
			p := filepath.Join(root, filepath.FromSlash(f.Key))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(p, f.Body, 0o644); err != nil {
				return nil, err
			}
			t.Files = append(t.Files, f)
			t.Digests = append(t.Digests, f.Key)
			t.Meta[f.Key] = map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"}
		}
		t.Heads = append(t.Heads, prev.key)
	}
	return t, nil
}
