package report

import (
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
)

// DefaultRowGroupRows is the number of rows per Parquet row group when
// Options.RowGroupRows is 0.
const DefaultRowGroupRows = 64 << 10

// maxRowGroupBytes bounds the uncompressed text held for one row group, so
// that memory stays bounded when rows are large (with Options.Raw): a row
// group is flushed at DefaultRowGroupRows rows or this many bytes, whichever
// comes first. A row group's pages stay in memory until it is flushed, so
// the bound is kept small enough to leave the scan's heap well under the
// binary's soft memory limit.
const maxRowGroupBytes = 24 << 20

// parquetBatch is the number of rows handed to parquet-go per call.
const parquetBatch = 128

// parquetRow is the Parquet schema without the raw column. The strings are
// UTF8 (STRING) columns: those that always have a value (the rule's, and
// source_uri) are required; those that can be absent (the record's fields,
// details, object_etag) are optional and written as NULL, never "", when
// absent — parquet-go writes the zero value of an optional non-pointer
// field as NULL, so an empty value counts as absent. event_time is optional
// too (null when the record had no parsable time), a TIMESTAMP(MICROS,
// isAdjustedToUTC=true); tactics and techniques are LISTs of required
// strings; risk_score and record_index are INT64. Low-cardinality columns
// are dictionary-encoded.
type parquetRow struct {
	RuleID            string     `parquet:"rule_id,dict"`
	RuleName          string     `parquet:"rule_name,dict"`
	RuleSource        string     `parquet:"rule_source,dict"`
	RuleType          string     `parquet:"rule_type,dict"`
	Severity          string     `parquet:"severity,dict"`
	RiskScore         int64      `parquet:"risk_score"`
	Tactics           []string   `parquet:"tactics,list"`
	Techniques        []string   `parquet:"techniques,list"`
	EventTime         *time.Time `parquet:"event_time,timestamp(microsecond:utc)"`
	EventID           string     `parquet:"event_id,optional"`
	EventSource       string     `parquet:"event_source,optional,dict"`
	EventName         string     `parquet:"event_name,optional,dict"`
	AWSRegion         string     `parquet:"aws_region,optional,dict"`
	AccountID         string     `parquet:"account_id,optional,dict"`
	UserIdentityType  string     `parquet:"user_identity_type,optional,dict"`
	UserARN           string     `parquet:"user_arn,optional"`
	UserName          string     `parquet:"user_name,optional"`
	AccessKeyID       string     `parquet:"access_key_id,optional"`
	SourceIP          string     `parquet:"source_ip,optional"`
	UserAgent         string     `parquet:"user_agent,optional"`
	ErrorCode         string     `parquet:"error_code,optional,dict"`
	ErrorMessage      string     `parquet:"error_message,optional"`
	RequestParameters string     `parquet:"request_parameters,optional"`
	ResponseElements  string     `parquet:"response_elements,optional"`
	Details           string     `parquet:"details,optional"`
	SourceURI         string     `parquet:"source_uri"`
	ObjectETag        string     `parquet:"object_etag,optional"`
	RecordIndex       int64      `parquet:"record_index"`
	Integrity         string     `parquet:"integrity,optional,dict"`
}

// parquetRawRow is the Parquet schema with Options.Raw: parquetRow plus a
// trailing required UTF8 "raw" column. Without Options.Raw the column is
// absent from the file altogether (not present and empty).
type parquetRawRow struct {
	parquetRow
	Raw string `parquet:"raw"`
}

// size approximates the uncompressed bytes of r, for bounding row groups.
func (r *parquetRow) size() int {
	n := 64 + len(r.RuleID) + len(r.RuleName) + len(r.RuleSource) + len(r.RuleType) +
		len(r.Severity) + len(r.EventID) + len(r.EventSource) + len(r.EventName) +
		len(r.AWSRegion) + len(r.AccountID) + len(r.UserIdentityType) + len(r.UserARN) +
		len(r.UserName) + len(r.AccessKeyID) + len(r.SourceIP) + len(r.UserAgent) +
		len(r.ErrorCode) + len(r.ErrorMessage) + len(r.RequestParameters) +
		len(r.ResponseElements) + len(r.Details) + len(r.SourceURI) + len(r.ObjectETag) + len(r.Integrity)
	for _, s := range r.Tactics {
		n += len(s)
	}
	for _, s := range r.Techniques {
		n += len(s)
	}
	return n
}

