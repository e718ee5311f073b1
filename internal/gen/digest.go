package gen

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Signer is an RSA key that signs digests as CloudTrail does, with the
// validity range written for it to the public keys file.
type Signer struct {
	Key         *rsa.PrivateKey
	Fingerprint string
	Start, End  time.Time
}

// NewSigner makes a 2048-bit key valid in [start, end).
func NewSigner(start, end time.Time) (*Signer, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(x509.MarshalPKCS1PublicKey(&k.PublicKey))
	return &Signer{Key: k, Fingerprint: hex.EncodeToString(sum[:16]), Start: start, End: end}, nil
}

// Sign returns the hex signature of a digest: RSASSA-PKCS1-v1_5 with
// SHA-256 over endTime "\n" bucket/key "\n" hex(sha256(body)) "\n"
// prevSig, where body is the decompressed digest and prevSig is "null"
// for the first digest of a chain.
func (s *Signer) Sign(endTime, bucket, key string, body []byte, prevSig string) string {
	h := sha256.Sum256(body)
	msg := endTime + "\n" + bucket + "/" + key + "\n" + hex.EncodeToString(h[:]) + "\n" + prevSig
	sum := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(nil, s.Key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err) // a key made by NewSigner always signs
	}
	return hex.EncodeToString(sig)
}

// PublicKeys returns the JSON `aws cloudtrail list-public-keys` prints for
// these signers.
func PublicKeys(signers ...*Signer) []byte {
	type key struct {
		Value             string
		ValidityStartTime string
		ValidityEndTime   string
		Fingerprint       string
	}
	var out struct{ PublicKeyList []key }
	for _, s := range signers {
		out.PublicKeyList = append(out.PublicKeyList, key{
			Value:             base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&s.Key.PublicKey)),
			ValidityStartTime: s.Start.UTC().Format(time.RFC3339),
			ValidityEndTime:   s.End.UTC().Format(time.RFC3339),
			Fingerprint:       s.Fingerprint,
		})
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return b
}

// DigestOptions shape a signed digest tree.
type DigestOptions struct {
	Bucket  string    // the bucket the digests name; default "trail-bucket"
	Account string    // default "111122223333"
	Region  string    // default "us-east-1"
	Trail   string    // default "main"
	Start   time.Time // the first hour covered; default 2026-11-01T00:00Z
	Hours   int       // digests delivered, one an hour; default 4
	Logs    int       // log files per hour; default 2
	Signer  *Signer
	// SignerFor, when set, signs the digest of hour i instead of Signer
	// (nil = Signer).
	SignerFor func(i int) *Signer
	// Stopped hours deliver neither logs nor a digest: the next digest
	// starts a new chain (null previous* fields), as after logging stopped.
	Stopped []int
}

// DigestTree is a log tree with its signed digests.
type DigestTree struct {
	Files   []File                       // logs, then digests
	Logs    []string                     // log keys, in delivery order
	Digests []string                     // digest keys, in delivery order
	LogsOf  map[string][]string          // digest key → the log keys it lists
	Meta    map[string]map[string]string // digest key → S3 user metadata: signature, signature-algorithm
	Heads   []string                     // the newest digest key (one chain)
	Opts    DigestOptions                // with defaults filled in
}

type digestJSON struct {
	AWSAccountID                string        `json:"awsAccountId"`
	DigestStartTime             string        `json:"digestStartTime"`
	DigestEndTime               string        `json:"digestEndTime"`
	DigestS3Bucket              string        `json:"digestS3Bucket"`
	DigestS3Object              string        `json:"digestS3Object"`
	DigestPublicKeyFingerprint  string        `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    string        `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string       `json:"newestEventTime"`
	OldestEventTime             *string       `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string       `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string       `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string       `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string       `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string       `json:"previousDigestSignature"`
	LogFiles                    []digestEntry `json:"logFiles"`
}

type digestEntry struct {
	S3Bucket        string `json:"s3Bucket"`
	S3Object        string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime"`
	OldestEventTime string `json:"oldestEventTime"`
}

// DigestKey is the S3 key of a digest delivered at t.
func DigestKey(account, region, trail string, t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz",
		account, region, t.Format("2006/01/02"), account, region, trail, region, t.Format("20060102T150405Z"))
}

