package verify_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/s3test"
	"github.com/trailsweep/trailsweep/internal/verify"
	"github.com/trailsweep/trailsweep/reader"
)

var (
	keysOnce         sync.Once
	trusted, unknown *gen.Signer // trusted valid all of November 2026; unknown is in no keys file
	expired          *gen.Signer // in the keys file, valid only in October 2026
)

func signers(t *testing.T) {
	t.Helper()
	keysOnce.Do(func() {
		nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		var err error
		if trusted, err = gen.NewSigner(nov.AddDate(0, -1, 0), nov.AddDate(0, 1, 0)); err != nil {
			t.Fatal(err)
		}
		if unknown, err = gen.NewSigner(nov.AddDate(0, -1, 0), nov.AddDate(0, 1, 0)); err != nil {
			t.Fatal(err)
		}
		if expired, err = gen.NewSigner(nov.AddDate(0, -1, 0), nov); err != nil {
			t.Fatal(err)
		}
	})
}

// tamperCase is one way the evidence was changed, and what verify must say:
// every log and digest not named in logs or digests must be verified or
// valid, and nothing else may be flagged.
type tamperCase struct {
	name string
	opts func(o *gen.DigestOptions)
	// tamper changes the delivered files (keys → bodies; a missing key
	// is deleted) and their metadata.
	tamper  func(t *testing.T, tr *gen.DigestTree, files map[string][]byte, meta map[string]map[string]string)
	logs    func(tr *gen.DigestTree) map[string]string // key → status
	digests func(tr *gen.DigestTree) map[string]string // key → status
	gaps    int
}

// middle is the digest the cases tamper with.
func middle(tr *gen.DigestTree) string { return tr.Digests[1] }

func logsOfMiddle(status string) func(tr *gen.DigestTree) map[string]string {
	return func(tr *gen.DigestTree) map[string]string {
		m := map[string]string{}
		for _, k := range tr.LogsOf[middle(tr)] {
			m[k] = status
		}
		return m
	}
}

func one(key func(tr *gen.DigestTree) string, status string) func(tr *gen.DigestTree) map[string]string {
	return func(tr *gen.DigestTree) map[string]string { return map[string]string{key(tr): status} }
}

func regzip(t *testing.T, b []byte, edit func([]byte) []byte) []byte {
	t.Helper()
	plain, err := verify.Gunzip(b)
	if err != nil {
		t.Fatal(err)
	}
	return gen.Gzip(edit(bytes.Clone(plain)))
}