// set fills r from f. The lists are copied into r's own backing arrays, since
// f may be reused by the caller once Write returns.
func (r *parquetRow) set(f *Finding) {
	tactics, techniques, t := r.Tactics[:0], r.Techniques[:0], r.EventTime
	*r = parquetRow{
		RuleID:            validUTF8(f.RuleID),
		RuleName:          validUTF8(f.RuleName),
		RuleSource:        validUTF8(f.RuleSource),
		RuleType:          validUTF8(f.RuleType),
		Severity:          validUTF8(f.Severity),
		RiskScore:         f.RiskScore,
		EventID:           validUTF8(f.EventID),
		EventSource:       validUTF8(f.EventSource),
		EventName:         validUTF8(f.EventName),
		AWSRegion:         validUTF8(f.AWSRegion),
		AccountID:         validUTF8(f.AccountID),
		UserIdentityType:  validUTF8(f.UserIdentityType),
		UserARN:           validUTF8(f.UserARN),
		UserName:          validUTF8(f.UserName),
		AccessKeyID:       validUTF8(f.AccessKeyID),
		SourceIP:          validUTF8(f.SourceIP),
		UserAgent:         validUTF8(f.UserAgent),
		ErrorCode:         validUTF8(f.ErrorCode),
		ErrorMessage:      validUTF8(f.ErrorMessage),
		RequestParameters: validUTF8(f.RequestParameters),
		ResponseElements:  validUTF8(f.ResponseElements),
		Details:           validUTF8(f.Details),
		SourceURI:         validUTF8(f.SourceURI),
		ObjectETag:        validUTF8(f.ObjectETag),
		RecordIndex:       f.RecordIndex,
		Integrity:         f.Integrity,
	}
	for _, s := range f.Tactics {
		tactics = append(tactics, validUTF8(s))
	}
	for _, s := range f.Techniques {
		techniques = append(techniques, validUTF8(s))
	}
	r.Tactics, r.Techniques = tactics, techniques
	if !f.EventTime.IsZero() {
		if t == nil {
			t = new(time.Time)
		}
		*t = f.EventTime.UTC()
		r.EventTime = t
	}
}

// parquetEncoder writes rows of type T (parquetRow or parquetRawRow) with
// zstd compression, flushing a row group every maxRows rows or
// maxRowGroupBytes bytes so memory stays bounded however many findings
// arrive.
type parquetEncoder[T any] struct {
	w        *parquet.GenericWriter[T]
	set      func(*T, *Finding) int // fills a row, returns its approximate size
	batch    []T
	n        int // rows in batch
	maxRows  int
	maxBytes int
	rows     int // rows in the current row group, batch included
	bytes    int // approximate bytes in the current row group
}

func newParquetEncoder(w io.Writer, opts Options) encoder {
	maxRows := opts.RowGroupRows
	if maxRows <= 0 {
		maxRows = DefaultRowGroupRows
	}
	if opts.Raw {
		return newParquetEncoderOf(w, maxRows, func(r *parquetRawRow, f *Finding) int {
			r.parquetRow.set(f)
			r.Raw = validUTF8(f.Raw)
			return r.parquetRow.size() + len(r.Raw)
		})
	}
	return newParquetEncoderOf(w, maxRows, func(r *parquetRow, f *Finding) int {
		r.set(f)
		return r.size()
	})
}

// skipBounds leaves out the min/max bounds of the columns that hold
// documents (JSON, free text): no query prunes pages by them, and computing
// them took a seventh of the writer's time.
var skipBounds = []parquet.WriterOption{
	parquet.SkipPageBounds("user_agent"), parquet.SkipPageBounds("error_message"),
	parquet.SkipPageBounds("request_parameters"), parquet.SkipPageBounds("response_elements"),
	parquet.SkipPageBounds("details"), parquet.SkipPageBounds("raw"),
}

func newParquetEncoderOf[T any](w io.Writer, maxRows int, set func(*T, *Finding) int) *parquetEncoder[T] {
	return &parquetEncoder[T]{
		w:        parquet.NewGenericWriter[T](w, append([]parquet.WriterOption{parquet.Compression(&zstdCodec{})}, skipBounds...)...),
		set:      set,
		batch:    make([]T, parquetBatch),
		maxRows:  maxRows,
		maxBytes: maxRowGroupBytes,
	}
}

func (e *parquetEncoder[T]) encode(f *Finding) error {
	e.bytes += e.set(&e.batch[e.n], f)
	e.n++
	e.rows++
	if e.rows >= e.maxRows || e.bytes >= e.maxBytes {
		return e.flushRowGroup()
	}
	if e.n == len(e.batch) {
		return e.writeBatch()
	}
	return nil
}

func (e *parquetEncoder[T]) writeBatch() error {
	if e.n == 0 {
		return nil
	}
	_, err := e.w.Write(e.batch[:e.n])
	e.n = 0
	return err
}

func (e *parquetEncoder[T]) flushRowGroup() error {
	if err := e.writeBatch(); err != nil {
		return err
	}
	e.rows, e.bytes = 0, 0
	return e.w.Flush()
}

func (e *parquetEncoder[T]) finish() error {
	if err := e.writeBatch(); err != nil {
		return err
	}
	return e.w.Close()
}
