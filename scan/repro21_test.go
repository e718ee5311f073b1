package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/reader"
)

// TestRunRepro21PlainFile is issue 21's repro at the scanner's level, with
// the built-in rules: a successful DeleteTrail after a record whose
// eventSource is an array is found from a plain NDJSON file wherever the
// decoder's first read (128 KiB of an object in memory) ends within it.
// Before the fix, a read ending just after the ',' of a member of the
// record misplaced that member's end and the rule missed the record.
func TestRunRepro21PlainFile(t *testing.T) {
	const (
		before    = `{"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "userName": "bert-jan"}, "eventTime": "2023-07-10T12:16:50Z", "eventSource": ["rds.amazonaws.com", "rds.amazonaws.com"], "eventName": "DescribeDBInstances", "eventID": "mut-026056", "pad": "`
		del       = `{"eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "userName": "bert-jan"}, "eventTime": "2023-07-10T12:08:04Z", "eventSource": "cloudtrail.amazonaws.com", "eventName": "DeleteTrail", "requestParameters": {"name": "trail"}, "responseElements": null, "eventID": "mut-026057"}`
		firstRead = 128 << 10
	)
	dir := t.TempDir()
	files := 0
	for i := range len(del) {
		if del[i] != ',' && del[i] != ':' {
			continue
		}
		// The first read ends just after this byte of the record.
		pad := firstRead - (i + 1) - len(before) - len("\"}\n")
		body := before + strings.Repeat("x", pad) + "\"}\n" + del + "\n"
		if body[firstRead-1] != del[i] {
			t.Fatalf("the first read ends at %q, want %q", body[firstRead-1], del[i])
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("at%04d.json", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files++
	}
	src, err := reader.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sink collect
	sum, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: builtinSet(t), Workers: 2}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records.Read != int64(2*files) || sum.Records.Malformed != 0 {
		t.Errorf("records %+v, want %d read and none malformed", sum.Records, 2*files)
	}
	found := map[string]bool{}
	for _, f := range sink.fs {
		if f.EventID != "mut-026057" || !strings.Contains(f.RuleName, "CloudTrail") {
			t.Errorf("unexpected finding %s on %s", f.RuleName, f.EventID)
		}
		found[f.SourceURI] = true
	}
	if len(found) != files || len(sink.fs) != files {
		t.Errorf("%d findings in %d of %d files, want one in each", len(sink.fs), len(found), files)
	}
}
