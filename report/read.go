package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// ReadFindings returns the findings stored at path, a Parquet, CSV or JSONL
// file written by trailsweep (format from the extension, as FormatFor), or a
// directory: its files with those extensions, at any depth, in lexical
// order (the parts of a sharded hunt). Each Finding is fresh; the sequence
// stops at the first error, yielded with a nil Finding and naming the file.
//
// CSV cells are read back as written, except that the leading "'" the CSV
// writer puts before a cell starting with '=', '+', '-', '@', tab or CR is
// removed, and lists are split on ";".
func ReadFindings(path string) iter.Seq2[*Finding, error] {
	return func(yield func(*Finding, error) bool) {
		files, err := findingFiles(path)
		if err != nil {
			yield(nil, err)
			return
		}
		for _, p := range files {
			format, err := FormatFor(p, "")
			if err != nil {
				yield(nil, err)
				return
			}
			var stop bool
			err = readFile(p, format, func(f *Finding) bool {
				stop = !yield(f, nil)
				return !stop
			})
			if stop {
				return
			}
			if err != nil {
				yield(nil, fmt.Errorf("read findings %s: %w", p, err))
				return
			}
		}
	}
}

// findingFiles lists path itself, or the findings files under a directory.
func findingFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".parquet", ".csv", ".jsonl", ".ndjson":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read findings %s: %w", path, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read findings %s: no .parquet, .csv or .jsonl file in the directory", path)
	}
	slices.Sort(files)
	return files, nil
}

func readFile(path string, format Format, yield func(*Finding) bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	switch format {
	case Parquet:
		return readParquet(f, yield)
	case CSV:
		return readCSV(f, yield)
	default:
		return readJSONL(f, yield)
	}
}

func readParquet(f *os.File, yield func(*Finding) bool) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return err
	}
	_, hasRaw := pf.Schema().Lookup("raw")
	if hasRaw {
		return readParquetRows(pf, func(r *parquetRawRow) *Finding {
			fd := r.parquetRow.toFinding()
			fd.Raw = r.Raw
			return fd
		}, yield)
	}
	return readParquetRows(pf, (*parquetRow).toFinding, yield)
}

func readParquetRows[T any](pf *parquet.File, conv func(*T) *Finding, yield func(*Finding) bool) error {
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	rows := make([]T, parquetBatch)
	for {
		n, err := r.Read(rows)
		for i := range n {
			if !yield(conv(&rows[i])) {
				return nil
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		clear(rows)
	}
}

func (r *parquetRow) toFinding() *Finding {
	f := &Finding{
		RuleID: r.RuleID, RuleName: r.RuleName, RuleSource: r.RuleSource, RuleType: r.RuleType,
		Severity: r.Severity, RiskScore: r.RiskScore,
		Tactics: slices.Clone(r.Tactics), Techniques: slices.Clone(r.Techniques),
		EventID: r.EventID, EventSource: r.EventSource, EventName: r.EventName, AWSRegion: r.AWSRegion,
		AccountID: r.AccountID, UserIdentityType: r.UserIdentityType, UserARN: r.UserARN, UserName: r.UserName,
		AccessKeyID: r.AccessKeyID, SourceIP: r.SourceIP, UserAgent: r.UserAgent, ErrorCode: r.ErrorCode,
		ErrorMessage: r.ErrorMessage, RequestParameters: r.RequestParameters, ResponseElements: r.ResponseElements,
		Details: r.Details, SourceURI: r.SourceURI, ObjectETag: r.ObjectETag, RecordIndex: r.RecordIndex,
	}
	if r.EventTime != nil {
		f.EventTime = r.EventTime.UTC()
	}
	return f
}

func readJSONL(r io.Reader, yield func(*Finding) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<30)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var row jsonRow
		if err := json.Unmarshal(b, &row); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		// The JSON columns and the raw record are objects as written (or
		// strings when not JSON): read them back as their text, key order
		// and numbers as written.
		var docs struct {
			RequestParameters json.RawMessage `json:"request_parameters"`
			ResponseElements  json.RawMessage `json:"response_elements"`
			Details           json.RawMessage `json:"details"`
			Raw               json.RawMessage `json:"raw"`
		}
		if err := json.Unmarshal(b, &docs); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		f := &Finding{
			RuleID: row.RuleID, RuleName: row.RuleName, RuleSource: row.RuleSource, RuleType: row.RuleType,
			Severity: row.Severity, RiskScore: row.RiskScore, Tactics: row.Tactics, Techniques: row.Techniques,
			EventID: row.EventID, EventSource: row.EventSource, EventName: row.EventName, AWSRegion: row.AWSRegion,
			AccountID: row.AccountID, UserIdentityType: row.UserIdentityType, UserARN: row.UserARN, UserName: row.UserName,
			AccessKeyID: row.AccessKeyID, SourceIP: row.SourceIP, UserAgent: row.UserAgent, ErrorCode: row.ErrorCode,
			ErrorMessage: row.ErrorMessage, RequestParameters: jsonText(docs.RequestParameters), ResponseElements: jsonText(docs.ResponseElements),
			Details: jsonText(docs.Details), SourceURI: row.SourceURI, ObjectETag: row.ObjectETag, RecordIndex: row.RecordIndex,
		}
		if row.EventTime != nil {
			f.EventTime = row.EventTime.UTC()
		}
		f.Raw = jsonText(docs.Raw)
		if !yield(f) {
			return nil
		}
	}
	return sc.Err()
}

