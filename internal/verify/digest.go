package verify

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/valyala/fastjson"
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

// ParseDigest decodes a digest's decompressed bytes. Keys match exactly
// (CloudTrail's spelling; encoding/json would also take other cases); a
// later duplicate key replaces an earlier one; null leaves a string empty
// and a pointer nil; a value of another type is an error. In fields it
// does not read, fastjson takes number spellings encoding/json refuses
// (NaN, 01): such a body is not CloudTrail's, and its hash and signature
// say so. A body that is not valid UTF-8 is refused: CloudTrail writes
// UTF-8 and signs UTF-8, where encoding/json would read such bytes as
// U+FFFD and fastjson would keep them.
func ParseDigest(b []byte) (*Digest, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("digest: not valid UTF-8")
	}
	p := digestParsers.Get()
	defer digestParsers.Put(p)
	v, err := p.ParseBytes(b)
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	o, err := v.Object()
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	var d Digest
	o.Visit(func(k []byte, v *fastjson.Value) {
		if err != nil {
			return
		}
		switch string(k) {
		case "awsAccountId":
			err = setString(&d.AccountID, v)
		case "digestStartTime":
			err = setString(&d.StartTime, v)
		case "digestEndTime":
			err = setString(&d.EndTime, v)
		case "digestS3Bucket":
			err = setString(&d.Bucket, v)
		case "digestS3Object":
			err = setString(&d.Object, v)
		case "digestPublicKeyFingerprint":
			err = setString(&d.Fingerprint, v)
		case "digestSignatureAlgorithm":
			err = setString(&d.Algorithm, v)
		case "newestEventTime":
			err = setStringPtr(&d.NewestEventTime, v)
		case "oldestEventTime":
			err = setStringPtr(&d.OldestEventTime, v)
		case "previousDigestS3Bucket":
			err = setStringPtr(&d.PrevBucket, v)
		case "previousDigestS3Object":
			err = setStringPtr(&d.PrevObject, v)
		case "previousDigestHashValue":
			err = setStringPtr(&d.PrevHash, v)
		case "previousDigestHashAlgorithm":
			err = setStringPtr(&d.PrevHashAlgorithm, v)
		case "previousDigestSignature":
			err = setStringPtr(&d.PrevSignature, v)
		case "logFiles":
			d.LogFiles, err = logRefs(v)
		default:
			return
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", k, err)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	if d.EndTime == "" || d.Object == "" {
		return nil, fmt.Errorf("digest: no digestEndTime or digestS3Object")
	}
	return &d, nil
}

// digestParsers parse digests: a parser keeps its buffers between digests.
var digestParsers fastjson.ParserPool

// errNotString: a digest field that must be a string is not.
var errNotString = errors.New("not a string")

// setString sets *dst to v, a string; null leaves it as is.
func setString(dst *string, v *fastjson.Value) error {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeString:
		*dst = string(v.GetStringBytes())
		return nil
	}
	return errNotString
}

// setStringPtr sets *dst to v, a string, or nil for null.
func setStringPtr(dst **string, v *fastjson.Value) error {
	if v.Type() == fastjson.TypeNull {
		*dst = nil
		return nil
	}
	var s string
	if err := setString(&s, v); err != nil {
		return err
	}
	*dst = &s
	return nil
}

// logRefs decodes logFiles: an array of objects, or null.
func logRefs(v *fastjson.Value) ([]LogRef, error) {
	if v.Type() == fastjson.TypeNull {
		return nil, nil
	}
	a, err := v.Array()
	if err != nil {
		return nil, err
	}
	refs := make([]LogRef, len(a))
	for i, e := range a {
		if e.Type() == fastjson.TypeNull {
			continue
		}
		o, err := e.Object()
		if err != nil {
			return nil, fmt.Errorf("%d: %w", i, err)
		}
		r := &refs[i]
		o.Visit(func(k []byte, v *fastjson.Value) {
			if err != nil {
				return
			}
			switch string(k) {
			case "s3Bucket":
				err = setString(&r.Bucket, v)
			case "s3Object":
				err = setString(&r.Object, v)
			case "hashValue":
				err = setString(&r.HashValue, v)
			case "hashAlgorithm":
				err = setString(&r.HashAlgorithm, v)
			case "newestEventTime":
				err = setString(&r.NewestEventTime, v)
			case "oldestEventTime":
				err = setString(&r.OldestEventTime, v)
			default:
				return
			}
			if err != nil {
				err = fmt.Errorf("%d: %s: %w", i, k, err)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return refs, nil
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
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(b))
	} else {
		err = zr.Reset(bytes.NewReader(b))
	}
	if err != nil {
		return nil, err
	}
	defer gzipReaders.Put(zr)
	// The trailer's ISIZE is the size mod 2^32 of the last member: a hint
	// only, capped so that a forged one cannot make a large allocation.
	hint := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
	return readAll(zr, min(hint, 64<<20))
}

// gzipReaders are reused between digests (a reader's tables are large).
var gzipReaders sync.Pool

// readAll reads r to its end into a buffer of capacity hint (grown when
// r holds more).
func readAll(r io.Reader, hint int) ([]byte, error) {
	b := make([]byte, 0, max(hint, 512)+1) // one more: EOF without a grow
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
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
