package report

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/trailsweep/trailsweep/internal/binenc"
)

// ErrBadEncoding is returned by DecodeFinding for bytes AppendFinding did
// not write.
var ErrBadEncoding = errors.New("bad finding encoding")

// AppendFinding appends a compact binary encoding of f to b, for state that
// spills to disk: every field exactly, strings as written (no re-encoding
// of invalid UTF-8), times to the nanosecond with their zero-ness.
func AppendFinding(b []byte, f *Finding) []byte {
	for _, s := range [...]string{f.RuleID, f.RuleName, f.RuleSource, f.RuleType, f.Severity} {
		b = binenc.AppendString(b, s)
	}
	b = binary.AppendVarint(b, f.RiskScore)
	b = binenc.AppendStrings(b, f.Tactics)
	b = binenc.AppendStrings(b, f.Techniques)
	b = binenc.AppendBool(b, !f.EventTime.IsZero())
	if !f.EventTime.IsZero() {
		b = binary.AppendVarint(b, f.EventTime.Unix())
		b = binary.AppendUvarint(b, uint64(f.EventTime.Nanosecond()))
	}
	for _, s := range [...]string{f.EventID, f.EventSource, f.EventName, f.AWSRegion, f.AccountID, f.UserIdentityType,
		f.UserARN, f.UserName, f.AccessKeyID, f.SourceIP, f.UserAgent, f.ErrorCode, f.ErrorMessage,
		f.RequestParameters, f.ResponseElements, f.Details, f.SourceURI, f.ObjectETag} {
		b = binenc.AppendString(b, s)
	}
	b = binary.AppendVarint(b, f.RecordIndex)
	b = binenc.AppendString(b, f.Integrity)
	return binenc.AppendString(b, f.Raw)
}

// DecodeFinding decodes what AppendFinding wrote into f.
func DecodeFinding(b []byte, f *Finding) error {
	d := binenc.NewReader(b)
	for _, p := range [...]*string{&f.RuleID, &f.RuleName, &f.RuleSource, &f.RuleType, &f.Severity} {
		*p = d.String()
	}
	f.RiskScore = d.Varint()
	f.Tactics = d.Strings()
	f.Techniques = d.Strings()
	f.EventTime = time.Time{}
	if d.Byte() == 1 {
		sec := d.Varint()
		f.EventTime = time.Unix(sec, int64(d.Uvarint())).UTC()
	}
	for _, p := range [...]*string{&f.EventID, &f.EventSource, &f.EventName, &f.AWSRegion, &f.AccountID, &f.UserIdentityType,
		&f.UserARN, &f.UserName, &f.AccessKeyID, &f.SourceIP, &f.UserAgent, &f.ErrorCode, &f.ErrorMessage,
		&f.RequestParameters, &f.ResponseElements, &f.Details, &f.SourceURI, &f.ObjectETag} {
		*p = d.String()
	}
	f.RecordIndex = d.Varint()
	f.Integrity = d.String()
	f.Raw = d.String()
	if d.Bad() || d.Len() != 0 {
		return ErrBadEncoding
	}
	return nil
}
