package scan

import (
	"fmt"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/reader"
)

// Findings outlive the record they come from: the worker reuses one
// ecs.Record, whose values share its parsed bytes until the next Reset, so
// every column kept in a finding (user.name comes from Values) must still
// hold its own record's value after many more records.
func TestFindingColumnsOutliveReset(t *testing.T) {
	w := newWorker(Config{})
	o := reader.Object{URI: "s3://b/k", ETag: "e"}
	const n = 100
	users := make([]string, n)
	for i := range n {
		raw := fmt.Sprintf(`{"eventTime":"2026-03-01T00:00:00Z","eventID":"id-%03d","eventName":"GetObject",`+
			`"userIdentity":{"type":"IAMUser","userName":"user-%04d"}}`, i, i)
		if err := w.rec.Reset([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		f := w.recordColumns(o, time.Unix(int64(i), 0), int64(i))
		users[i] = f.UserName
		if want := fmt.Sprintf("user-%04d", i); f.UserName != want {
			t.Fatalf("record %d: user %q, want %q", i, f.UserName, want)
		}
	}
	for i, u := range users {
		if want := fmt.Sprintf("user-%04d", i); u != want {
			t.Errorf("record %d after %d more records: user %q, want %q", i, n-1-i, u, want)
		}
	}
}
