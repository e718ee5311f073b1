package verify

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Manifest is the evidence a verification against S3 saves for a later
// offline one over a local copy, which has lost the S3 user metadata: each
// digest's signature, and the newest digest of each chain (so that a copy
// missing its newest digests is caught).
type Manifest struct {
	Version    int               `json:"version"`
	Source     string            `json:"source,omitempty"`
	Created    string            `json:"created,omitempty"`
	Signatures []SignatureRecord `json:"signatures"`
	Heads      []Head            `json:"heads"`
}

// SignatureRecord is a digest's signature as S3 user metadata held it.
type SignatureRecord struct {
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	Signature   string `json:"signature"`
	Algorithm   string `json:"algorithm"`
	Fingerprint string `json:"fingerprint"`
}

// Head is the newest digest of a chain seen when the manifest was saved.
type Head struct {
	Chain   string `json:"chain"`
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
	EndTime string `json:"endTime"`
}

// ParseManifest decodes a manifest saved by --save-signatures.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("signatures file: %w", err)
	}
	if m.Version != 1 {
		return nil, fmt.Errorf("signatures file: version %d, want 1", m.Version)
	}
	return &m, nil
}

// Marshal encodes the manifest, sorted, indented.
func (m *Manifest) Marshal() ([]byte, error) {
	sort.Slice(m.Signatures, func(i, j int) bool { return m.Signatures[i].Key < m.Signatures[j].Key })
	sort.Slice(m.Heads, func(i, j int) bool { return m.Heads[i].Chain < m.Heads[j].Chain })
	b, err := json.MarshalIndent(m, "", "  ")
	return append(b, '\n'), err
}
