package gen

import (
	"bytes"
	"fmt"
	"maps"
	"strings"
	"time"
)

// Tamper is one way evidence is changed after delivery, and what a
// verification of the changed tree must report: every log and digest it
// does not name is verified or valid, and nothing else is flagged. Statuses
// are those of trailsweep verify ("verified", "modified", "deleted",
// "unverified"; "valid", "moved", "modified", "missing", "signature
// invalid").
type Tamper struct {
	Name string
	// Opts changes how the tree is built (which key signs which digest,
	// hours without delivery); nil = as is.
	Opts func(o *DigestOptions)
	// Edit changes the delivered files (key → body; a key removed is a
	// deleted object) and the digests' S3 metadata; nil = none.
	Edit func(tr *DigestTree, files map[string][]byte, meta map[string]map[string]string) error
	// Logs and Digests give the keys reported otherwise than verified or
	// valid, with their status; Gaps is how many gaps the chain has.
	Logs    func(tr *DigestTree) map[string]string
	Digests func(tr *DigestTree) map[string]string
	Gaps    int
}

// TamperSigners are the keys the tamper cases sign with: Trusted is in
// the public keys file and valid all of November 2026; Unknown is in no
// keys file; Expired is in the keys file but valid only in October 2026;
// Forger signs with Unknown's key under Trusted's fingerprint (a forged
// signature).
type TamperSigners struct {
	Trusted, Unknown, Expired, Forger *Signer
}

// NewTamperSigners makes the three keys.
func NewTamperSigners() (*TamperSigners, error) {
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var s TamperSigners
	var err error
	if s.Trusted, err = NewSigner(nov.AddDate(0, -1, 0), nov.AddDate(0, 1, 0)); err != nil {
		return nil, err
	}
	if s.Unknown, err = NewSigner(nov.AddDate(0, -1, 0), nov.AddDate(0, 1, 0)); err != nil {
		return nil, err
	}
	if s.Expired, err = NewSigner(nov.AddDate(0, -1, 0), nov); err != nil {
		return nil, err
	}
	f := *s.Unknown
	f.Fingerprint = s.Trusted.Fingerprint
	s.Forger = &f
	return &s, nil
}

// PublicKeys is the keys file the cases are verified with: Trusted and
// Expired.
func (s *TamperSigners) PublicKeys() []byte { return PublicKeys(s.Trusted, s.Expired) }

// Build makes the tree of case c (four hours, two logs an hour, in bucket;
// "" = the default) and applies its edit: the files as delivered after
// tampering, and their metadata.
func (s *TamperSigners) Build(c Tamper, bucket string) (*DigestTree, map[string][]byte, map[string]map[string]string, error) {
	o := DigestOptions{Signer: s.Trusted, Hours: 4, Logs: 2, Bucket: bucket}
	if c.Opts != nil {
		c.Opts(&o)
	}
	tr := Digests(o)
	files := map[string][]byte{}
	for _, f := range tr.Files {
		files[f.Key] = f.Body
	}
	meta := maps.Clone(tr.Meta)
	if c.Edit != nil {
		if err := c.Edit(tr, files, meta); err != nil {
			return nil, nil, nil, fmt.Errorf("tamper %s: %w", c.Name, err)
		}
	}
	return tr, files, meta, nil
}

// tamperedDigest is the digest the cases change: the second of four.
func tamperedDigest(tr *DigestTree) string { return tr.Digests[1] }

// newestDigest is the chain's head.
func newestDigest(tr *DigestTree) string { return tr.Digests[len(tr.Digests)-1] }

// movedDigest is where "digest moved" puts it.
func movedDigest(tr *DigestTree) string {
	return strings.Replace(tamperedDigest(tr), "T0207", "T0259", 1)
}

func logsOfTampered(status string) func(tr *DigestTree) map[string]string {
	return func(tr *DigestTree) map[string]string {
		m := map[string]string{}
		for _, k := range tr.LogsOf[tamperedDigest(tr)] {
			m[k] = status
		}
		return m
	}
}

func oneDigest(key func(tr *DigestTree) string, status string) func(tr *DigestTree) map[string]string {
	return func(tr *DigestTree) map[string]string { return map[string]string{key(tr): status} }
}

// regzip rewrites a gzip body through edit of its decompressed bytes.
func regzip(b []byte, edit func([]byte) ([]byte, error)) ([]byte, error) {
	plain, err := gunzip(b)
	if err != nil {
		return nil, err
	}
	plain, err = edit(bytes.Clone(plain))
	if err != nil {
		return nil, err
	}
	return Gzip(plain), nil
}

