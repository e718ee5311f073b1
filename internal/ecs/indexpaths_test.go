package ecs_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// TestIndexFields: each field, read from records split with the index
// selection IndexFields compiles for that field alone, has the values of
// the whole parse and never parses an object the selection left out, over
// the real datasets and the bundled sample. So is each raw path with
// IndexRaw's selection. A field missing from fieldObjects (it walks into an
// object it does not declare) fails here.
func TestIndexFields(t *testing.T) {
	roots := logRoots(t)
	logs := readLogs(t, roots)
	type read struct {
		name  string
		field ecs.Field
		raw   []string
	}
	var reads []read
	for _, n := range append(ecs.Names(),
		"aws.cloudtrail.flattened.request_parameters", "aws.cloudtrail.flattened.additional_eventdata.UserName",
		"aws.cloudtrail.flattened.response_elements.credentials.accessKeyId") {
		reads = append(reads, read{name: n, field: ecs.Lookup(n)})
	}
	for _, p := range [][]string{{"userIdentity", "sessionContext", "attributes", "mfaAuthenticated"}, {"requestParameters", "bucketName"},
		{"responseElements", "credentials", "accessKeyId"}, {"tlsDetails", "tlsVersion"}, {"resources", "ARN"}, {"eventName"}} {
		reads = append(reads, read{name: "raw " + filepath.Join(p...), raw: p})
	}
	whole, lazy := ecs.NewRecord(ecs.Options{}), ecs.NewRecord(ecs.Options{})
	for _, rd := range reads {
		paths := reader.NewIndexPaths()
		if rd.raw != nil {
			ecs.IndexFields(paths, nil)
			ecs.IndexRaw(paths, rd.raw)
		} else {
			ecs.IndexFields(paths, []ecs.Field{rd.field})
		}
		before, records, present := lazy.Unindexed(), 0, 0
		for _, log := range logs {
			eachBoth(t, log, paths, lazy, whole, func() {
				records++
				var a, b any
				if rd.raw != nil {
					a, b = rawTexts(lazy, rd.raw), rawTexts(whole, rd.raw)
				} else {
					a, b = lazy.Values(rd.field), whole.Values(rd.field)
				}
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("%s: record %d: %v, whole %v", rd.name, records, a, b)
				}
				if reflect.ValueOf(b).Len() > 0 {
					present++
				}
			})
		}
		if n := lazy.Unindexed() - before; n != 0 {
			t.Errorf("%s: %d reads over %d records parsed an object the selection left out (selection %v)", rd.name, n, records, describe(paths))
		}
		if records == 0 {
			t.Fatal("no records read")
		}
		t.Logf("%-70s %5d of %d records have it; selection %v", rd.name, present, records, describe(paths))
	}
}

func describe(p *reader.IndexPaths) []string {
	keys, all := p.Keys()
	if all {
		return []string{"**"}
	}
	return keys
}

// logRoots returns the folders of CloudTrail logs the ECS tests read: the
// bundled sample, and ../shared's datasets when present (required under
// CI=true).
func logRoots(t *testing.T) []string {
	t.Helper()
	roots := []string{filepath.Join("..", "..", "testdata", "sample")}
	if p, err := gen.SharedPath("datasets"); err == nil {
		roots = append(roots, p)
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("../shared/datasets is needed under CI=true: %v", err)
	} else {
		t.Logf("../shared/datasets is absent: the bundled sample only")
	}
	return roots
}
