package main

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/verify"
)

// fakeCloudTrail answers CloudTrail's ListPublicKeys (JSON 1.1 protocol)
// on loopback with keys, and counts the requests per signing region.
type fakeCloudTrail struct {
	*httptest.Server
	mu       sync.Mutex
	requests map[string]int      // region → ListPublicKeys calls
	bodies   []map[string]any    // request bodies
	keys     []*gen.Signer       // the keys answered
	validity map[string][2]int64 // fingerprint → validity override (epoch seconds)
	fail     bool                // answer AccessDeniedException
}

var credRegion = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/cloudtrail/aws4_request`)

func startCloudTrail(t *testing.T, keys ...*gen.Signer) *fakeCloudTrail {
	t.Helper()
	f := &fakeCloudTrail{requests: map[string]int{}, keys: keys, validity: map[string][2]int64{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "CloudTrail_20131101.ListPublicKeys" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		m := credRegion.FindStringSubmatch(r.Header.Get("Authorization"))
		region := "?"
		if m != nil {
			region = m[1]
		}
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		f.mu.Lock()
		f.requests[region]++
		f.bodies = append(f.bodies, body)
		fail := f.fail
		validity := map[string][2]int64{}
		for k, v := range f.validity {
			validity[k] = v
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if fail {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"AccessDeniedException","message":"not allowed"}`)
			return
		}
		type key struct {
			Value             string
			ValidityStartTime int64
			ValidityEndTime   int64
			Fingerprint       string
		}
		var out struct{ PublicKeyList []key }
		for _, s := range f.keys {
			k := key{Value: base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&s.Key.PublicKey)),
				ValidityStartTime: s.Start.Unix(), ValidityEndTime: s.End.Unix(), Fingerprint: s.Fingerprint}
			if v, ok := validity[s.Fingerprint]; ok {
				k.ValidityStartTime, k.ValidityEndTime = v[0], v[1]
			}
			out.PublicKeyList = append(out.PublicKeyList, k)
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(f.Close)
	return f
}

// awsEnv gives the SDK static credentials and no shared files.
func awsEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", "")
}

// onlineTree writes two signed trails, home regions us-east-1 and
// eu-west-1, into one local tree with their signatures file.
func onlineTree(t *testing.T, signer *gen.Signer) (root, sigs string) {
	t.Helper()
	dir := t.TempDir()
	root = filepath.Join(dir, "copy")
	m := verify.Manifest{Version: 1}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		tr := gen.Digests(gen.DigestOptions{Bucket: "evidence", Region: region, Signer: signer, Hours: 3, Logs: 2})
		if err := gen.WriteTree(filepath.Join(root, "evidence"), tr.Files); err != nil {
			t.Fatal(err)
		}
		tm, err := verify.ParseManifest(tr.Signatures())
		if err != nil {
			t.Fatal(err)
		}
		m.Signatures = append(m.Signatures, tm.Signatures...)
		m.Heads = append(m.Heads, tm.Heads...)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sigs = filepath.Join(dir, "signatures.json")
	if err := os.WriteFile(sigs, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return root, sigs
}

// TestVerifyOnlineKeys verifies a signed local tree spanning two home
// regions with keys fetched from a fake CloudTrail (ListPublicKeys on
// loopback): once per region, with the window's times; a key whose
// validity does not cover the digests is not used; a fetch that fails
// exits 2 naming the region and --public-keys FILE. scan --verify does
// the same.
func TestVerifyOnlineKeys(t *testing.T) {
	awsEnv(t)
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	signer, err := gen.NewSigner(nov.AddDate(0, -1, 0), nov.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	root, sigs := onlineTree(t, signer)
	window := []string{"--since", "2026-11-01", "--until", "2026-11-01"}

	ct := startCloudTrail(t, signer)
	args := append([]string{"verify", "--cloudtrail-endpoint-url", ct.URL, "--signatures", sigs}, window...)
	code, out, errOut := cli(t, append(args, root)...)
	if code != exitOK || !strings.Contains(out, "12 verified, 0 modified, 0 deleted, 0 unverified; digests: 6 valid; gaps: 0 — VERIFIED") {
		t.Fatalf("online keys: exit %d\n%s%s", code, out, errOut)
	}
	ct.mu.Lock()
	requests, bodies := ct.requests, ct.bodies
	ct.requests, ct.bodies = map[string]int{}, nil
	ct.mu.Unlock()
	if requests["us-east-1"] != 1 || requests["eu-west-1"] != 1 || len(requests) != 2 {
		t.Errorf("ListPublicKeys calls per region: %v, want one in us-east-1 and one in eu-west-1", requests)
	}
	if len(bodies) != 2 {
		t.Errorf("%d request bodies, want 2", len(bodies))
	}
	for _, b := range bodies {
		st, _ := b["StartTime"].(float64)
		if int64(st) != nov.Unix() {
			t.Errorf("StartTime %v, want %d (--since)", b["StartTime"], nov.Unix())
		}
		if _, ok := b["EndTime"]; !ok {
			t.Errorf("no EndTime in %v", b)
		}
	}

	// scan --verify fetches the same way.
	code, out, errOut = cli(t, append([]string{"scan", "--verify", "--cloudtrail-endpoint-url", ct.URL, "--signatures", sigs,
		"--out", filepath.Join(t.TempDir(), "f.jsonl")}, append(window, root)...)...)
	if code != exitOK {
		t.Fatalf("scan --verify online: exit %d\n%s%s", code, out, errOut)
	}

	// The same key, but valid only before the digests: not used.
	ct.mu.Lock()
	ct.validity[signer.Fingerprint] = [2]int64{nov.AddDate(0, -2, 0).Unix(), nov.AddDate(0, -1, 0).Unix()}
	ct.mu.Unlock()
	code, out, errOut = cli(t, append(args, root)...)
	if code != exitIntegrity || !strings.Contains(out, "not valid at the digest's end time") || strings.Contains(out, "digests: 6 valid") {
		t.Fatalf("key out of validity: exit %d, want %d\n%s%s", code, exitIntegrity, out, errOut)
	}

	// Keys cannot be fetched: exit 2, naming the region and the offline way.
	ct.mu.Lock()
	ct.fail = true
	ct.mu.Unlock()
	code, out, errOut = cli(t, append(args, root)...)
	if code != exitUsage || !strings.Contains(errOut, "--public-keys FILE") || !regexp.MustCompile(`in (us-east-1|eu-west-1)`).MatchString(errOut) {
		t.Fatalf("fetch fails: exit %d, want %d\n%s%s", code, exitUsage, out, errOut)
	}
	t.Logf("fetch fails: %s", errOut)
	code, out, errOut = cli(t, append([]string{"scan", "--verify", "--cloudtrail-endpoint-url", ct.URL, "--signatures", sigs,
		"--out", filepath.Join(t.TempDir(), "f.jsonl")}, append(window, root)...)...)
	if code != exitUsage || !strings.Contains(errOut, "--public-keys FILE") {
		t.Fatalf("scan --verify, fetch fails: exit %d, want %d\n%s%s", code, exitUsage, out, errOut)
	}

	// --cloudtrail-endpoint-url is for online keys only.
	if code, _, _ := cli(t, "verify", "--public-keys", sigs, "--cloudtrail-endpoint-url", ct.URL, root); code != exitUsage {
		t.Errorf("--cloudtrail-endpoint-url with --public-keys: exit %d, want %d", code, exitUsage)
	}
}
