package verify_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/verify"
)

func TestChain(t *testing.T) {
	const dir = "p/AWSLogs/o-abc/111122223333/CloudTrail-Digest/eu-west-1/2026/11/01/"
	for _, c := range []struct{ key, want string }{
		{dir + "111122223333_CloudTrail-Digest_eu-west-1_my_trail_us-east-1_20261101T010700Z.json.gz",
			"p/AWSLogs/o-abc/111122223333/CloudTrail-Digest/eu-west-1/111122223333_CloudTrail-Digest_eu-west-1_my_trail_us-east-1"},
		{dir + "111122223333_CloudTrail-Digest_eu-west-1_my_trail_us-east-1_20261101T020700Z_backfill.json.gz",
			"p/AWSLogs/o-abc/111122223333/CloudTrail-Digest/eu-west-1/111122223333_CloudTrail-Digest_eu-west-1_my_trail_us-east-1 (backfill)"},
	} {
		if got := verify.Chain(c.key); got != c.want {
			t.Errorf("Chain(%s) = %q, want %q", c.key, got, c.want)
		}
	}
}

func TestStringToSignFirstDigest(t *testing.T) {
	d, err := verify.ParseDigest([]byte(`{"digestEndTime":"2026-11-01T01:00:00Z","digestS3Bucket":"b","digestS3Object":"k","previousDigestSignature":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.StringToSign("ab"), "2026-11-01T01:00:00Z\nb/k\nab\nnull"; got != want {
		t.Errorf("StringToSign = %q, want %q", got, want)
	}
}

// TestParseKeys: PKIX values and epoch-second times (the CLI's other
// output) parse; the validity range is [start, end).
func TestParseKeys(t *testing.T) {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	s, err := gen.NewSigner(start, start.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&s.Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	js := `{"PublicKeyList":[{"Value":"` + base64.StdEncoding.EncodeToString(der) + `","ValidityStartTime":1790812800,` +
		`"ValidityEndTime":"2026-11-01T00:00:00+00:00","Fingerprint":"` + s.Fingerprint + `"}]}`
	keys, err := verify.ParseKeys([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{}`)
	sig := s.Sign("t", "b", "k", body, "null")
	toSign := "t\nb/k\n" + verify.Hash(body) + "\nnull"
	for _, c := range []struct {
		at   time.Time
		want error
	}{
		{start, nil},
		{start.AddDate(0, 1, 0).Add(-time.Second), nil},
		{start.AddDate(0, 1, 0), verify.ErrKeyNotValid},
		{start.Add(-time.Second), verify.ErrKeyNotValid},
	} {
		if err := keys.Verify(s.Fingerprint, c.at, "SHA256withRSA", toSign, sig); !errors.Is(err, c.want) {
			t.Errorf("at %s: %v, want %v", c.at, err, c.want)
		}
	}
	if err := keys.Verify(s.Fingerprint, start, "", toSign+"x", sig); !errors.Is(err, verify.ErrBadSignature) {
		t.Errorf("altered: %v, want ErrBadSignature", err)
	}
}

// TestParseDigestAsJSON: ParseDigest reads a digest as encoding/json reads
// it into Digest — CloudTrail's digests as gen writes them, nulls, missing
// fields, escapes, a later duplicate key — and refuses what encoding/json
// refuses (a field of the wrong type, not an object).
func TestParseDigestAsJSON(t *testing.T) {
	signer, err := gen.NewSigner(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	tr := gen.Digests(gen.DigestOptions{Signer: signer, Hours: 3, Logs: 3})
	for _, f := range tr.Files {
		if strings.Contains(f.Key, "CloudTrail-Digest") {
			b, err := verify.Gunzip(f.Body)
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, string(b))
		}
	}
	const base = `"digestEndTime":"2026-11-01T01:00:00Z","digestS3Object":"k"`
	inputs = append(inputs,
		`{`+base+`,"previousDigestSignature":null,"previousDigestS3Object":null,"logFiles":null}`,
		`{`+base+`,"digestS3Bucket":null,"newestEventTime":"x","logFiles":[null,{"s3Object":"a\u00e9\n"}]}`,
		`{`+base+`,"digestS3Bucket":"a","digestS3Bucket":"b","previousDigestHashValue":"1","previousDigestHashValue":null}`,
		`{`+base+`,"unknown":{"nested":[1,2,{"x":null}]},"logFiles":[]}`,
		`{`+base+`,"logFiles":[{"s3Bucket":"b","hashValue":"ab","extra":3}]}`,
		`{`+base+`,"awsAccountId":123}`,
		`{`+base+`,"previousDigestSignature":true}`,
		`{`+base+`,"logFiles":{}}`,
		`{`+base+`,"logFiles":[{"hashValue":1}]}`,
		`{`+base+`,"logFiles":["x"]}`,
		`[`+base+`]`,
		`{"digestEndTime":"2026-11-01T01:00:00Z"}`,
		`{`+base+`,}`,
	)
	// Not valid UTF-8: encoding/json reads the bytes as U+FFFD, ParseDigest
	// refuses the digest (CloudTrail writes and signs UTF-8).
	for _, in := range []string{"{\"digestEndTime\":\"\xff\",\"digestS3Object\":\"0\"}", "{" + base + ",\"x\":\"\xc3\"}"} {
		if _, err := verify.ParseDigest([]byte(in)); err == nil {
			t.Errorf("%q: ParseDigest accepted a body that is not valid UTF-8", in)
		}
	}
	for _, in := range inputs {
		got, gotErr := verify.ParseDigest([]byte(in))
		var want verify.Digest
		wantErr := json.Unmarshal([]byte(in), &want)
		if wantErr == nil && (want.EndTime == "" || want.Object == "") {
			wantErr = errors.New("no digestEndTime or digestS3Object")
		}
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%s:\nParseDigest error %v, encoding/json %v", in, gotErr, wantErr)
			continue
		}
		if gotErr == nil && !reflect.DeepEqual(*got, want) {
			t.Errorf("%s:\nParseDigest   %+v\nencoding/json %+v", in, *got, want)
		}
	}
}

// FuzzParseDigest: ParseDigest never panics, and what it accepts
// encoding/json accepts too and reads the same after a round trip through
// json.Marshal.
func FuzzParseDigest(f *testing.F) {
	f.Add([]byte(`{"digestEndTime":"2026-11-01T01:00:00Z","digestS3Object":"k","logFiles":[{"s3Object":"a","hashValue":"ab"}],"previousDigestSignature":null}`))
	f.Add([]byte(`{"digestEndTime":"t","digestS3Object":"k","digestS3Object":"\u00e9","logFiles":[null]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := verify.ParseDigest(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		again, err := verify.ParseDigest(out)
		if err != nil {
			t.Fatalf("%s: accepted, but not its round trip %s: %v", b, out, err)
		}
		if !reflect.DeepEqual(d, again) {
			t.Fatalf("%s: %+v, after a round trip %+v", b, d, again)
		}
	})
}
