package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"
	"unicode/utf8"
)

// jsonRow fixes the JSONL key order, which follows Columns.
type jsonRow struct {
	RuleID            string     `json:"rule_id"`
	RuleName          string     `json:"rule_name"`
	RuleSource        string     `json:"rule_source"`
	RuleType          string     `json:"rule_type"`
	Severity          string     `json:"severity"`
	RiskScore         int64      `json:"risk_score"`
	Tactics           []string   `json:"tactics"`
	Techniques        []string   `json:"techniques"`
	EventTime         *time.Time `json:"event_time"`
	EventID           string     `json:"event_id"`
	EventSource       string     `json:"event_source"`
	EventName         string     `json:"event_name"`
	AWSRegion         string     `json:"aws_region"`
	AccountID         string     `json:"account_id"`
	UserIdentityType  string     `json:"user_identity_type"`
	UserARN           string     `json:"user_arn"`
	UserName          string     `json:"user_name"`
	AccessKeyID       string     `json:"access_key_id"`
	SourceIP          string     `json:"source_ip"`
	UserAgent         string     `json:"user_agent"`
	ErrorCode         string     `json:"error_code"`
	ErrorMessage      string     `json:"error_message"`
	RequestParameters any        `json:"request_parameters"` // see jsonColumn
	ResponseElements  any        `json:"response_elements"`
	Details           any        `json:"details"`
	SourceURI         string     `json:"source_uri"`
	ObjectETag        string     `json:"object_etag"`
	RecordIndex       int64      `json:"record_index"`
	Integrity         string     `json:"integrity"`
	Raw               any        `json:"raw,omitempty"` // nil without Options.Raw
}

// jsonlEncoder writes one JSON object per line with the keys of Columns, in
// order. Lists are arrays (never null), event_time is RFC 3339 in UTC with a
// "Z" (null when unknown), and request_parameters, response_elements and
// details are JSON objects (null when absent; a value that is not a JSON
// object or array stays a string). With Options.Raw,
// "raw" is the record itself, compacted, when it is a valid JSON object, and
// a string otherwise. HTML characters are not escaped.
type jsonlEncoder struct {
	w   *bufio.Writer
	enc *json.Encoder
	raw bool
}

func newJSONLEncoder(w io.Writer, opts Options) *jsonlEncoder {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &jsonlEncoder{w: bw, enc: enc, raw: opts.Raw}
}

func (e *jsonlEncoder) encode(f *Finding) error {
	row := jsonRow{
		RuleID:            f.RuleID,
		RuleName:          f.RuleName,
		RuleSource:        f.RuleSource,
		RuleType:          f.RuleType,
		Severity:          f.Severity,
		RiskScore:         f.RiskScore,
		Tactics:           nonNil(f.Tactics),
		Techniques:        nonNil(f.Techniques),
		EventID:           f.EventID,
		EventSource:       f.EventSource,
		EventName:         f.EventName,
		AWSRegion:         f.AWSRegion,
		AccountID:         f.AccountID,
		UserIdentityType:  f.UserIdentityType,
		UserARN:           f.UserARN,
		UserName:          f.UserName,
		AccessKeyID:       f.AccessKeyID,
		SourceIP:          f.SourceIP,
		UserAgent:         f.UserAgent,
		ErrorCode:         f.ErrorCode,
		ErrorMessage:      f.ErrorMessage,
		RequestParameters: jsonColumn(f.RequestParameters),
		ResponseElements:  jsonColumn(f.ResponseElements),
		Details:           jsonColumn(f.Details),
		SourceURI:         f.SourceURI,
		ObjectETag:        f.ObjectETag,
		RecordIndex:       f.RecordIndex,
		Integrity:         f.Integrity,
	}
	if !f.EventTime.IsZero() {
		t := f.EventTime.UTC()
		row.EventTime = &t
	}
	if e.raw {
		row.Raw = rawValue(f.Raw)
	}
	return e.enc.Encode(&row) // Encode ends the line
}

func (e *jsonlEncoder) finish() error { return e.w.Flush() }

// rawValue returns raw as embedded JSON when it is a valid JSON object in
// valid UTF-8, and as a string otherwise. encoding/json compacts embedded JSON, so a record
// spanning lines still yields one line.
func rawValue(raw string) any {
	b := bytes.TrimSpace([]byte(raw))
	if len(b) > 0 && b[0] == '{' && utf8.Valid(b) && json.Valid(b) {
		return json.RawMessage(b)
	}
	return raw
}

// jsonColumn returns a compact-JSON column as embedded JSON when it is a
// JSON object or array in valid UTF-8, nil (null) when it is empty, and as a
// string otherwise, so a string in the output is always the text as it was.
func jsonColumn(s string) any {
	if s == "" {
		return nil
	}
	b := bytes.TrimSpace([]byte(s))
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') && utf8.Valid(b) && json.Valid(b) {
		return json.RawMessage(b)
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