// Digests builds a tree of log files and one signed digest an hour over
// them, chained as CloudTrail chains them.
func Digests(opts DigestOptions) *DigestTree {
	if opts.Bucket == "" {
		opts.Bucket = "trail-bucket"
	}
	if opts.Account == "" {
		opts.Account = "111122223333"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Trail == "" {
		opts.Trail = "main"
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	if opts.Hours == 0 {
		opts.Hours = 4
	}
	if opts.Logs == 0 {
		opts.Logs = 2
	}
	t := &DigestTree{LogsOf: map[string][]string{}, Meta: map[string]map[string]string{}, Opts: opts}
	id := IAMUser(opts.Account, "alice", "AKIAIOSFODNN7EXAMPLE")
	var digests []File
	var prev *struct{ key, hash, sig string }
	for i := range opts.Hours {
		if slices.Contains(opts.Stopped, i) {
			prev = nil
			continue
		}
		start := opts.Start.Add(time.Duration(i) * time.Hour)
		end := start.Add(time.Hour)
		d := digestJSON{
			AWSAccountID: opts.Account, DigestStartTime: start.Format(time.RFC3339), DigestEndTime: end.Format(time.RFC3339),
			DigestS3Bucket: opts.Bucket, DigestS3Object: DigestKey(opts.Account, opts.Region, opts.Trail, end.Add(7*time.Minute)),
			DigestSignatureAlgorithm: "SHA256withRSA", LogFiles: []digestEntry{},
		}
		signer := opts.Signer
		if opts.SignerFor != nil && opts.SignerFor(i) != nil {
			signer = opts.SignerFor(i)
		}
		d.DigestPublicKeyFingerprint = signer.Fingerprint
		for j := range opts.Logs {
			at := start.Add(time.Duration(j*60/opts.Logs+3) * time.Minute)
			et := at.Add(-2 * time.Minute).Format(time.RFC3339)
			body := LogFile(Event(id, at.Add(-2*time.Minute), opts.Region, "s3.amazonaws.com", "ListBuckets", "", ""))
			key := LogKey("", opts.Account, opts.Region, at, fmt.Sprintf("%016d", i*100+j))
			t.Files = append(t.Files, File{Key: key, Body: Gzip(body)})
			t.Logs = append(t.Logs, key)
			t.LogsOf[d.DigestS3Object] = append(t.LogsOf[d.DigestS3Object], key)
			sum := sha256.Sum256(body)
			d.LogFiles = append(d.LogFiles, digestEntry{S3Bucket: opts.Bucket, S3Object: key, HashValue: hex.EncodeToString(sum[:]),
				HashAlgorithm: "SHA-256", NewestEventTime: et, OldestEventTime: et})
			if j == 0 {
				d.OldestEventTime = &et
			}
			d.NewestEventTime = &et
		}
		prevSig := "null"
		if prev != nil {
			bucket, alg := opts.Bucket, "SHA-256"
			key, hash, sig := prev.key, prev.hash, prev.sig
			d.PreviousDigestS3Bucket, d.PreviousDigestS3Object = &bucket, &key
			d.PreviousDigestHashValue, d.PreviousDigestHashAlgorithm, d.PreviousDigestSignature = &hash, &alg, &sig
			prevSig = sig
		}
		body, err := json.Marshal(d)
		if err != nil {
			panic(err)
		}
		sig := signer.Sign(d.DigestEndTime, d.DigestS3Bucket, d.DigestS3Object, body, prevSig)
		sum := sha256.Sum256(body)
		prev = &struct{ key, hash, sig string }{d.DigestS3Object, hex.EncodeToString(sum[:]), sig}
		digests = append(digests, File{Key: d.DigestS3Object, Body: Gzip(body)})
		t.Digests = append(t.Digests, d.DigestS3Object)
		t.Meta[d.DigestS3Object] = map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"}
	}
	t.Files = append(t.Files, digests...)
	if n := len(t.Digests); n > 0 {
		t.Heads = []string{t.Digests[n-1]}
	}
	return t
}

// Signatures returns the evidence manifest `trailsweep verify
// --save-signatures` would write for the tree as delivered (the format of
// verify.Manifest, version 1), for offline verification of a local copy.
func (t *DigestTree) Signatures() []byte {
	type head struct {
		Bucket  string `json:"bucket"`
		Key     string `json:"key"`
		EndTime string `json:"endTime"`
	}
	var m struct {
		Version    int    `json:"version"`
		Signatures []any  `json:"signatures"`
		Heads      []head `json:"heads"`
	}
	m.Version = 1
	for _, f := range t.Files {
		md, ok := t.Meta[f.Key]
		if !ok {
			continue
		}
		body, _ := gunzip(f.Body)
		var d digestJSON
		_ = json.Unmarshal(body, &d)
		m.Signatures = append(m.Signatures, map[string]string{
			"bucket": t.Opts.Bucket, "key": f.Key, "signature": md["signature"],
			"algorithm": md["signature-algorithm"], "fingerprint": d.DigestPublicKeyFingerprint,
		})
		if slices.Contains(t.Heads, f.Key) {
			m.Heads = append(m.Heads, head{Bucket: t.Opts.Bucket, Key: f.Key, EndTime: d.DigestEndTime})
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return b
}
