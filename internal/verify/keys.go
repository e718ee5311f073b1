package verify

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PublicKey is one CloudTrail public key, valid from Start (inclusive) to
// End (exclusive).
type PublicKey struct {
	Fingerprint string
	Start, End  time.Time
	Key         *rsa.PublicKey
}

// Keys are the public keys a verification may use; each is used only for
// digests whose digestEndTime falls in its validity range.
type Keys []PublicKey

// Errors of signature checks; a digest's detail names which.
var (
	ErrUnknownKey   = errors.New("no public key with this fingerprint")
	ErrKeyNotValid  = errors.New("public key not valid at the digest's end time")
	ErrBadSignature = errors.New("signature does not verify")
	ErrNoSignature  = errors.New("no signature (local copies have none: pass --signatures)")
	ErrAlgorithm    = errors.New("unsupported signature algorithm")
)

// ParseKeys reads the JSON `aws cloudtrail list-public-keys` prints:
// {"PublicKeyList":[{"Value","ValidityStartTime","ValidityEndTime","Fingerprint"}]}.
// Value is the base64 DER of a PKCS#1 RSA public key (PKIX is accepted
// too); times are RFC 3339 strings or epoch seconds, as the CLI prints them.
func ParseKeys(b []byte) (Keys, error) {
	var f struct {
		PublicKeyList []struct {
			Value             string
			ValidityStartTime json.RawMessage
			ValidityEndTime   json.RawMessage
			Fingerprint       string
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("public keys: %w", err)
	}
	var keys Keys
	for i, k := range f.PublicKeyList {
		der, err := base64.StdEncoding.DecodeString(k.Value)
		if err != nil {
			return nil, fmt.Errorf("public key %d (%s): value: %w", i, k.Fingerprint, err)
		}
		pub, err := ParsePublicKey(der)
		if err != nil {
			return nil, fmt.Errorf("public key %d (%s): %w", i, k.Fingerprint, err)
		}
		start, err := keyTime(k.ValidityStartTime)
		if err != nil {
			return nil, fmt.Errorf("public key %d (%s): ValidityStartTime: %w", i, k.Fingerprint, err)
		}
		end, err := keyTime(k.ValidityEndTime)
		if err != nil {
			return nil, fmt.Errorf("public key %d (%s): ValidityEndTime: %w", i, k.Fingerprint, err)
		}
		if k.Fingerprint == "" {
			return nil, fmt.Errorf("public key %d: no Fingerprint", i)
		}
		keys = append(keys, PublicKey{Fingerprint: strings.ToLower(k.Fingerprint), Start: start, End: end, Key: pub})
	}
	return keys, nil
}

// ParsePublicKey parses DER: PKCS#1 RSA, falling back to PKIX.
func ParsePublicKey(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS#1 or PKIX public key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("not an RSA public key (%T)", k)
	}
	return rk, nil
}

// keyTime parses an RFC 3339 string or epoch seconds; null is the zero time
// (open).
func keyTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if s[0] == '"' {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return time.Time{}, err
		}
		t, err := time.Parse(time.RFC3339Nano, str)
		return t.UTC(), err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, err
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
}

// Verify checks sigHex over the string to sign with the key of this
// fingerprint valid at t: RSASSA-PKCS1-v1_5 with SHA-256.
func (ks Keys) Verify(fingerprint string, t time.Time, algorithm, toSign, sigHex string) error {
	return ks.verify(fingerprint, t, algorithm, toSign, sigHex, false)
}

// verify is Verify; committed skips the RSA step (every other check is
// made): the signature and the bytes it signs are those an authenticated
// successor digest commits to (previousDigestSignature and
// previousDigestHashValue), so CloudTrail made them.
func (ks Keys) verify(fingerprint string, t time.Time, algorithm, toSign, sigHex string, committed bool) error {
	if algorithm != "" && algorithm != "SHA256withRSA" {
		return fmt.Errorf("%w: %s", ErrAlgorithm, algorithm)
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrBadSignature)
	}
	fingerprint = strings.ToLower(fingerprint)
	found := false
	for _, k := range ks {
		if k.Fingerprint != fingerprint {
			continue
		}
		found = true
		if (!k.Start.IsZero() && t.Before(k.Start)) || (!k.End.IsZero() && !t.Before(k.End)) {
			continue
		}
		if committed {
			return nil
		}
		sum := sha256.Sum256([]byte(toSign))
		if rsa.VerifyPKCS1v15(k.Key, crypto.SHA256, sum[:], sig) != nil {
			return ErrBadSignature
		}
		return nil
	}
	if found {
		return fmt.Errorf("%w (%s at %s)", ErrKeyNotValid, fingerprint, t.Format(time.RFC3339))
	}
	return fmt.Errorf("%w (%s)", ErrUnknownKey, fingerprint)
}
