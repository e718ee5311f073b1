package reader_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// decodeAll reads every record of input. Recoverable errors
// (ErrRecordTooLarge, ErrInvalidUTF8) are collected and reading goes on;
// the final error, if not io.EOF, is returned.
func decodeAll(t testing.TB, r io.Reader, opts reader.DecodeOptions) (recs []string, soft []error, err error) {
	t.Helper()
	d, err := reader.NewDecoder(r, opts)
	if err != nil {
		return nil, nil, err
	}
	for n := 0; ; n++ {
		if n > 1e6 {
			t.Fatal("decoder does not end")
		}
		rec, err := d.Next()
		switch {
		case err == io.EOF:
			return recs, soft, nil
		case errors.Is(err, reader.ErrRecordTooLarge), errors.Is(err, reader.ErrInvalidUTF8), errors.Is(err, reader.ErrBadRecord):
			soft = append(soft, err)
		case err != nil:
			return recs, soft, err
		default:
			recs = append(recs, string(rec))
		}
	}
}

func gz(t testing.TB, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts { // one member per part
		w := gzip.NewWriter(&b)
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// readers feeds each input whole, a byte at a time and in halves, so that
// every buffer boundary is crossed.
var readers = map[string]func([]byte) io.Reader{
	"whole":   func(b []byte) io.Reader { return bytes.NewReader(b) },
	"bytes":   func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
	"halves":  func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	"dataerr": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
}

const (
	r1 = `{"eventVersion":"1.08","eventName":"GetObject","n":1}`
	r2 = `{"eventVersion":"1.08","s":"a\"}{[","t":"\\","u":"\\\"}]","v":"\u00e9é"}`
	r3 = `{"eventTime":"2024-01-05T00:00:00Z","nested":{"a":[1,{"b":[]},"]"],"c":null}}`
)

func TestDecoder(t *testing.T) {
	digest := `{"awsAccountId":"111122223333","digestStartTime":"2024-01-05T00:00:00Z","logFiles":[{"s3Object":"x"}],"previousDigestSignature":null}`
	plainAll := `{"Records":[` + r1 + `,` + r2 + `,` + r3 + `]}`
	all := []string{r1, r2, r3}
	tests := []struct {
		name   string
		in     []byte
		opts   reader.DecodeOptions
		want   []string
		prefix bool  // got may be a prefix of want
		soft   int   // recoverable errors expected
		err    error // final error expected, nil for io.EOF
	}{
		{name: "records first", in: []byte(plainAll), want: all},
		{name: "records not first", in: []byte(`{"foo":{"bar":[1,2,{"x":"]}"}]},"n":-1.5e3,"t":true,"z":null,"Records":[` + r1 + `],"after":"x","more":[{}]}`), want: []string{r1}},
		{name: "pretty", in: []byte("\ufeff{\n  \"Records\" : [\n    " + r1 + " ,\n\t" + r3 + "\r\n  ]\n}\n"), want: []string{r1, r3}},
		{name: "empty records", in: []byte(`{"Records":[]}`)},
		{name: "second records key", in: []byte(`{"Records":[` + r1 + `],"x":1,"Records":[` + r2 + `]}`), want: []string{r1, r2}},
		{name: "bare array", in: []byte(`[` + r1 + `, ` + r2 + `,` + r3 + `]`), want: all},
		{name: "empty array", in: []byte(` [ ] `)},
		{name: "ndjson", in: []byte(r1 + "\n" + r2 + "\n\n" + r3 + "\n"), want: all},
		{name: "ndjson no final newline", in: []byte(r1 + "\r\n" + r3), want: []string{r1, r3}},
		{name: "concatenated files", in: []byte(plainAll + `{"Records":[` + r1 + `]}`), want: []string{r1, r2, r3, r1}},
		{name: "gzip", in: gz(t, plainAll), want: all},
		{name: "gzip ndjson", in: gz(t, r1+"\n"+r2+"\n"), want: []string{r1, r2}},
		{name: "multi-member gzip split mid-record", in: gz(t, plainAll[:40], plainAll[40:97], plainAll[97:]), want: all},
		{name: "multi-member gzip of files", in: gz(t, plainAll, `{"Records":[`+r3+`]}`), want: []string{r1, r2, r3, r3}},

		{name: "corrupt deflate", in: append(gz(t, plainAll)[:10], 0xff, 0x00, 0x12, 0x34), err: reader.ErrCorruptGzip},
		{name: "corrupt crc", in: corruptTrailer(gz(t, plainAll)), want: all, err: reader.ErrCorruptGzip},
		{name: "corrupt member header", in: append(gz(t, plainAll), 0x1f, 0x8b, 0x63, 0, 0, 0, 0, 0, 0, 0, 0), want: all, err: reader.ErrCorruptGzip},
		{name: "truncated gzip", in: truncate(gz(t, strings.Repeat(plainAll, 50))), want: repeat(all, 50), prefix: true, err: reader.ErrTruncated},
		{name: "truncated gzip header", in: gz(t, plainAll)[:5], err: reader.ErrTruncated},
		{name: "truncated in string", in: []byte(`{"Records":[{"a":"b`), err: reader.ErrTruncated},
		{name: "truncated after escape", in: []byte(`{"Records":[{"a":"b\`), err: reader.ErrTruncated},
		{name: "truncated in record", in: []byte(`{"Records":[{"a":{"b":1}`), err: reader.ErrTruncated},
		{name: "truncated after record", in: []byte(`{"Records":[` + r1 + `,`), want: []string{r1}, err: reader.ErrTruncated},
		{name: "truncated after records", in: []byte(`{"Records":[` + r1 + `]`), want: []string{r1}, err: reader.ErrTruncated},
		{name: "truncated top-level object", in: []byte(`{"a":1,"b":tr`), err: reader.ErrTruncated},
		{name: "truncated ndjson", in: []byte(r1 + "\n" + r2[:20]), want: []string{r1}, err: reader.ErrTruncated},

		{name: "html", in: []byte("<html><body>nope</body></html>"), err: reader.ErrNotJSON},
		{name: "empty", in: nil, err: reader.ErrNotJSON},
		{name: "blank", in: []byte(" \n\t "), err: reader.ErrNotJSON},
		{name: "binary", in: []byte{0x00, 0x01, 0x02, 0xff}, err: reader.ErrNotJSON},
		{name: "extra bracket", in: []byte(`{"Records":[` + r1 + `]]`), want: []string{r1}, err: reader.ErrNotJSON},
		{name: "mismatched brackets", in: []byte(`{"Records":[{"a":[1}]}`), err: reader.ErrNotJSON},
		{name: "missing comma", in: []byte(`{"Records":[` + r1 + r1 + `]}`), want: []string{r1}, err: reader.ErrNotJSON},
		{name: "bad value", in: []byte(`{"x":?,"Records":[]}`), err: reader.ErrNotJSON},
		{name: "bare key", in: []byte(`{x:1}`), err: reader.ErrNotJSON},
		{name: "deep nesting outside records", in: []byte(`{"Records":[` + r1 + `],"a":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`), want: []string{r1}, err: reader.ErrNotJSON},

		{name: "digest", in: gz(t, digest), err: reader.ErrNotCloudTrail},
		{name: "empty object", in: []byte(`{}`), err: reader.ErrNotCloudTrail},
		{name: "records null", in: []byte(`{"Records":null}`), err: reader.ErrNotCloudTrail},
		{name: "array of numbers", in: []byte(`[1,2,3]`), err: reader.ErrNotCloudTrail},

		{name: "record too large", in: []byte(`{"Records":[` + r1 + `,{"eventVersion":"` + strings.Repeat("x", 300) + `"},` + r3 + `]}`),
			opts: reader.DecodeOptions{MaxRecordBytes: 100}, want: []string{r1, r3}, soft: 1},
		{name: "ndjson record too large", in: []byte(r1 + "\n" + `{"eventVersion":"` + strings.Repeat("x", 300) + `"}` + "\n" + r3),
			opts: reader.DecodeOptions{MaxRecordBytes: 100}, want: []string{r1, r3}, soft: 1},
		{name: "record at the limit", in: []byte(`[` + r1 + `]`), opts: reader.DecodeOptions{MaxRecordBytes: len(r1)}, want: []string{r1}},
		// A record nested too deep, or with a raw control character or an
		// escape JSON does not have, is one malformed record.
		{name: "deep nesting", in: []byte(`[{"a":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `},` + r1 + `]`), want: []string{r1}, soft: 1},
		{name: "deep objects", in: []byte(`[` + r1 + `,{"a":` + strings.Repeat(`{"b":`, 400) + `1` + strings.Repeat("}", 400) + `},` + r3 + `]`), want: []string{r1, r3}, soft: 1},
		{name: "ndjson deep nesting", in: []byte(`{"eventVersion":"1","a":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + "}\n" + r1), want: []string{r1}, soft: 1},
		{name: "tab in string", in: []byte("[{\"a\":\"x\ty\"}," + r1 + "]"), want: []string{r1}, soft: 1},
		{name: "newline in key", in: []byte("[" + r1 + ",{\"a\nb\":1}," + r3 + "]"), want: []string{r1, r3}, soft: 1},
		{name: "control in long string", in: []byte(`[{"a":"` + strings.Repeat("x", 100) + "\x01" + strings.Repeat("x", 100) + `"},` + r1 + `]`), want: []string{r1}, soft: 1},
		{name: "control in member run", in: []byte(`[{"k":"v","l":"w\x1fw","m":"z"},` + r1 + `]`), want: []string{r1}, soft: 1},
		{name: "control outside strings", in: []byte("[{\"a\":1,\x01\"b\":2}," + r1 + "]"), want: []string{r1}, soft: 1},
		{name: "ndjson control in string", in: []byte("{\"eventVersion\":\"1\",\"a\":\"x\x00y\"}\n" + r1), want: []string{r1}, soft: 1},
		{name: "bad escape", in: []byte(`[{"a":"\q"},` + r1 + `]`), want: []string{r1}, soft: 1},
		{name: "bad unicode escape", in: []byte(`[{"a":"\u00zz"},` + r1 + `,{"b":"\u12"},{"c":"x\u"},` + r3 + `]`), want: []string{r1, r3}, soft: 3},
		{name: "bad escape in long string", in: []byte(`[{"a":"` + strings.Repeat("x", 100) + `\x` + strings.Repeat("x", 100) + `"},` + r1 + `]`), want: []string{r1}, soft: 1},
		{name: "every escape", in: []byte(`[{"eventVersion":"\"\\\/\b\f\n\r\t\u00AFz\uD83D\uDE00"}]`), want: []string{`{"eventVersion":"\"\\\/\b\f\n\r\t\u00AFz\uD83D\uDE00"}`}},
		{name: "control in a value before records", in: []byte("{\"x\":\"a\tb\",\"Records\":[" + r1 + "]}"), err: reader.ErrNotJSON},
		{name: "invalid utf-8", in: []byte("[{\"a\":\"\xff\xfe\"}," + r2 + "]"), want: []string{r2}, soft: 1},
		{name: "gzip bomb", in: gz(t, `{"Records":[`+strings.Repeat(r1+",", 200_000)+r1+`]}`),
			opts: reader.DecodeOptions{MaxObjectBytes: 1 << 20}, err: reader.ErrObjectTooLarge},
	}
	for _, tt := range tests {
		for rname, mk := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				got, soft, err := decodeAll(t, mk(tt.in), tt.opts)
				if tt.err == nil && err != nil || tt.err != nil && !errors.Is(err, tt.err) {
					t.Fatalf("error = %v, want %v", err, tt.err)
				}
				var de *reader.DecodeError
				if err != nil && !errors.As(err, &de) {
					t.Errorf("error %v is not a *DecodeError", err)
				}
				if len(soft) != tt.soft {
					t.Errorf("recoverable errors = %v, want %d", soft, tt.soft)
				}
				if tt.err == reader.ErrObjectTooLarge {
					return // records before the limit are fine, whatever their number
				}
				if tt.prefix && len(got) < len(tt.want) {
					got = append(got, tt.want[len(got):]...)
				}
				if !equal(got, tt.want) {
					t.Errorf("records:\n got %q\nwant %q", got, tt.want)
				}
			})
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// corruptTrailer flips the bytes of the gzip CRC.
func corruptTrailer(b []byte) []byte {
	b = bytes.Clone(b)
	for i := len(b) - 8; i < len(b)-4; i++ {
		b[i] ^= 0x55
	}
	return b
}

func repeat(s []string, n int) []string {
	var r []string
	for range n {
		r = append(r, s...)
	}
	return r
}

func truncate(b []byte) []byte { return b[:len(b)*2/3] }

func TestDecoderErrorOffset(t *testing.T) {
	in := `{"Records":[` + r1 + `,{"a":[1}]}`
	_, _, err := decodeAll(t, strings.NewReader(in), reader.DecodeOptions{})
	var de *reader.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error = %v, want a *DecodeError", err)
	}
	if want := int64(strings.Index(in, "}]}")); de.Offset != want {
		t.Errorf("offset = %d, want %d (%v)", de.Offset, want, err)
	}
	if !errors.Is(err, reader.ErrNotJSON) {
		t.Errorf("error = %v, want ErrNotJSON", err)
	}
}

func TestDecoderCounts(t *testing.T) {
	plain := `{"Records":[` + strings.Repeat(r1+",", 1000) + r1 + `]}`
	in := gz(t, plain)
	d, err := reader.NewDecoder(bytes.NewReader(in), reader.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1001 {
		t.Errorf("records = %d, want 1001", n)
	}
	if got, want := d.BytesIn(), int64(len(in)); got != want {
		t.Errorf("BytesIn = %d, want %d", got, want)
	}
	if got, want := d.BytesOut(), int64(len(plain)); got != want {
		t.Errorf("BytesOut = %d, want %d", got, want)
	}
	if err := d.Reset(strings.NewReader(`[` + r2 + `]`)); err != nil {
		t.Fatal(err)
	}
	if rec, err := d.Next(); err != nil || string(rec) != r2 {
		t.Errorf("after Reset: Next = %q, %v; want %q", rec, err, r2)
	}
	if got, want := d.BytesOut(), int64(len(r2)+2); got != want {
		t.Errorf("after Reset: BytesOut = %d, want %d", got, want)
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// A failing source is reported as itself, not as corrupt or truncated data.
func TestDecoderSourceError(t *testing.T) {
	boom := errors.New("connection reset")
	for name, in := range map[string][]byte{
		"plain": []byte(`{"Records":[` + r1 + `,` + r2),
		"gzip":  truncate(gz(t, strings.Repeat(`{"Records":[`+r1+`]}`, 100))),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := decodeAll(t, &failingReader{data: in, err: boom}, reader.DecodeOptions{})
			if !errors.Is(err, boom) {
				t.Errorf("error = %v, want %v", err, boom)
			}
			for _, s := range []error{reader.ErrTruncated, reader.ErrCorruptGzip} {
				if errors.Is(err, s) {
					t.Errorf("error = %v, should not be %v", err, s)
				}
			}
		})
	}
}

// Every file of the shared datasets splits into the records encoding/json
// finds in it.
func TestDecoderSharedDatasets(t *testing.T) {
	root := gen.SharedDir(t, "datasets")
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".json.gz")) {
			return err
		}
		files++
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		plain := raw
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				return err
			}
			if plain, err = io.ReadAll(zr); err != nil {
				return err
			}
		}
		want, err := jsonRecords(plain)
		if err != nil {
			t.Errorf("%s: encoding/json: %v", p, err)
			return nil
		}
		got, soft, err := decodeAll(t, bytes.NewReader(raw), reader.DecodeOptions{})
		if err != nil || len(soft) > 0 {
			t.Errorf("%s: %v %v", p, err, soft)
			return nil
		}
		if !equal(got, want) {
			t.Errorf("%s: %d records, want %d (or they differ)", p, len(got), len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no dataset files found")
	}
}

// jsonRecords splits a log file with encoding/json: the reference.
func jsonRecords(b []byte) ([]string, error) {
	var recs []json.RawMessage
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &recs); err != nil {
			return nil, err
		}
	} else {
		var f struct{ Records []json.RawMessage }
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, err
		}
		recs = f.Records
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r)
	}
	return out, nil
}
