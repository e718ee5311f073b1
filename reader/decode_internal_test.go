package reader

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// repeater streams head, then body n times separated by sep, then tail,
// without holding it all.
type repeater struct {
	parts []string
	body  string
	sep   string
	n     int
	cur   string
}

func newRepeater(head, body, sep string, n int, tail string) *repeater {
	return &repeater{parts: []string{tail}, body: body, sep: sep, n: n, cur: head}
}

func (r *repeater) Read(p []byte) (int, error) {
	for r.cur == "" {
		switch {
		case r.n > 0:
			r.cur = r.body
			if r.n > 1 {
				r.cur += r.sep
			}
			r.n--
		case len(r.parts) > 0:
			r.cur, r.parts = r.parts[0], r.parts[1:]
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// The decoder streams: its buffer stays small whatever the object's size.
func TestDecoderStreams(t *testing.T) {
	rec := `{"eventVersion":"1.11","eventName":"GetObject","requestParameters":{"bucketName":"b","key":"` + strings.Repeat("k", 400) + `"}}`
	const n = 200_000 // about 90 MB
	tests := []struct {
		name   string
		in     io.Reader
		maxBuf int
	}{
		{"records", newRepeater(`{"Records":[`, rec, ",", n, `]}`), initialBuf},
		{"bare array", newRepeater(`[`, rec, ",", n, `]`), initialBuf},
		{"ndjson", newRepeater(``, rec, "\n", n, "\n"), initialBuf},
		// A top-level object may be a record: it is held up to the record
		// limit before it is let go.
		{"skipped keys", newRepeater(`{"junk":[`, rec, ",", n, `],"Records":[`+rec+`]}`), 3 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDecoder(tt.in, DecodeOptions{MaxRecordBytes: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			for {
				r, err := d.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if string(r) != rec {
					t.Fatalf("record %d = %.80q…, want %.80q…", got, r, rec)
				}
				got++
			}
			want := n
			if tt.name == "skipped keys" {
				want = 1
			}
			if got != want {
				t.Errorf("records = %d, want %d", got, want)
			}
			if c := cap(d.buf); c > tt.maxBuf {
				t.Errorf("buffer grew to %d bytes, want at most %d", c, tt.maxBuf)
			}
		})
	}
}

// A huge record is skipped without being held.
func TestDecoderSkipsHugeRecord(t *testing.T) {
	huge := `{"eventVersion":"` + strings.Repeat("x", 20<<20) + `"}`
	small := `{"eventVersion":"1"}`
	in := io.MultiReader(strings.NewReader(`{"Records":[`+small+`,`), strings.NewReader(huge), strings.NewReader(`,`+small+`]}`))
	d, err := NewDecoder(in, DecodeOptions{MaxRecordBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := d.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, ErrRecordTooLarge) {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset != int64(len(`{"Records":[`+small+`,`)) {
				t.Errorf("error %v: want the record's offset", err)
			}
			got = append(got, "too large")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(r))
	}
	if want := []string{small, "too large", small}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	if c := cap(d.buf); c > 3<<20 {
		t.Errorf("buffer grew to %d bytes for a 1 MiB limit", c)
	}
}

func TestDecoderResetShrinks(t *testing.T) {
	big := `[{"eventVersion":"` + strings.Repeat("x", 4<<20) + `"}]`
	d, err := NewDecoder(strings.NewReader(big), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := d.Next(); err != nil || len(r) != len(big)-2 {
		t.Fatalf("Next = %d bytes, %v; want %d bytes", len(r), err, len(big)-2)
	}
	if err := d.Reset(strings.NewReader(`[{"eventVersion":"1"}]`)); err != nil {
		t.Fatal(err)
	}
	if len(d.buf) != initialBuf {
		t.Errorf("buffer after Reset = %d bytes, want %d", len(d.buf), initialBuf)
	}
	if n := cap(d.sb.stop) + cap(d.sb.hi); n > 2*initialBuf/64 {
		t.Errorf("stop bitmaps after Reset = %d words, want at most %d", n, 2*initialBuf/64)
	}
	if r, err := d.Next(); err != nil || string(r) != `{"eventVersion":"1"}` {
		t.Errorf("Next after Reset = %q, %v", r, err)
	}
}
