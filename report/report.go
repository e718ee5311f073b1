// Package report turns findings into output: Parquet, CSV and JSONL files
// with one row per (rule, record) match, a human-readable terminal listing,
// and the end-of-scan summary.
//
// Every file format carries the same columns in the same order (see
// Columns). Files are written under a temporary name in the target directory
// and renamed into place by Close, so a crash or an Abort never leaves a
// truncated file under the final name.
//
// Writers are not safe for concurrent use: the scan pipeline has one writer
// goroutine.
package report

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Finding is one (rule, record) match. String fields hold the values as
// found in the record; empty means absent.
type Finding struct {
	RuleID     string
	RuleName   string
	RuleSource string // builtin, elastic, sigma or adhoc
	RuleType   string
	Severity   string
	RiskScore  int64
	Tactics    []string
	Techniques []string

	EventTime        time.Time // zero when the record has no parsable eventTime
	EventID          string
	EventSource      string
	EventName        string
	AWSRegion        string
	AccountID        string // recipientAccountId
	UserIdentityType string
	UserARN          string
	UserName         string // ECS user.name
	AccessKeyID      string
	SourceIP         string // sourceIPAddress as written
	UserAgent        string
	ErrorCode        string
	ErrorMessage     string

	RequestParameters string // compact JSON, empty when absent
	ResponseElements  string // compact JSON, empty when absent

	// Details is compact JSON about an aggregate rule's decision (sequence
	// event ids, threshold group, count and window, new terms and the
	// history span); empty for per-record rules.
	Details string

	SourceURI   string // s3://bucket/key or the local file path
	ObjectETag  string
	RecordIndex int64 // 0-based position of the record in its object

	// Integrity is the state of the record's log file under scan --verify:
	// IntegrityVerified, IntegrityModified or IntegrityUnverified; empty
	// without --verify.
	Integrity string

	Raw string // the record as read; written only with Options.Raw
}

// Integrity states of a finding's log file (scan --verify).
const (
	IntegrityVerified   = "verified"
	IntegrityModified   = "modified"
	IntegrityUnverified = "unverified"
)

// columns is the column order shared by every format.
var columns = []string{
	"rule_id", "rule_name", "rule_source", "rule_type", "severity", "risk_score",
	"tactics", "techniques", "event_time", "event_id", "event_source", "event_name",
	"aws_region", "account_id", "user_identity_type", "user_arn", "user_name",
	"access_key_id", "source_ip", "user_agent", "error_code", "error_message",
	"request_parameters", "response_elements", "details", "source_uri", "object_etag",
	"record_index", "integrity",
}

// eachColumn calls text with each of f's columns as text, in the order of
// columns (the raw record is not one): lists joined by sep, the event time
// in RFC 3339 ("" when unset), numbers in decimal. plain marks a value
// trailsweep wrote itself (a number or a time), which needs no escaping;
// the others come from logs and rules.
func (f *Finding) eachColumn(sep string, text func(s string, plain bool)) {
	for _, s := range []string{f.RuleID, f.RuleName, f.RuleSource, f.RuleType, f.Severity} {
		text(s, false)
	}
	text(strconv.FormatInt(f.RiskScore, 10), true)
	text(strings.Join(f.Tactics, sep), false)
	text(strings.Join(f.Techniques, sep), false)
	text(formatTime(f.EventTime), true)
	for _, s := range []string{f.EventID, f.EventSource, f.EventName, f.AWSRegion, f.AccountID,
		f.UserIdentityType, f.UserARN, f.UserName, f.AccessKeyID, f.SourceIP, f.UserAgent,
		f.ErrorCode, f.ErrorMessage, f.RequestParameters, f.ResponseElements, f.Details,
		f.SourceURI, f.ObjectETag} {
		text(s, false)
	}
	text(strconv.FormatInt(f.RecordIndex, 10), true)
	text(f.Integrity, false)
}

// Columns returns the output column names in order; raw adds the trailing
// "raw" column. The returned slice is a fresh copy.
func Columns(raw bool) []string {
	c := append([]string(nil), columns...)
	if raw {
		c = append(c, "raw")
	}
	return c
}

// Format is an output file format.
type Format string

// The supported formats.
const (
	Parquet Format = "parquet"
	CSV     Format = "csv"
	JSONL   Format = "jsonl"
)

// ErrUnknownFormat is returned (wrapped) by FormatFor for an unknown format
// or extension.
var ErrUnknownFormat = errors.New("unknown output format")

// ErrClosed is returned by Write on a Writer that was closed or aborted.
var ErrClosed = errors.New("report writer closed")

// Stdout is the path that Create and FormatFor treat as standard output.
const Stdout = "-"

// FormatFor picks the format for an output path. A non-empty override
// ("parquet", "csv", "jsonl", case-insensitive) wins over the path. Otherwise
// the extension decides, case-insensitively: .parquet, .csv, and .jsonl or
// .ndjson for JSONL; "-" (standard output) is JSONL.
//
// ".json" is rejected rather than guessed: the output is one object per
// line, not a JSON document, and a .json name would mislead tools that
// expect one. Any other or missing extension is an error naming it and
// wrapping ErrUnknownFormat.
func FormatFor(path, override string) (Format, error) {
	if override != "" {
		switch f := Format(strings.ToLower(override)); f {
		case Parquet, CSV, JSONL:
			return f, nil
		case "ndjson":
			return JSONL, nil
		}
		return "", fmt.Errorf("format %q (want parquet, csv or jsonl): %w", override, ErrUnknownFormat)
	}
	if path == Stdout {
		return JSONL, nil
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".parquet":
		return Parquet, nil
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson":
		return JSONL, nil
	case ".json":
		return "", fmt.Errorf("output %s: extension .json is ambiguous, use .jsonl (one object per line) or set the format: %w", path, ErrUnknownFormat)
	case "":
		return "", fmt.Errorf("output %s: no extension (want .parquet, .csv or .jsonl) and no format given: %w", path, ErrUnknownFormat)
	}
	return "", fmt.Errorf("output %s: extension %s (want .parquet, .csv or .jsonl): %w", path, ext, ErrUnknownFormat)
}

// Options configure a findings writer.
type Options struct {
	// Raw adds the trailing "raw" column holding each record as read.
	Raw bool
	// RowGroupRows is the number of rows per Parquet row group; 0 means
	// DefaultRowGroupRows. Ignored by the other formats.
	RowGroupRows int
}

// Writer receives findings one at a time.
type Writer interface {
	// Write appends one finding. It does not retain f after it returns.
	Write(f *Finding) error
	// Close flushes everything; for a file it also fsyncs it and renames it
	// into place (on failure the temporary file is removed). A second Close
	// returns the first Close's result; Close after Abort returns ErrClosed.
	Close() error
	// Abort discards the output: for a file, the temporary file is removed
	// and nothing appears under the final name. Abort after Close is a no-op.
	Abort() error
}

// validUTF8 returns s with invalid UTF-8 replaced by U+FFFD, so that every
// format carries the same text (encoding/json would otherwise do it for
// JSONL only).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// formatTime renders t as RFC 3339 in UTC, with fractional seconds only when
// present; the zero time renders as "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
