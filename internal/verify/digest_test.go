package verify_test

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
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
