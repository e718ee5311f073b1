package scan

import (
	"bytes"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
)

// FuzzProcess runs arbitrary object bytes, plain or gzip, through a worker
// (decompress, split, ECS view, the built-in rules): it never panics, the
// records add up (read = evaluated + outside the window + malformed), every
// finding names a record that was read, and an object with an error says why.
func FuzzProcess(f *testing.F) {
	for _, file := range gen.Sample().Files {
		f.Add(file.Body, false)
	}
	for _, file := range gen.Broken().Files {
		f.Add(file.Body, false)
	}
	f.Add([]byte(`{"Records":[{"eventTime":"2026-11-20T10:00:00Z","eventSource":"lambda.amazonaws.com","eventName":"CreateEventSourceMapping20150331"},{"a":"\xff"}]}`), true)
	builtin, err := rule.Builtin()
	if err != nil {
		f.Fatal(err)
	}
	set, err := rule.NewSet(builtin)
	if err != nil {
		f.Fatal(err)
	}
	cfg := Config{
		Rules:  set,
		Filter: reader.Filter{Since: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		Decode: reader.DecodeOptions{MaxRecordBytes: 1 << 12, MaxObjectBytes: 1 << 20},
	}
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		if compress {
			data = gen.Gzip(data)
		}
		w := newWorker(cfg)
		r := w.process(fetched{obj: reader.Object{URI: "fuzz"}, body: bytes.NewBuffer(bytes.Clone(data))})
		c := r.records
		if c.Read != c.Evaluated+c.OutsideWindow+c.Malformed {
			t.Fatalf("records do not add up: %+v", c)
		}
		for _, fd := range r.findings {
			if fd.RecordIndex < 0 || fd.RecordIndex >= c.Read {
				t.Fatalf("finding of record %d, %d read", fd.RecordIndex, c.Read)
			}
		}
		if r.err != nil && r.err.Error() == "" {
			t.Fatal("an error without a reason")
		}
	})
}
