package reader

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// Issue 21's repro, cut down: an NDJSON record with an array-valued
// eventSource, then a DeleteTrail record. In the repro the first 128 KiB
// read of the plain file ended just after the ',' that follows the
// DeleteTrail record's eventSource; the splitter noted where that value
// ended as an offset into its buffer, read on (moving the record to the
// buffer's start) and indexed the value as ending 131,070 bytes later, so
// event.provider read as absent and the rule missed the record.
const (
	repro21Before = `{"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "userName": "bert-jan"}, "eventTime": "2023-07-10T12:16:50Z", "eventSource": ["rds.amazonaws.com", "rds.amazonaws.com"], "eventName": "DescribeDBInstances", "eventID": "mut-026056"}`
	repro21Delete = `{"eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "userName": "bert-jan"}, "eventTime": "2023-07-10T12:08:04Z", "eventSource": "cloudtrail.amazonaws.com", "eventName": "DeleteTrail", "requestParameters": {"name": "trail"}, "responseElements": null, "eventID": "mut-026057"}`
)

// pieces returns its strings one per Read.
type pieces struct{ p []string }

func (r *pieces) Read(b []byte) (int, error) {
	for len(r.p) > 0 && r.p[0] == "" {
		r.p = r.p[1:]
	}
	if len(r.p) == 0 {
		return 0, io.EOF
	}
	n := copy(b, r.p[0])
	r.p[0] = r.p[0][n:]
	return n, nil
}

// splitAll returns each record and its member index, as "record index".
func splitAll(t *testing.T, r io.Reader) []string {
	t.Helper()
	d, err := NewDecoder(r, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		rec, err := d.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %v", rec, d.Index()))
	}
}

// TestDecoderIndexWhereReadsEnd is the regression test of issue 21's
// repro: a record's member index is the same wherever the reads of the
// input end, with or without the AVX2 string scan.
func TestDecoderIndexWhereReadsEnd(t *testing.T) {
	for _, sb := range []bool{false, true} {
		if sb && !haveAVX2 {
			continue
		}
		t.Run(fmt.Sprintf("stopbits=%v", sb), func(t *testing.T) {
			defer func(old bool) { useStopBits = old }(useStopBits)
			useStopBits = sb
			var want []string
			for _, rec := range []string{repro21Before, repro21Delete} {
				want = append(want, splitAll(t, strings.NewReader(rec))...)
			}
			in := repro21Before + "\n" + repro21Delete + "\n"
			for k := 1; k < len(in); k++ {
				if got := splitAll(t, &pieces{[]string{in[:k], in[k:]}}); !slices.Equal(got, want) {
					t.Fatalf("first read of %d bytes (%q|%q):\n got %q\nwant %q", k, in[max(0, k-20):k], in[k:min(len(in), k+20)], got, want)
				}
			}

			// The repro's own path: the plain file in memory, its first
			// read the decoder's initial buffer, ending just after the
			// ',' that follows eventSource.
			comma := strings.Index(repro21Delete, `"cloudtrail.amazonaws.com",`) + len(`"cloudtrail.amazonaws.com",`)
			pad := initialBuf - len(repro21Before) - 1 - comma
			filler := repro21Before[:len(repro21Before)-1] + `, "pad": "` + strings.Repeat("x", pad-len(`, "pad": ""`)) + `"}`
			in = filler + "\n" + repro21Delete + "\n"
			if in[initialBuf-1] != ',' {
				t.Fatalf("the first read ends at %q, want the comma", in[initialBuf-1])
			}
			got := splitAll(t, bytes.NewReader([]byte(in)))
			if want := splitAll(t, strings.NewReader(repro21Delete)); len(got) != 2 || got[1] != want[0] {
				t.Fatalf("the DeleteTrail record after a %d-byte read:\n got %q\nwant %q", initialBuf, got[1:], want)
			}
		})
	}
}
