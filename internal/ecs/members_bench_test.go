package ecs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
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

// BenchmarkMalformedShared is BenchmarkResetMembersHot over every record
// of the shared datasets (real CloudTrail), without and with the
// malformed-object check: the difference is what the check costs a record.
// SetBytes counts the records' bytes.
func BenchmarkMalformedShared(b *testing.B) {
	root := gen.SharedDir(b, "datasets")
	files, err := gen.LogFiles(root)
	if err != nil {
		b.Fatal(err)
	}
	type split struct {
		raw []byte
		idx []int32
	}
	var recs []split
	var size int64
	for _, f := range files {
		body, err := gen.ReadLog(f)
		if err != nil {
			b.Fatal(err)
		}
		d, err := reader.NewDecoder(bytes.NewReader(body), reader.DecodeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			raw, err := d.Next()
			if err != nil {
				break
			}
			recs = append(recs, split{bytes.Clone(raw), append([]int32(nil), d.Index()...)})
			size += int64(len(raw))
		}
	}
	for _, check := range []bool{false, true} {
		name := "without"
		if check {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			r := ecs.NewRecord(ecs.Options{})
			b.SetBytes(size)
			b.ReportAllocs()
			bad := 0
			for b.Loop() {
				bad = 0
				for _, s := range recs {
					if err := r.ResetMembers(s.raw, s.idx); err != nil {
						b.Fatal(err)
					}
					if check && r.Malformed() != nil {
						bad++
						continue
					}
					r.EventTime()
					_, _, _ = r.StrView("eventSource"), r.StrView("eventName"), r.StrView("userIdentity", "type")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(recs)), "ns/record")
			if bad != 0 {
				b.Fatalf("%d real records malformed", bad)
			}
		})
	}
}
