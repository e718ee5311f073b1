package ecs

import (
	"os"
	"path/filepath"
	"testing"
)

// benchRecord reads the realistic record used by the benchmarks.
func benchRecord(b *testing.B) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "create-event-source-mapping.json"))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkResetHotFields measures the per-record cost a rule with an
// event.provider/event.action/event.outcome prefilter pays: parse plus three
// fields. The baseline to approach is fastjson's parse alone (BenchmarkParse).
func BenchmarkResetHotFields(b *testing.B) {
	raw := benchRecord(b)
	fields := []Field{Lookup("event.provider"), Lookup("event.action"), Lookup("event.outcome")}
	r := NewRecord(Options{})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Reset(raw); err != nil {
			b.Fatal(err)
		}
		for _, f := range fields {
			if len(r.Values(f)) != 1 {
				b.Fatalf("%s absent", f.Name)
			}
		}
	}
}

// BenchmarkParse is the baseline: Reset alone, which is fastjson's parse.
func BenchmarkParse(b *testing.B) {
	raw := benchRecord(b)
	r := NewRecord(Options{})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Reset(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestParametersString measures printing requestParameters as a
// Java HashMap string (cleanup, hashing, bucket ordering); SetBytes counts the
// raw record.
func BenchmarkRequestParametersString(b *testing.B) {
	raw := benchRecord(b)
	f := Lookup("aws.cloudtrail.request_parameters")
	r := NewRecord(Options{})
	if err := r.Reset(raw); err != nil {
		b.Fatal(err)
	}
	v := r.root.Get("requestParameters")
	b.SetBytes(int64(len(r.JSON("requestParameters"))))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := r.pr.String(v, ""); !ok {
			b.Fatal("request_parameters absent")
		}
	}
	_ = f
}
