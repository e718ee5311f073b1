package report

import (
	"fmt"
	"io"
	"strconv"
)

// table is the terminal listing returned by NewTable.
type table struct {
	w      io.Writer
	header bool
	closed bool
	line   []byte
}

// NewTable returns a Writer that prints one line per finding to w, for a
// terminal: time, severity, rule name (or id), event name, user (name, else
// ARN), source IP and location (source_uri#record_index), after a header
// line printed with the first finding. Every value goes through Clean, and an
// empty value shows as "-". Each line is written with one w.Write call as
// the finding arrives, so Close only marks the writer closed and never closes
// w; Abort does the same.
func NewTable(w io.Writer) Writer { return &table{w: w} }

const tableFormat = "%-20s  %-8s  %-52s  %-32s  %-30s  %-15s  %s\n"

func (t *table) Write(f *Finding) error {
	if t.closed {
		return ErrClosed
	}
	if !t.header {
		t.header = true
		if _, err := fmt.Fprintf(t.w, tableFormat, "TIME", "SEVERITY", "RULE", "EVENT", "USER", "SOURCE_IP", "LOCATION"); err != nil {
			return err
		}
	}
	rule := f.RuleName
	if rule == "" {
		rule = f.RuleID
	}
	user := f.UserName
	if user == "" {
		user = f.UserARN
	}
	loc := f.SourceURI + "#" + strconv.FormatInt(f.RecordIndex, 10)
	t.line = fmt.Appendf(t.line[:0], tableFormat,
		cell(formatTime(f.EventTime)), cell(f.Severity), cell(rule), cell(f.EventName),
		cell(user), cell(f.SourceIP), Clean(loc))
	_, err := t.w.Write(t.line)
	return err
}

func (t *table) Close() error {
	t.closed = true
	return nil
}

func (t *table) Abort() error {
	t.closed = true
	return nil
}

// cell returns s cleaned for the terminal, or "-" when empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return Clean(s)
}
