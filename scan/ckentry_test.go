package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/trailsweep/trailsweep/report"
)

// TestCheckpointEntryRoundTrip: a part entry gives back its object exactly:
// failure, counts, malformed reasons, findings with every field (invalid
// UTF-8, nil and empty lists, times to the nanosecond) and events; the
// head holds the URI, ETag and failure; damaged entries are errors.
func TestCheckpointEntryRoundTrip(t *testing.T) {
	f := report.Finding{RuleID: "r1", RuleName: "bad \xff utf-8 \x00", Tactics: []string{"a", ""}, Techniques: []string{},
		EventTime: time.Date(2026, 10, 1, 2, 3, 4, 567890123, time.UTC), UserAgent: "<&>", RecordIndex: 7,
		SourceURI: "/logs/a.json.gz", Raw: `{"eventName":"X"}`, Details: "d"}
	g := report.Finding{RuleID: "r2"} // zero time, nil lists
	entries := []entry{
		{URI: "/logs/a.json.gz", ETag: "e1", BytesIn: 10, BytesOut: 100,
			Records:  report.RecordStats{Read: 5, Evaluated: 2, OutsideWindow: 1, Malformed: 2, MalformedBy: map[string]int64{"object_as_string": 1, "b": 1}},
			Findings: []report.Finding{f, g}, Events: []byte{1, 2, 3}},
		{URI: "/logs/b.json.gz", ETag: "e2", Failure: &report.ObjectFailure{URI: "/logs/b.json.gz", Reason: "gzip: invalid header", Kind: "corrupt"}},
		{URI: "s3://b/k", BytesIn: -1}, // nothing else
	}
	var stream bytes.Buffer
	zw := s2.NewWriter(&stream)
	var scratch []byte
	for i := range entries {
		var b []byte
		b, scratch = appendEntry(nil, &entries[i], scratch)
		got := entry{}
		if err := decodeEntry(b, false, &got); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, entries[i]) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got, entries[i])
		}
		var head entry
		if err := decodeEntry(b, true, &head); err != nil {
			t.Fatalf("entry %d head: %v", i, err)
		}
		if want := (entry{URI: entries[i].URI, ETag: entries[i].ETag, Failure: entries[i].Failure}); !reflect.DeepEqual(head, want) {
			t.Errorf("entry %d head: %+v, want %+v", i, head, want)
		}
		for cut := range len(b) {
			if err := decodeEntry(b[:cut], false, &entry{}); err == nil {
				t.Errorf("entry %d cut at %d of %d bytes: no error", i, cut, len(b))
			}
		}
		if err := decodeEntry(append(b, 0), false, &entry{}); err == nil {
			t.Errorf("entry %d with a byte more: no error", i)
		}
		zw.Write(binary.AppendUvarint(nil, uint64(len(b))))
		zw.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "parts", "00000001"+partExt)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, stream.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := CheckpointEntries(dir, func(uri string, fs []report.Finding, evs []byte) error {
		got = append(got, uri)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{entries[0].URI, entries[1].URI, entries[2].URI}; !reflect.DeepEqual(got, want) {
		t.Errorf("CheckpointEntries: %v, want %v", got, want)
	}
	// A part cut short is an error, not fewer entries.
	if err := os.WriteFile(path, stream.Bytes()[:stream.Len()-3], 0o600); err != nil {
		t.Fatal(err)
	}
	err := readPart(path, false, func(*entry) error { return nil })
	if err == nil {
		t.Error("a part cut short: no error")
	}
	// A length beyond any entry is refused before anything is allocated.
	stream.Reset()
	zw.Reset(&stream)
	zw.Write(binary.AppendUvarint(nil, maxEntry+1))
	zw.Close()
	if err := os.WriteFile(path, stream.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := readPart(path, true, func(*entry) error { return nil }); !errors.Is(err, errBadEntry) {
		t.Errorf("an entry of %d bytes: %v, want errBadEntry", uint64(maxEntry+1), err)
	}
}
