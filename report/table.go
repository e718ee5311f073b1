package report

import (
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TableWidth is the most columns a line of the table takes.
const TableWidth = 160

// tableColumns are the table's columns and their widths; the last one,
// LOCATION, takes what is left of TableWidth.
var tableColumns = []struct {
	name  string
	width int
}{
	{"TIME", 20}, {"SEVERITY", 8}, {"RULE", 24}, {"ACCOUNT", 12}, {"REGION", 14},
	{"EVENT", 20}, {"OUTCOME", 12}, {"PRINCIPAL", 16}, {"LOCATION", 0},
}

// tableColumnsVerified are tableColumns with INTEGRITY before LOCATION, for
// findings of scan --verify.
var tableColumnsVerified = append(append(tableColumns[:len(tableColumns)-1:len(tableColumns)-1],
	struct {
		name  string
		width int
	}{"INTEGRITY", 10}), tableColumns[len(tableColumns)-1])

// table is the terminal listing returned by NewTable.
type table struct {
	w       io.Writer
	sources []string
	header  bool
	cols    []struct {
		name  string
		width int
	}
	closed bool
	line   []byte
}

// NewTable returns a Writer that prints one line per finding to w, for a
// terminal, after a header line printed with the first finding: time (UTC,
// to the second), severity, rule name (or id), account, region, event name,
// outcome ("success", or the error code of a failed call), principal (user
// name, else ARN), integrity (when the first finding has one: scan --verify)
// and location: the object relative to the longest of
// sources (as the sources' String gives them) that holds it, then
// "#record_index". Every value goes through Clean, then is cut to its
// column with an ellipsis (the location loses its start, the others their
// end), so no line is wider than TableWidth; an empty value shows as "-".
// Each line is written with one w.Write call as the finding arrives, so
// Close only marks the writer closed and never closes w; Abort does the
// same.
func NewTable(w io.Writer, sources ...string) Writer { return &table{w: w, sources: sources} }

func (t *table) Write(f *Finding) error {
	if t.closed {
		return ErrClosed
	}
	if !t.header {
		t.header = true
		t.cols = tableColumns
		if f.Integrity != "" {
			t.cols = tableColumnsVerified
		}
		names := make([]string, len(t.cols))
		for i, c := range t.cols {
			names[i] = c.name
		}
		if _, err := t.w.Write(t.format(names)); err != nil {
			return err
		}
	}
	rule := f.RuleName
	if rule == "" {
		rule = f.RuleID
	}
	outcome := f.ErrorCode
	if outcome == "" {
		outcome = "success"
	}
	principal := f.UserName
	if principal == "" {
		principal = f.UserARN
	}
	tm := ""
	if !f.EventTime.IsZero() {
		tm = f.EventTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	loc := relative(f.SourceURI, t.sources) + "#" + strconv.FormatInt(f.RecordIndex, 10)
	cells := []string{tm, f.Severity, rule, f.AccountID, f.AWSRegion, f.EventName, outcome, principal, loc}
	if len(t.cols) == len(tableColumnsVerified) {
		cells = append(cells[:len(cells)-1], f.Integrity, loc)
	}
	_, err := t.w.Write(t.format(cells))
	return err
}

// format lays out one line of cells: each cleaned, cut to its column and
// padded, one space apart.
func (t *table) format(cells []string) []byte {
	b := t.line[:0]
	used := 0
	for i, c := range t.cols {
		s := cell(cells[i])
		last := i == len(t.cols)-1
		w := c.width
		if last {
			w = TableWidth - used
		}
		if last {
			s = cutLeft(s, w)
		} else {
			s = cutRight(s, w)
		}
		b = append(b, s...)
		if last {
			break
		}
		for n := width(s); n < w; n++ {
			b = append(b, ' ')
		}
		b = append(b, ' ')
		used += w + 1
	}
	t.line = append(b, '\n')
	return t.line
}

func (t *table) Close() error {
	t.closed = true
	return nil
}

func (t *table) Abort() error {
	t.closed = true
	return nil
}

// relative returns uri relative to the longest source that holds it; the
// base name when uri is a source itself; else uri.
func relative(uri string, sources []string) string {
	best := ""
	rel := uri
	for _, s := range sources {
		s = strings.TrimSuffix(s, "/")
		switch {
		case s == "" || len(s) <= len(best):
		case uri == s:
			best, rel = s, path.Base(uri)
		case strings.HasPrefix(uri, s+"/"):
			best, rel = s, uri[len(s)+1:]
		}
	}
	return rel
}

// cell returns s cleaned for the terminal, or "-" when empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return Clean(s)
}

// cutRight returns s cut to at most w columns, its end replaced by "…".
func cutRight(s string, w int) string {
	if width(s) <= w {
		return s
	}
	n := 0
	for i, r := range s {
		if n+runeWidth(r) > w-1 {
			return s[:i] + "…"
		}
		n += runeWidth(r)
	}
	return s
}

// cutLeft returns s cut to at most w columns, its start replaced by "…".
func cutLeft(s string, w int) string {
	if width(s) <= w {
		return s
	}
	n := 0
	for i := len(s); i > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if n+runeWidth(r) > w-1 {
			return "…" + s[i:]
		}
		n += runeWidth(r)
		i -= size
	}
	return s
}

// width returns the columns s takes on a terminal (s as Clean returns it:
// no control characters).
func width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// runeWidth returns the columns r takes: 0 for combining marks and
// zero-width characters, 2 for East Asian wide and fullwidth characters and
// most emoji, else 1. An approximation of Unicode's East Asian Width that
// errs towards 2, so that a line is never wider than counted.
func runeWidth(r rune) int {
	switch {
	case r >= 0x0300 && r <= 0x036f, r >= 0x200b && r <= 0x200d, r == 0xfeff, r >= 0xfe00 && r <= 0xfe0f:
		return 0
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0xa4cf, r >= 0xac00 && r <= 0xd7a3,
		r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f, r >= 0xff00 && r <= 0xff60,
		r >= 0xffe0 && r <= 0xffe6, r >= 0x1f000 && r <= 0x1faff, r >= 0x20000 && r <= 0x3fffd,
		r >= 0x2600 && r <= 0x27bf:
		return 2
	}
	return 1
}
