package ecs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/reader"
)

// splitRecord returns the bundled benchmark record and its member index,
// as the scanner's splitter gives them to ResetMembers.
func splitRecord(b *testing.B) ([]byte, []int32) {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "create-event-source-mapping.json"))
	if err != nil {
		b.Fatal(err)
	}
	d, err := reader.NewDecoder(bytes.NewReader(append(append([]byte(`{"Records":[`), bytes.TrimSpace(raw)...), "]}"...)), reader.DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rec, err := d.Next()
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Clone(rec), append([]int32(nil), d.Index()...)
}

// BenchmarkResetMembersHot measures what the scanner pays per record before
// any rule runs (ResetMembers, the record's type check, eventTime) and then
// the three fields the rule index reads: the work the malformed-object
// check adds to must stay a small part of it.
func BenchmarkResetMembersHot(b *testing.B) {
	raw, idx := splitRecord(b)
	r := ecs.NewRecord(ecs.Options{})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.ResetMembers(raw, idx); err != nil {
			b.Fatal(err)
		}
		if err := checkRecord(r); err != nil {
			b.Fatal(err)
		}
		if _, ok := r.EventTime(); !ok {
			b.Fatal("no eventTime")
		}
		if r.StrView("eventSource") == "" || r.StrView("eventName") == "" || r.StrView("userIdentity", "type") == "" {
			b.Fatal("hot field absent")
		}
	}
}
