package verify

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Digest is one CloudTrail digest file as stored (see the spec, "Digest
// files and integrity validation"). Times are kept as written: the string
// to sign uses digestEndTime verbatim.
type Digest struct {
	AccountID         string   `json:"awsAccountId"`
	StartTime         string   `json:"digestStartTime"`
	EndTime           string   `json:"digestEndTime"`
	Bucket            string   `json:"digestS3Bucket"`
	Object            string   `json:"digestS3Object"`
	Fingerprint       string   `json:"digestPublicKeyFingerprint"`
	Algorithm         string   `json:"digestSignatureAlgorithm"`
	NewestEventTime   *string  `json:"newestEventTime"`
	OldestEventTime   *string  `json:"oldestEventTime"`
	PrevBucket        *string  `json:"previousDigestS3Bucket"`
	PrevObject        *string  `json:"previousDigestS3Object"`
	PrevHash          *string  `json:"previousDigestHashValue"`
	PrevHashAlgorithm *string  `json:"previousDigestHashAlgorithm"`
	PrevSignature     *string  `json:"previousDigestSignature"`
	LogFiles          []LogRef `json:"logFiles"`
}

// LogRef is one logFiles entry of a digest: hashValue is the hex SHA-256
// of the decompressed log file.
type LogRef struct {
	Bucket          string `json:"s3Bucket"`
	Object          string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime"`
	OldestEventTime string `json:"oldestEventTime"`
}

// ParseDigest decodes a digest's decompressed bytes.
func ParseDigest(b []byte) (*Digest, error) {
	var d Digest
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	if d.EndTime == "" || d.Object == "" {
		return nil, fmt.Errorf("digest: no digestEndTime or digestS3Object")
	}
	return &d, nil
}

// End returns digestEndTime parsed, or the zero time.
func (d *Digest) End() time.Time { return parseTime(d.EndTime) }

// Start returns digestStartTime parsed, or the zero time.
func (d *Digest) Start() time.Time { return parseTime(d.StartTime) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t.UTC()
}

// StringToSign returns what CloudTrail signs for a digest whose
// decompressed bytes hash to h (lowercase hex): digestEndTime as written,
// digestS3Bucket/digestS3Object, h and previousDigestSignature (the literal
// "null" when it is null), joined by "\n" with no trailing newline.
func (d *Digest) StringToSign(h string) string {
	prev := "null"
	if d.PrevSignature != nil {
		prev = *d.PrevSignature
	}
	return d.EndTime + "\n" + d.Bucket + "/" + d.Object + "\n" + h + "\n" + prev
}

// Hash returns the lowercase hex SHA-256 of b.
func Hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Gunzip returns the decompressed bytes of a gzip stream, or b itself when
// it does not start with the gzip magic bytes.
func Gunzip(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// HashStream returns the lowercase hex SHA-256 of r's bytes decompressed
// (when they are gzip), streaming.
func HashStream(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", err
		}
		src = zr
	}
	h := sha256.New()
	if _, err := io.Copy(h, src); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Chain names the chain a digest belongs to: one per trail, account,
// region and home region, and a second one for backfill digests. Name is
// the digest's file name ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_
// YYYYMMDDTHHMMSSZ[_backfill].json.gz; key is its full key, whose folder
// (without the date folders) goes into the chain's name.
func Chain(key string) string {
	dir, name := "", key
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		dir, name = key[:i], key[i+1:]
	}
	// Drop the YYYY/MM/DD folders.
	for range 3 {
		if i := strings.LastIndexByte(dir, '/'); i >= 0 {
			dir = dir[:i]
		}
	}
	base := strings.TrimSuffix(name, ".json.gz")
	backfill := strings.HasSuffix(base, "_backfill")
	base = strings.TrimSuffix(base, "_backfill")
	if i := strings.LastIndexByte(base, '_'); i >= 0 { // the timestamp
		base = base[:i]
	}
	c := dir + "/" + base
	if backfill {
		c += " (backfill)"
	}
	return c
}
