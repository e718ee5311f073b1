package reader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// chunked returns b in pieces of 1 to step bytes, so that the decoder's
// buffer fills, moves and grows at every place in the input.
type chunked struct {
	b    []byte
	step int
	n    int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	c.n++
	k := min(len(p), len(c.b), 1+c.n*7919%c.step)
	copy(p, c.b[:k])
	c.b = c.b[k:]
	return k, nil
}

// decodeAll returns every record, member index and error the decoder
// gives for in, read in pieces of up to step bytes, with or without
// stopBits, with the index selection sel (nil: every object).
func decodeAll(t *testing.T, in []byte, step int, sb bool, sel *IndexPaths) []string {
	t.Helper()
	defer func(old bool) { useStopBits = old }(useStopBits)
	useStopBits = sb
	var out []string
	d, err := NewDecoder(&chunked{b: in, step: step}, DecodeOptions{MaxRecordBytes: 4096, Index: sel})
	if err != nil {
		return []string{"new: " + err.Error()}
	}
	for range 10000 {
		rec, err := d.Next()
		if err == io.EOF {
			break
		}
		// IndexEscaped is set exactly for the keys that hold an escape,
		// wherever the reads ended (issue 21).
		idx := d.Index()
		for e := 0; err == nil && e+IndexWidth <= len(idx); e += IndexWidth {
			k, c := int(idx[e+IndexKey]&^IndexEscaped), int(idx[e+IndexColon])
			esc := k < c && c <= len(rec) && bytes.IndexByte(rec[k:c], '\\') >= 0
			if esc != (idx[e+IndexKey]&IndexEscaped != 0) {
				t.Fatalf("%q: the key at %d: holds an escape %v, IndexEscaped %v", rec, k, esc, !esc)
			}
		}
		out = append(out, fmt.Sprintf("%q %v %v", rec, idx, err))
		if err != nil && !Skipped(err) && !errors.Is(err, ErrBadRecord) {
			break // the stream cannot go on
		}
	}
	return out
}

// FuzzStopBitsAgree: scanning strings through the AVX2 bitmap gives the
// same records, member indexes and errors as scanning them eight bytes at
// a time, however the input arrives, with every object indexed and with
// an index selection.
func FuzzStopBitsAgree(f *testing.F) {
	if !haveAVX2 {
		f.Skip("no AVX2 on this CPU: only one way to scan strings")
	}
	for _, s := range []string{
		`{"Records":[{"eventVersion":"1.08","a":"x\"y","b":"\\","c":"é"},{"eventName":"caf\u00e9"}]}`,
		`[{"eventTime":"2024-01-01T00:00:00Z","userAgent":"aws-cli/2 \"quoted\" \\ end"}]`,
		`{"Records":[{"a":"` + strings.Repeat("x", 200) + `\\\"` + strings.Repeat("y", 70) + `"},{"b":"\xff\xfe"}]}`,
		`{"Records":[{"a":"unterminated`, `{"Records":[{"a" 1},{"b":2}]}`, `{"eventVersion":"1","k":"v"}`,
	} {
		f.Add([]byte(s), uint8(3))
		f.Add([]byte(s), uint8(64))
	}
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		if len(in) > 1<<16 {
			return
		}
		s := int(step)%97 + 1
		sel := NewIndexPaths()
		sel.Add([]string{"a"})
		for _, p := range []*IndexPaths{nil, sel} {
			want := decodeAll(t, in, s, false, p)
			got := decodeAll(t, in, s, true, p)
			if !slices.Equal(got, want) {
				t.Fatalf("input %q in pieces of up to %d, selection %v:\nwith stopBits %q\nwithout       %q", in, s, p != nil, got, want)
			}
		}
	})
}