var cases = []tamperCase{
	{name: "intact"},
	{
		name: "log byte changed",
		tamper: func(t *testing.T, tr *gen.DigestTree, files map[string][]byte, _ map[string]map[string]string) {
			k := tr.Logs[3]
			files[k] = regzip(t, files[k], func(b []byte) []byte {
				i := bytes.Index(b, []byte("ListBuckets"))
				b[i] = 'X'
				return b
			})
		},
		logs: func(tr *gen.DigestTree) map[string]string { return map[string]string{tr.Logs[3]: verify.LogModified} },
	},
	{
		name: "log deleted",
		tamper: func(_ *testing.T, tr *gen.DigestTree, files map[string][]byte, _ map[string]map[string]string) {
			delete(files, tr.Logs[0])
		},
		logs: func(tr *gen.DigestTree) map[string]string { return map[string]string{tr.Logs[0]: verify.LogDeleted} },
	},
	{
		name: "digest changed",
		tamper: func(t *testing.T, tr *gen.DigestTree, files map[string][]byte, _ map[string]map[string]string) {
			k := middle(tr)
			files[k] = regzip(t, files[k], func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"awsAccountId":"111122223333"`), []byte(`"awsAccountId":"111122223334"`), 1)
			})
		},
		digests: one(middle, verify.DigestModified),
		logs:    logsOfMiddle(verify.LogUnverified),
	},
	{
		name: "digest moved",
		tamper: func(_ *testing.T, tr *gen.DigestTree, files map[string][]byte, meta map[string]map[string]string) {
			k := middle(tr)
			moved := strings.Replace(k, "T0207", "T0259", 1)
			files[moved], meta[moved] = files[k], meta[k]
			delete(files, k)
		},
		digests: one(func(tr *gen.DigestTree) string { return strings.Replace(middle(tr), "T0207", "T0259", 1) }, verify.DigestMoved),
	},
	{
		name: "digest removed from the middle",
		tamper: func(_ *testing.T, tr *gen.DigestTree, files map[string][]byte, _ map[string]map[string]string) {
			delete(files, middle(tr))
		},
		digests: one(middle, verify.DigestMissing),
		logs:    logsOfMiddle(verify.LogUnverified),
	},
	{
		name: "signature from an unknown key",
		opts: func(o *gen.DigestOptions) {
			o.SignerFor = func(i int) *gen.Signer { return map[int]*gen.Signer{1: unknown}[i] }
		},
		digests: one(middle, verify.DigestSignatureInvalid),
		logs:    logsOfMiddle(verify.LogUnverified),
	},
	{
		name: "key used outside its validity",
		opts: func(o *gen.DigestOptions) {
			o.SignerFor = func(i int) *gen.Signer { return map[int]*gen.Signer{1: expired}[i] }
		},
		digests: one(middle, verify.DigestSignatureInvalid),
		logs:    logsOfMiddle(verify.LogUnverified),
	},
	{
		name: "delivery stopped for an hour",
		opts: func(o *gen.DigestOptions) { o.Stopped = []int{2} },
		gaps: 1,
	},
}

// build makes the case's tree and applies its tampering.
func build(t *testing.T, c tamperCase, bucket string) (*gen.DigestTree, map[string][]byte, map[string]map[string]string) {
	t.Helper()
	signers(t)
	o := gen.DigestOptions{Signer: trusted, Hours: 4, Logs: 2, Bucket: bucket}
	if c.opts != nil {
		c.opts(&o)
	}
	tr := gen.Digests(o)
	files := map[string][]byte{}
	for _, f := range tr.Files {
		files[f.Key] = f.Body
	}
	meta := maps.Clone(tr.Meta)
	if c.tamper != nil {
		c.tamper(t, tr, files, meta)
	}
	return tr, files, meta
}

// check compares the result with the case's expectations; uri maps a key
// to the URI verify reports it under.
func check(t *testing.T, c tamperCase, tr *gen.DigestTree, files map[string][]byte, res *verify.Result, uri func(string) string) {
	t.Helper()
	wantLogs := map[string]string{}
	for _, k := range tr.Logs {
		wantLogs[uri(k)] = verify.LogVerified
	}
	wantDigests := map[string]string{}
	for k := range files {
		if strings.Contains(k, "CloudTrail-Digest") {
			wantDigests[uri(k)] = verify.DigestValid
		}
	}
	if c.logs != nil {
		for k, s := range c.logs(tr) {
			wantLogs[uri(k)] = s
		}
	}
	if c.digests != nil {
		for k, s := range c.digests(tr) {
			wantDigests[uri(k)] = s
		}
	}
	gotLogs, gotDigests := map[string]string{}, map[string]string{}
	for _, l := range res.Logs {
		gotLogs[l.URI] = l.Status
	}
	for _, d := range res.Digests {
		gotDigests[d.URI] = d.Status
	}
	diff(t, "log", gotLogs, wantLogs)
	diff(t, "digest", gotDigests, wantDigests)
	if len(res.Gaps) != c.gaps {
		t.Errorf("gaps = %+v, want %d", res.Gaps, c.gaps)
	}
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	if want := c.name == "intact"; res.OK() != want {
		t.Errorf("OK() = %v, want %v", res.OK(), want)
	}
	if t.Failed() {
		var b bytes.Buffer
		res.WriteText(&b)
		t.Logf("report:\n%s", b.String())
	}
}

func diff(t *testing.T, kind string, got, want map[string]string) {
	t.Helper()
	keys := slices.Sorted(maps.Keys(want))
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s %s: %q, want %q", kind, k, got[k], want[k])
		}
	}
}

func keys(t *testing.T) verify.Keys {
	t.Helper()
	ks, err := verify.ParseKeys(gen.PublicKeys(trusted, expired))
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestVerifyLocal verifies a local copy with the signatures file.
func TestVerifyLocal(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, files, _ := build(t, c, "")
			root := t.TempDir()
			var fs []gen.File
			for k, b := range files {
				fs = append(fs, gen.File{Key: k, Body: b})
			}
			if err := gen.WriteTree(root, fs); err != nil {
				t.Fatal(err)
			}
			m, err := verify.ParseManifest(tr.Signatures())
			if err != nil {
				t.Fatal(err)
			}
			src, err := reader.NewLocal(root)
			if err != nil {
				t.Fatal(err)
			}
			res, err := verify.Run(context.Background(), verify.Config{Sources: []reader.Source{src}, Keys: keys(t), Signatures: m})
			if err != nil {
				t.Fatal(err)
			}
			check(t, c, tr, files, res, func(k string) string { return filepath.Join(root, filepath.FromSlash(k)) })
		})
	}
}

// TestVerifyS3 verifies the same cases in S3, signatures in user metadata.
func TestVerifyS3(t *testing.T) {
	srv := s3test.Start(t)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bucket := "trail-" + string(rune('a'+i))
			tr, files, meta := build(t, c, bucket)
			srv.CreateBucket(t, bucket)
			for k, b := range files {
				srv.PutMeta(t, bucket, k, b, meta[k])
			}
			src := reader.NewS3Client(srv.Client(), bucket, "")
			res, err := verify.Run(context.Background(), verify.Config{Sources: []reader.Source{src}, Keys: keys(t)})
			if err != nil {
				t.Fatal(err)
			}
			check(t, c, tr, files, res, func(k string) string { return "s3://" + bucket + "/" + k })
		})
	}
}

// failedFolder is a Source whose listing finds one folder it could not list.
type failedFolder struct{ uri string }

func (f failedFolder) List(_ context.Context, _ reader.Filter, fn func(reader.Object) error) error {
	return fn(reader.Object{URI: f.uri, Key: "AWSLogs/", Err: errors.New("s3 list AWSLogs/: 503 SlowDown")})
}
func (failedFolder) Open(context.Context, reader.Object) (io.ReadCloser, error) { panic("opened") }
func (f failedFolder) String() string                                           { return f.uri }

// TestFinishReportsUnlistedFolder: a digest folder that could not be
// listed after the scan's window is an error of the result, not left out.
func TestFinishReportsUnlistedFolder(t *testing.T) {
	src := failedFolder{uri: "s3://trail/AWSLogs/"}
	s := verify.NewSession(verify.Config{Sources: []reader.Source{src}, Keys: verify.Keys{},
		Filter: reader.Filter{Since: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)}})
	res, err := s.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], src.uri) || !strings.Contains(res.Errors[0], "SlowDown") {
		t.Errorf("errors %v, want the folder that could not be listed", res.Errors)
	}
}
