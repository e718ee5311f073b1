package verify_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
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
	signersOnce sync.Once
	signersErr  error
	tamper      *gen.TamperSigners
)

// signers makes the tamper cases' keys once for the package's tests.
func signers(t *testing.T) *gen.TamperSigners {
	t.Helper()
	signersOnce.Do(func() { tamper, signersErr = gen.NewTamperSigners() })
	if signersErr != nil {
		t.Fatal(signersErr)
	}
	return tamper
}

// build makes the case's tree and applies its tampering.
func build(t *testing.T, c gen.Tamper, bucket string) (*gen.DigestTree, map[string][]byte, map[string]map[string]string) {
	t.Helper()
	tr, files, meta, err := signers(t).Build(c, bucket)
	if err != nil {
		t.Fatal(err)
	}
	return tr, files, meta
}

// check compares the result with the case's expectations; uri maps a key
// to the URI verify reports it under.
func check(t *testing.T, c gen.Tamper, tr *gen.DigestTree, files map[string][]byte, res *verify.Result, uri func(string) string) {
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
	gotLogs, gotDigests := map[string]string{}, map[string]string{}
	for _, l := range res.Logs {
		gotLogs[l.URI] = l.Status
	}
	for _, d := range res.Digests {
		gotDigests[d.URI] = d.Status
	}
	diff(t, "log", gotLogs, wantLogs)
	diff(t, "digest", gotDigests, wantDigests)
	if len(res.Gaps) != c.Gaps {
		t.Errorf("gaps = %+v, want %d", res.Gaps, c.Gaps)
	}
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	if want := c.Name == "intact"; res.OK() != want {
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
	ks, err := verify.ParseKeys(signers(t).PublicKeys())
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// copied is a tamper case's tree written to a local directory, where the
// digests' signatures are lost, with the signatures file its builder saved.
type copied struct {
	tr    *gen.DigestTree
	files map[string][]byte // the tree, by key
	root  string
	src   reader.Source
	sigs  *verify.Manifest
}

// localCopy builds tamper case c's tree and writes it to a local directory.
func localCopy(t *testing.T, c gen.Tamper) copied {
	t.Helper()
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
	return copied{tr: tr, files: files, root: root, src: src, sigs: m}
}

// TestVerifyLocal verifies a local copy with the signatures file.
func TestVerifyLocal(t *testing.T) {
	for _, c := range signers(t).Tampers() {
		t.Run(c.Name, func(t *testing.T) {
			cp := localCopy(t, c)
			res, err := verify.Run(context.Background(), verify.Config{Sources: []reader.Source{cp.src}, Keys: keys(t), Signatures: cp.sigs})
			if err != nil {
				t.Fatal(err)
			}
			check(t, c, cp.tr, cp.files, res, func(k string) string { return filepath.Join(cp.root, filepath.FromSlash(k)) })
		})
	}
}

// TestVerifyS3 verifies the same cases in S3, signatures in user metadata.
func TestVerifyS3(t *testing.T) {
	srv := s3test.Start(t)
	for i, c := range signers(t).Tampers() {
		t.Run(c.Name, func(t *testing.T) {
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

// TestVerifyCommittedByNext: a digest is checked with RSA unless an
// authenticated successor commits to its hash and signature. A middle
// digest whose own signature does not verify (a forger's, under the trusted
// key's fingerprint) but which its valid successor names, hash and
// signature, is valid with its logs: CloudTrail's signature over the
// successor covers both. With the successor gone, RSA judges it alone.
func TestVerifyCommittedByNext(t *testing.T) {
	ts := signers(t)
	forged := gen.Tamper{Name: "forged middle", Opts: func(o *gen.DigestOptions) {
		o.SignerFor = func(i int) *gen.Signer { return map[int]*gen.Signer{1: ts.Forger}[i] }
	}}
	tr, files, meta := build(t, forged, "committed")
	mid := tr.Digests[1]
	body, err := verify.Gunzip(files[mid])
	if err != nil {
		t.Fatal(err)
	}
	d, err := verify.ParseDigest(body)
	if err != nil {
		t.Fatal(err)
	}
	// The middle's signature alone does not verify.
	if err := keys(t).Verify(d.Fingerprint, d.End(), d.Algorithm, d.StringToSign(verify.Hash(body)), meta[mid]["signature"]); !errors.Is(err, verify.ErrBadSignature) {
		t.Fatalf("the forged signature checked alone: %v, want ErrBadSignature", err)
	}
	run := func(files map[string][]byte) *verify.Result {
		srv := s3test.Start(t)
		srv.CreateBucket(t, "committed")
		for k, b := range files {
			srv.PutMeta(t, "committed", k, b, meta[k])
		}
		src := reader.NewS3Client(srv.Client(), "committed", "")
		res, err := verify.Run(context.Background(), verify.Config{Sources: []reader.Source{src}, Keys: keys(t)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	uri := func(k string) string { return "s3://committed/" + k }
	check(t, gen.Tamper{Name: "intact"}, tr, files, run(files), uri) // all verified and valid, as an intact chain

	// Without its successor (and the successor's own), RSA judges it.
	delete(files, tr.Digests[2])
	delete(files, tr.Digests[3])
	res := run(files)
	for _, dr := range res.Digests {
		if dr.URI == uri(mid) && dr.Status != verify.DigestSignatureInvalid {
			t.Errorf("head %s without successor: %s, want %s", mid, dr.Status, verify.DigestSignatureInvalid)
		}
	}
}

// TestVerifySpills: with a budget too small for the per-log state, the
// logs and the digests' entries spill to the work directory, and the
// verdicts are those of a run that kept them in memory, in Run and in a
// Session a scan drives.
func TestVerifySpills(t *testing.T) {
	for _, c := range signers(t).Tampers() {
		t.Run(c.Name, func(t *testing.T) {
			cp := localCopy(t, c)
			cfg := verify.Config{Sources: []reader.Source{cp.src}, Keys: keys(t), Signatures: cp.sigs}
			want, err := verify.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want.Spilled.Runs != 0 {
				t.Fatalf("default budget: %d runs spilt", want.Spilled.Runs)
			}
			// A scan hands a session each digest and each log's hash.
			session := func(cfg verify.Config) *verify.Result {
				t.Helper()
				sess := verify.NewSession(cfg)
				err := cp.src.List(context.Background(), reader.Filter{}, func(o reader.Object) error {
					switch o.Skip {
					case reader.SkipDigest:
						return sess.Digest(context.Background(), 0, o)
					case "":
						rc, err := cp.src.Open(context.Background(), o)
						if err != nil {
							sess.Log(0, o, "", err)
							return nil
						}
						defer rc.Close()
						h, err := verify.HashStream(rc)
						sess.Log(0, o, h, err)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				res, err := sess.Finish(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			wantSession := session(cfg)

			work := t.TempDir()
			cfg.Memory, cfg.WorkDir = 1, work // the sorters' least: 4 KiB each
			same := func(how string, got, want *verify.Result) {
				t.Helper()
				if got.Spilled.Runs == 0 || got.Spilled.Bytes == 0 {
					t.Errorf("%s: nothing spilt (%+v)", how, got.Spilled)
				}
				got.Spilled = want.Spilled
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: result differs from the in-memory one:\n got %+v\nwant %+v", how, got, want)
				}
				if left, _ := os.ReadDir(work); len(left) > 0 {
					t.Errorf("%s: %d run(s) left in the work directory", how, len(left))
				}
			}
			got, err := verify.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			same("Run", got, want)
			same("Session", session(cfg), wantSession)
		})
	}
}

// TestVerifySpillsS3: the same in S3, where logs sort under their s3://
// URIs and signatures come from metadata.
func TestVerifySpillsS3(t *testing.T) {
	srv := s3test.Start(t)
	runs := 0
	defer func() {
		if runs == 0 {
			t.Error("nothing spilt with a tiny budget")
		}
	}()
	for i, c := range signers(t).Tampers() {
		t.Run(c.Name, func(t *testing.T) {
			bucket := "spill-" + string(rune('a'+i))
			_, files, meta := build(t, c, bucket)
			srv.CreateBucket(t, bucket)
			for k, b := range files {
				srv.PutMeta(t, bucket, k, b, meta[k])
			}
			cfg := verify.Config{Sources: []reader.Source{reader.NewS3Client(srv.Client(), bucket, "")}, Keys: keys(t)}
			want, err := verify.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Memory, cfg.WorkDir = 1, t.TempDir()
			got, err := verify.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want.Spilled.Runs != 0 {
				t.Errorf("spilt %+v with the default budget", want.Spilled)
			}
			runs += got.Spilled.Runs // a short tree may fit in the least budget
			for _, r := range []*verify.Result{got, want} {
				r.Spilled = verify.Spill{}
				// Signatures come in the order digests are read, concurrently.
				sort.Slice(r.Manifest.Signatures, func(i, j int) bool { return r.Manifest.Signatures[i].Key < r.Manifest.Signatures[j].Key })
				sort.Slice(r.Manifest.Heads, func(i, j int) bool { return r.Manifest.Heads[i].Key < r.Manifest.Heads[j].Key })
			}
			for _, f := range []struct {
				name      string
				got, want any
			}{{"logs", got.Logs, want.Logs}, {"digests", got.Digests, want.Digests}, {"gaps", got.Gaps, want.Gaps}, {"errors", got.Errors, want.Errors}, {"manifest", got.Manifest, want.Manifest}} {
				if !reflect.DeepEqual(f.got, f.want) {
					t.Errorf("%s differ from the in-memory ones:\n got %+v\nwant %+v", f.name, f.got, f.want)
				}
			}
		})
	}
}