func readCSV(r io.Reader, yield func(*Finding) bool) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[h] = i
	}
	for _, c := range columns {
		if _, ok := col[c]; !ok {
			return fmt.Errorf("csv header has no column %s", c)
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		s := func(name string) string { return unneutralise(rec[col[name]]) }
		list := func(name string) []string {
			if v := s(name); v != "" {
				return strings.Split(v, ";")
			}
			return nil
		}
		num := func(name string) (int64, error) {
			v := rec[col[name]]
			if v == "" {
				return 0, nil
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("csv %s: %w", name, err)
			}
			return n, nil
		}
		f := &Finding{
			RuleID: s("rule_id"), RuleName: s("rule_name"), RuleSource: s("rule_source"), RuleType: s("rule_type"),
			Severity: s("severity"), Tactics: list("tactics"), Techniques: list("techniques"),
			EventID: s("event_id"), EventSource: s("event_source"), EventName: s("event_name"), AWSRegion: s("aws_region"),
			AccountID: s("account_id"), UserIdentityType: s("user_identity_type"), UserARN: s("user_arn"), UserName: s("user_name"),
			AccessKeyID: s("access_key_id"), SourceIP: s("source_ip"), UserAgent: s("user_agent"), ErrorCode: s("error_code"),
			ErrorMessage: s("error_message"), RequestParameters: s("request_parameters"), ResponseElements: s("response_elements"),
			Details: s("details"), SourceURI: s("source_uri"), ObjectETag: s("object_etag"),
		}
		if i, ok := col["raw"]; ok {
			f.Raw = unneutralise(rec[i])
		}
		if f.RiskScore, err = num("risk_score"); err != nil {
			return err
		}
		if f.RecordIndex, err = num("record_index"); err != nil {
			return err
		}
		if v := rec[col["event_time"]]; v != "" {
			if f.EventTime, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return fmt.Errorf("csv event_time: %w", err)
			}
			f.EventTime = f.EventTime.UTC()
		}
		if !yield(f) {
			return nil
		}
	}
}

// unneutralise undoes neutralise.
func unneutralise(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}

// jsonText is the text of a JSON column as the JSONL writer wrote it: an
// object or array as is, a string's value, "" for null or absent.
func jsonText(v json.RawMessage) string {
	switch {
	case len(v) == 0 || string(v) == "null":
		return ""
	case v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}
