package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trailsweep/trailsweep/internal/atomicfile"
	"github.com/trailsweep/trailsweep/internal/extsort"
	"github.com/trailsweep/trailsweep/reader"
)

// EvidenceVersion is the version of the evidence file's format.
const EvidenceVersion = 1

// Evidence collects what a scan read, for --evidence: one entry per
// object, kept in an external sort by URI (spilling to its directory
// beyond its budget, never all in memory), and written with a header by
// WriteFile at the end. It is a scan.Ledger; its methods are called from
// one goroutine.
type Evidence struct {
	sort *extsort.Sorter
	key  []byte
}

// EvidenceObject is one object listed.
type EvidenceObject struct {
	URI    string `json:"uri"`
	Bucket string `json:"bucket,omitempty"`
	Key    string `json:"key"`
	ETag   string `json:"etag,omitempty"`
	Size   int64  `json:"size"` // as listed
	// SHA256 is the hex SHA-256 of the stored bytes as fetched (compressed,
	// as in S3); absent when the object was not read.
	SHA256 string `json:"sha256,omitempty"`
	Status string `json:"status"`           // scanned, failed or skipped
	Reason string `json:"reason,omitempty"` // why skipped or failed
	// Integrity is, with --verify, a log's verify status (verified,
	// modified, unverified) or a digest's (valid, signature invalid, …).
	Integrity string `json:"integrity,omitempty"`
}

// EvidenceHeader is everything in an evidence file but its objects.
type EvidenceHeader struct {
	Version     int            `json:"version"`
	Tool        string         `json:"tool"`
	ToolVersion string         `json:"tool_version"`
	CommandLine []string       `json:"command_line"`
	Created     time.Time      `json:"created"`
	Sources     []string       `json:"sources"`
	Window      EvidenceWindow `json:"window"`
	RulesHash   string         `json:"rules_hash"`
	Complete    bool           `json:"complete"` // every listed object was read or accounted for
	// Findings is the findings file written; nil when there is none on
	// local disk (a table, stdout, S3, or a failed write).
	Findings *EvidenceFile `json:"findings"`
	// Integrity is set with --verify.
	Integrity *EvidenceIntegrity `json:"integrity,omitempty"`
}

// EvidenceWindow is the scan's event-time window, RFC 3339; "" where
// unbounded. Until is exclusive.
type EvidenceWindow struct {
	Since string `json:"since"`
	Until string `json:"until"`
}

// EvidenceFile is a file and its hash.
type EvidenceFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// EvidenceIntegrity is what --verify found about the digest chains.
type EvidenceIntegrity struct {
	Heads []EvidenceHead `json:"chain_heads"`
	Gaps  []EvidenceGap  `json:"gaps"`
}

// EvidenceHead is the newest digest of a chain.
type EvidenceHead struct {
	Chain   string `json:"chain"`
	URI     string `json:"uri"`
	EndTime string `json:"end_time"`
	Status  string `json:"status"`
}

// EvidenceGap is a time no digest of a chain covers.
type EvidenceGap struct {
	Chain string `json:"chain"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// NewEvidence returns an Evidence holding up to budget bytes of entries in
// memory and spilling the rest to dir.
func NewEvidence(dir string, budget int) *Evidence {
	return &Evidence{sort: extsort.New(dir, "evidence", budget)}
}

// Entry records object o, its stored bytes' hex SHA-256 ("" when not
// read) and the error that failed it.
func (e *Evidence) Entry(o reader.Object, storedSHA256 string, err error) error {
	eo := EvidenceObject{URI: o.URI, Bucket: o.Bucket, Key: o.Key, ETag: o.ETag, Size: o.Size, SHA256: storedSHA256,
		Status: "scanned"}
	switch {
	case o.Skip != "":
		eo.Status, eo.Reason = "skipped", o.Skip
	case err != nil:
		eo.Status, eo.Reason = "failed", reader.Redact(err.Error())
	}
	val, merr := json.Marshal(eo)
	if merr != nil {
		return merr
	}
	e.key = extsort.AppendString(e.key[:0], o.URI)
	return e.sort.Add(e.key, val)
}

// Close removes what Evidence spilled.
func (e *Evidence) Close() error { return e.sort.Close() }

// WriteFile writes the evidence to path atomically: h, then every object
// recorded, by URI, each with its Integrity set to integrity(object) when
// integrity is not nil.
// Evidence takes no more entries afterwards.
func (e *Evidence) WriteFile(path string, h EvidenceHeader, integrity func(o *EvidenceObject) string) error {
	h.Version = EvidenceVersion
	if h.CommandLine == nil {
		h.CommandLine = []string{}
	}
	if h.Integrity != nil {
		if h.Integrity.Heads == nil {
			h.Integrity.Heads = []EvidenceHead{}
		}
		if h.Integrity.Gaps == nil {
			h.Integrity.Gaps = []EvidenceGap{}
		}
	}
	head, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	f, err := atomicfile.Create(path, 0o666)
	if err != nil {
		return err
	}
	defer f.Abort() // after Commit, it does nothing
	bw := bufio.NewWriterSize(f, 64<<10)
	bw.Write(head[:len(head)-2]) // without "\n}"
	bw.WriteString(",\n  \"objects\": [")
	it, err := e.sort.Iter()
	if err != nil {
		return err
	}
	defer it.Close()
	n := 0
	for it.Next() {
		val := it.Value()
		if integrity != nil {
			var eo EvidenceObject
			if err := json.Unmarshal(val, &eo); err != nil {
				return err
			}
			if eo.Integrity = integrity(&eo); eo.Integrity != "" {
				if val, err = json.Marshal(eo); err != nil {
					return err
				}
			}
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(val)
		n++
	}
	if err := it.Err(); err != nil {
		return err
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Commit()
}

// HashFile returns the size and hex SHA-256 of the file at path.
func HashFile(path string) (*EvidenceFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", path, err)
	}
	return &EvidenceFile{Path: path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
