package report

import (
	"bufio"
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
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
//
// Add encodes a block; one goroutine compresses full blocks into a
// temporary file, so that on two cores compressing costs little time.
type htmlDetails struct {
	tmp   *os.File
	n     int    // details in the open block
	block []byte // the open block's JSON
	full  chan []byte
	free  chan []byte
	done  chan struct{}
	err   error // the compressor's, read after done
}

const htmlDetailOpen = `<script type="application/json" class="findings-detail">"`

func newHTMLDetails(dir string) (*htmlDetails, error) {
	tmp, err := os.CreateTemp(dir, "trailsweep-html-detail-*.txt")
	if err != nil {
		return nil, err
	}
	d := &htmlDetails{tmp: tmp, full: make(chan []byte, 1), free: make(chan []byte, 2), done: make(chan struct{})}
	d.free <- nil
	d.free <- nil
	go d.compress()
	return d, nil
}

// compress writes each full block to the temporary file.
func (d *htmlDetails) compress() {
	defer close(d.done)
	buf := bufio.NewWriterSize(d.tmp, 256<<10)
	b64 := base64.NewEncoder(base64.StdEncoding, buf)
	zw, _ := gzip.NewWriterLevel(b64, gzip.DefaultCompression) // a valid level: no error
	for b := range d.full {
		if d.err == nil {
			buf.WriteString(htmlDetailOpen)
			zw.Reset(b64)
			_, d.err = zw.Write(b)
			d.err = cmp.Or(d.err, zw.Close(), b64.Close())
			buf.WriteString("\"</script>\n")
		}
		d.free <- b[:0]
	}
	d.err = cmp.Or(d.err, buf.Flush())
}

// add appends f's detail to the open block, handing it to the compressor
// when full. It returns the compressor's error, if it stopped.
func (d *htmlDetails) add(f *Finding) error {
	if d.n == 0 {
		select {
		case d.block = <-d.free:
		case <-d.done:
			return cmp.Or(d.err, errors.New("compressor stopped"))
		}
		d.block = append(d.block, '[')
	} else {
		d.block = append(d.block, ',')
	}
	d.block = appendDetail(d.block, f)
	d.n++
	if d.n == htmlChunk {
		d.flush()
	}
	return nil
}

// flush hands the open block, if any, to the compressor.
func (d *htmlDetails) flush() {
	if d.n > 0 {
		d.full <- append(d.block, ']')
		d.n, d.block = 0, nil
	}
}

// writeTo compresses the open block, stops the compressor (the first
// time: add must not be called after) and copies every block to w.
func (d *htmlDetails) writeTo(w io.Writer) error {
	select {
	case <-d.done:
	default:
		d.flush()
		close(d.full)
		<-d.done
	}
	if d.err != nil {
		return d.err
	}
	if _, err := d.tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, d.tmp)
	return err
}

// remove stops the compressor, if writeTo did not, and removes the
// temporary file.
func (d *htmlDetails) remove() error {
	select {
	case <-d.done:
	default:
		close(d.full)
		<-d.done
	}
	d.tmp.Close()
	return os.Remove(d.tmp.Name())
}

// appendDetail appends f's detail, a JSON array of strings in the order of
// htmlDetailColumns.
func appendDetail(b []byte, f *Finding) []byte {
	b = append(b, '[')
	f.eachColumn(", ", func(s string, plain bool) {
		if !plain {
			s = Clean(s)
		}
		b = appendJSONString(b, s)
		b = append(b, ',')
	})
	b = appendJSONString(b, f.Raw) // as read: the script makes it visible
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
		if jsonPlain[c] {
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

// jsonPlain holds the ASCII bytes a JSON string holds as they are.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// htmlDetailError wraps an error of the details' temporary file.
func htmlDetailError(err error) error { return fmt.Errorf("html report: details: %w", err) }