// Tampers are the cases issue 16 names: an intact chain; a byte changed in
// a log (its eventName: the record still parses and keeps its eventSource);
// a log deleted; a digest changed, moved, removed from the middle of the
// chain; a digest signed by an unknown key, or by a key outside its
// validity; the newest digest with a forged signature (a known key's
// fingerprint, another key's signature: only RSA tells); and delivery
// stopped for an hour (a gap).
func (s *TamperSigners) Tampers() []Tamper {
	unknown, expired, forger := s.Unknown, s.Expired, s.Forger
	return []Tamper{
		{Name: "intact"},
		{
			Name: "log byte changed",
			Edit: func(tr *DigestTree, files map[string][]byte, _ map[string]map[string]string) error {
				k := tr.Logs[3]
				b, err := regzip(files[k], func(b []byte) ([]byte, error) {
					i := bytes.Index(b, []byte("ListBuckets"))
					if i < 0 {
						return nil, fmt.Errorf("%s has no ListBuckets", k)
					}
					b[i] = 'X'
					return b, nil
				})
				files[k] = b
				return err
			},
			Logs: func(tr *DigestTree) map[string]string { return map[string]string{tr.Logs[3]: "modified"} },
		},
		{
			Name: "log deleted",
			Edit: func(tr *DigestTree, files map[string][]byte, _ map[string]map[string]string) error {
				delete(files, tr.Logs[0])
				return nil
			},
			Logs: func(tr *DigestTree) map[string]string { return map[string]string{tr.Logs[0]: "deleted"} },
		},
		{
			Name: "digest changed",
			Edit: func(tr *DigestTree, files map[string][]byte, _ map[string]map[string]string) error {
				k := tamperedDigest(tr)
				b, err := regzip(files[k], func(b []byte) ([]byte, error) {
					from, to := []byte(`"awsAccountId":"111122223333"`), []byte(`"awsAccountId":"111122223334"`)
					if !bytes.Contains(b, from) {
						return nil, fmt.Errorf("%s has no %s", k, from)
					}
					return bytes.Replace(b, from, to, 1), nil
				})
				files[k] = b
				return err
			},
			Digests: oneDigest(tamperedDigest, "modified"),
			Logs:    logsOfTampered("unverified"),
		},
		{
			Name: "digest moved",
			Edit: func(tr *DigestTree, files map[string][]byte, meta map[string]map[string]string) error {
				k, moved := tamperedDigest(tr), movedDigest(tr)
				files[moved], meta[moved] = files[k], meta[k]
				delete(files, k)
				return nil
			},
			Digests: oneDigest(movedDigest, "moved"),
		},
		{
			Name: "digest removed from the middle",
			Edit: func(tr *DigestTree, files map[string][]byte, _ map[string]map[string]string) error {
				delete(files, tamperedDigest(tr))
				return nil
			},
			Digests: oneDigest(tamperedDigest, "missing"),
			Logs:    logsOfTampered("unverified"),
		},
		{
			Name: "signature from an unknown key",
			Opts: func(o *DigestOptions) {
				o.SignerFor = func(i int) *Signer { return map[int]*Signer{1: unknown}[i] }
			},
			Digests: oneDigest(tamperedDigest, "signature invalid"),
			Logs:    logsOfTampered("unverified"),
		},
		{
			Name: "key used outside its validity",
			Opts: func(o *DigestOptions) {
				o.SignerFor = func(i int) *Signer { return map[int]*Signer{1: expired}[i] }
			},
			Digests: oneDigest(tamperedDigest, "signature invalid"),
			Logs:    logsOfTampered("unverified"),
		},
		{
			Name: "newest digest with a forged signature",
			Opts: func(o *DigestOptions) {
				o.SignerFor = func(i int) *Signer { return map[int]*Signer{o.Hours - 1: forger}[i] }
			},
			Digests: oneDigest(newestDigest, "signature invalid"),
			Logs: func(tr *DigestTree) map[string]string {
				m := map[string]string{}
				for _, k := range tr.LogsOf[newestDigest(tr)] {
					m[k] = "unverified"
				}
				return m
			},
		},
		{
			Name: "delivery stopped for an hour",
			Opts: func(o *DigestOptions) { o.Stopped = []int{2} },
			Gaps: 1,
		},
	}
}
