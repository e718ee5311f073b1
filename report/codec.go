package report

import (
	"encoding/binary"
	"errors"
	"time"
)

// ErrBadEncoding is returned by DecodeFinding for bytes AppendFinding did
// not write.
var ErrBadEncoding = errors.New("bad finding encoding")

// AppendFinding appends a compact binary encoding of f to b, for state that
// spills to disk: every field exactly, strings as written (no re-encoding
// of invalid UTF-8), times to the nanosecond with their zero-ness.
func AppendFinding(b []byte, f *Finding) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	list := func(ss []string) { // 0 for nil, n+1 for n strings
		if ss == nil {
			b = append(b, 0)
			return
		}
		b = binary.AppendUvarint(b, uint64(len(ss))+1)
		for _, s := range ss {
			str(s)
		}
	}
	for _, s := range [...]string{f.RuleID, f.RuleName, f.RuleSource, f.RuleType, f.Severity} {
		str(s)
	}
	b = binary.AppendVarint(b, f.RiskScore)
	list(f.Tactics)
	list(f.Techniques)
	if f.EventTime.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, f.EventTime.Unix())
		b = binary.AppendUvarint(b, uint64(f.EventTime.Nanosecond()))
	}
	for _, s := range [...]string{f.EventID, f.EventSource, f.EventName, f.AWSRegion, f.AccountID, f.UserIdentityType,
		f.UserARN, f.UserName, f.AccessKeyID, f.SourceIP, f.UserAgent, f.ErrorCode, f.ErrorMessage,
		f.RequestParameters, f.ResponseElements, f.Details, f.SourceURI, f.ObjectETag} {
		str(s)
	}
	b = binary.AppendVarint(b, f.RecordIndex)
	str(f.Integrity)
	str(f.Raw)
	return b
}

// DecodeFinding decodes what AppendFinding wrote into f.
func DecodeFinding(b []byte, f *Finding) error {
	d := decoder{b: b}
	for _, p := range [...]*string{&f.RuleID, &f.RuleName, &f.RuleSource, &f.RuleType, &f.Severity} {
		*p = d.str()
	}
	f.RiskScore = d.varint()
	f.Tactics = d.list()
	f.Techniques = d.list()
	f.EventTime = time.Time{}
	if d.byte() == 1 {
		sec := d.varint()
		f.EventTime = time.Unix(sec, int64(d.uvarint())).UTC()
	}
	for _, p := range [...]*string{&f.EventID, &f.EventSource, &f.EventName, &f.AWSRegion, &f.AccountID, &f.UserIdentityType,
		&f.UserARN, &f.UserName, &f.AccessKeyID, &f.SourceIP, &f.UserAgent, &f.ErrorCode, &f.ErrorMessage,
		&f.RequestParameters, &f.ResponseElements, &f.Details, &f.SourceURI, &f.ObjectETag} {
		*p = d.str()
	}
	f.RecordIndex = d.varint()
	f.Integrity = d.str()
	f.Raw = d.str()
	if d.bad || len(d.b) != 0 {
		return ErrBadEncoding
	}
	return nil
}

type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) list() []string {
	n := d.uvarint()
	if n == 0 {
		return nil
	}
	if n-1 > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return nil
	}
	out := make([]string, n-1)
	for i := range out {
		out[i] = d.str()
	}
	return out
}
