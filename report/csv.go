package report

import (
	"encoding/csv"
	"io"
)

// csvEncoder writes a header row, then one row per finding, quoted as in
// RFC 4180 by encoding/csv, with LF line endings. Lists are joined with ";"
// (an element containing ";" is not escaped), event_time is RFC 3339 UTC,
// and every text cell is neutralised against formula injection (see
// neutralise). The numeric cells (risk_score, record_index) are written as
// plain integers.
type csvEncoder struct {
	w      *csv.Writer
	raw    bool
	header bool
	row    []string
}

func newCSVEncoder(w io.Writer, opts Options) *csvEncoder {
	return &csvEncoder{w: csv.NewWriter(w), raw: opts.Raw, row: make([]string, 0, len(columns)+1)}
}

func (e *csvEncoder) writeHeader() error {
	e.header = true
	return e.w.Write(Columns(e.raw))
}

func (e *csvEncoder) encode(f *Finding) error {
	if !e.header {
		if err := e.writeHeader(); err != nil {
			return err
		}
	}
	e.row = e.row[:0]
	f.eachColumn(";", func(s string, plain bool) {
		if !plain {
			s = neutralise(validUTF8(s))
		}
		e.row = append(e.row, s)
	})
	if e.raw {
		e.row = append(e.row, neutralise(validUTF8(f.Raw)))
	}
	return e.w.Write(e.row)
}

// finish writes the header if no row was written, so that an empty result
// is still a well-formed CSV file, and flushes.
func (e *csvEncoder) finish() error {
	if !e.header {
		if err := e.writeHeader(); err != nil {
			return err
		}
	}
	e.w.Flush()
	return e.w.Error()
}

// neutralise prefixes s with a single quote when it starts with a character
// that makes spreadsheet programs treat the cell as a formula or command
// ('=', '+', '-', '@', tab or carriage return), so that attacker-controlled
// values such as user agents open as text.
func neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
