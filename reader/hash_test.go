package reader_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"testing"

	"github.com/trailsweep/trailsweep/reader"
)

// TestDecoderHashTo: with Drain, HashTo sees exactly the decompressed
// stream, whether the decoder read every record, stopped at a bad one, or
// the input was plain.
func TestDecoderHashTo(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	for _, tt := range []struct {
		name, plain string
		gzip        bool
	}{
		{"records", `{"Records":[{"eventName":"A"},{"eventName":"B"}]}` + "\n  \n", true},
		{"plain", `{"Records":[{"eventName":"A"}]}`, false},
		{"not cloudtrail", `{"digestStartTime":"x"} trailing bytes that are not json`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.plain)
			if tt.gzip {
				in = gz(tt.plain)
			}
			d, err := reader.NewDecoder(bytes.NewReader(in), reader.DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			d.HashTo(h)
			for {
				if _, err := d.Next(); err != nil && !reader.Skipped(err) {
					break
				}
			}
			if err := d.Drain(); err != nil {
				t.Fatal(err)
			}
			if got, want := h.Sum(nil), sha256.Sum256([]byte(tt.plain)); !bytes.Equal(got, want[:]) {
				t.Errorf("hash %x, want %x", got, want)
			}
		})
	}
}
