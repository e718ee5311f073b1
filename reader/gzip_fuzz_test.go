package reader_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/trailsweep/trailsweep/reader"
)

// FuzzGzipRecords checks the gzip-to-records path against the plain one:
// any input compressed (in one or two gzip members, split where the fuzzer
// says) decodes to the same records and the same kind of error as the
// input itself, and the compressed bytes cut short decode to a prefix of
// those records and then fail, never to more or other records.
func FuzzGzipRecords(f *testing.F) {
	for _, s := range []string{
		`{"Records":[` + r1 + `,` + r2 + `]}`,
		r1 + "\n" + r3 + "\n",
		`[` + r1 + `,{"a":"\xff"}]`,
		`{"logFiles":[]}`,
		``,
	} {
		f.Add([]byte(s), uint16(7), uint16(40))
	}
	f.Fuzz(func(t *testing.T, data []byte, split, cut uint16) {
		opts := reader.DecodeOptions{MaxRecordBytes: 1 << 12, MaxObjectBytes: 1 << 20}
		want, wantSoft, wantErr := decodeAll(t, bytes.NewReader(data), opts)

		at := int(split) % (len(data) + 1)
		z := gz(t, string(data[:at]), string(data[at:]))
		got, gotSoft, gotErr := decodeAll(t, bytes.NewReader(z), opts)
		if !slices.Equal(got, want) || len(gotSoft) != len(wantSoft) {
			t.Fatalf("gzip: %d records, %d soft errors; plain: %d, %d", len(got), len(gotSoft), len(want), len(wantSoft))
		}
		if kind(gotErr) != kind(wantErr) {
			t.Fatalf("gzip error %v, plain error %v", gotErr, wantErr)
		}

		n := int(cut) % len(z)
		part, _, partErr := decodeAll(t, bytes.NewReader(z[:n]), opts)
		if len(part) > len(want) || !slices.Equal(part, want[:len(part)]) {
			t.Fatalf("cut at %d of %d: records are not a prefix of the whole's", n, len(z))
		}
		if n >= 2 && partErr == nil {
			t.Fatalf("cut at %d of %d: no error", n, len(z))
		}
	})
}

// kind names the sentinel an error wraps, or "" for nil.
func kind(err error) string {
	if err == nil {
		return ""
	}
	for _, s := range []error{reader.ErrNotJSON, reader.ErrNotCloudTrail, reader.ErrTruncated, reader.ErrObjectTooLarge} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "other: " + err.Error()
}
