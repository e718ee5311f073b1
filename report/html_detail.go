package report

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
)

// htmlDetailColumns names the values of a finding's detail: every column
// of the findings files, raw last.
var htmlDetailColumns = Columns(true)

// htmlDetails holds the detail of each finding, shown when its table row
// is opened: every column as text (control characters made visible, as in
// the table) and the raw record as read (empty without --raw), which the
// page's script pretty-prints when it is JSON and shows with control
// characters made visible otherwise. Details go in blocks of htmlChunk
// findings in the order added (a table row's last element is its
// position), each block a JSON array of arrays, gzip-compressed, base64 in
// a JSON string in its own <script type="application/json"
// class="findings-detail"> at the end of the page. The script decompresses
// a block (DecompressionStream) only when one of its rows is opened, so
// details neither delay the first page nor the table's rows, and raw
// records cost a fraction of their size.
type htmlDetails struct {
	tmp *os.File
	buf *bufio.Writer
	b64 io.WriteCloser
	zw  *gzip.Writer
	n   int    // details in the open block
	e   []byte // the detail being encoded
}

const htmlDetailOpen = `<script type="application/json" class="findings-detail">"`

func newHTMLDetails(dir string) (*htmlDetails, error) {
	tmp, err := os.CreateTemp(dir, "trailsweep-html-detail-*.txt")
	if err != nil {
		return nil, err
	}
	d := &htmlDetails{tmp: tmp, buf: bufio.NewWriterSize(tmp, 256<<10)}
	d.zw, _ = gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	return d, nil
}

// add appends f's detail to the open block, opening one when needed and
// closing it when full.
func (d *htmlDetails) add(f *Finding) error {
	if d.n == 0 {
		d.buf.WriteString(htmlDetailOpen)
		d.b64 = base64.NewEncoder(base64.StdEncoding, d.buf)
		d.zw.Reset(d.b64)
		d.e = append(d.e[:0], '[')
	} else {
		d.e = append(d.e[:0], ',')
	}
	d.e = appendDetail(d.e, f)
	d.n++
	if _, err := d.zw.Write(d.e); err != nil {
		return err
	}
	if d.n == htmlChunk {
		return d.close()
	}
	return nil
}

// close ends the open block, if any.
func (d *htmlDetails) close() error {
	if d.n == 0 {
		return nil
	}
	d.n = 0
	if _, err := d.zw.Write([]byte{']'}); err != nil {
		return err
	}
	if err := d.zw.Close(); err != nil {
		return err
	}
	if err := d.b64.Close(); err != nil {
		return err
	}
	_, err := d.buf.WriteString("\"</script>\n")
	return err
}

// writeTo ends the open block and copies every block to w.
func (d *htmlDetails) writeTo(w io.Writer) error {
	if err := d.close(); err != nil {
		return err
	}
	if err := d.buf.Flush(); err != nil {
		return err
	}
	if _, err := d.tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, d.tmp)
	return err
}

func (d *htmlDetails) remove() error {
	d.tmp.Close()
	return os.Remove(d.tmp.Name())
}

// appendDetail appends f's detail, a JSON array of strings in the order of
// htmlDetailColumns.
func appendDetail(b []byte, f *Finding) []byte {
	text := func(s string) { b = appendJSONString(append(b, ','), Clean(s)) }
	b = appendJSONString(append(b, '['), Clean(f.RuleID))
	text(f.RuleName)
	text(f.RuleSource)
	text(f.RuleType)
	text(f.Severity)
	b = strconv.AppendInt(append(b, ',', '"'), f.RiskScore, 10)
	b = append(b, '"')
	text(strings.Join(f.Tactics, ", "))
	text(strings.Join(f.Techniques, ", "))
	if f.EventTime.IsZero() {
		b = append(b, ',', '"', '"')
	} else {
		b = f.EventTime.UTC().AppendFormat(append(b, ',', '"'), time.RFC3339Nano)
		b = append(b, '"')
	}
	text(f.EventID)
	text(f.EventSource)
	text(f.EventName)
	text(f.AWSRegion)
	text(f.AccountID)
	text(f.UserIdentityType)
	text(f.UserARN)
	text(f.UserName)
	text(f.AccessKeyID)
	text(f.SourceIP)
	text(f.UserAgent)
	text(f.ErrorCode)
	text(f.ErrorMessage)
	text(f.RequestParameters)
	text(f.ResponseElements)
	text(f.Details)
	text(f.SourceURI)
	text(f.ObjectETag)
	b = strconv.AppendInt(append(b, ',', '"'), f.RecordIndex, 10)
	b = append(b, '"')
	text(f.Integrity)
	b = appendJSONString(append(b, ','), f.Raw) // as read: the script makes it visible
	return append(b, ']')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, an invalid UTF-8 byte as U+FFFD. It does not
// escape <, > or &: the result is compressed, never in the page as text.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n != 1 {
				i += n
				continue
			}
		}
		b = append(b, s[start:i]...)
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, `\ufffd`...)
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// htmlDetailError wraps an error of the details' temporary file.
func htmlDetailError(err error) error { return fmt.Errorf("html report: details: %w", err) }
