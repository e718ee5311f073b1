package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// ckAggRules: one rule of each aggregate kind (new_terms on two fields, a
// threshold with a cardinality, a sequence) and a per-record rule.
var ckAggRules = map[string]string{
	"new_terms.toml": `[rule]
rule_id = "ck-new-terms"
name = "Caller identity from a new IP"
type = "new_terms"
severity = "medium"
risk_score = 47
query = "event.action: GetCallerIdentity"
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name", "source.ip"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-1h"
`,
	"threshold.toml": `[rule]
rule_id = "ck-threshold"
name = "GetObject from several IPs"
type = "threshold"
severity = "low"
risk_score = 21
query = "event.action: GetObject"
from = "now-6m"
interval = "5m"
[rule.threshold]
field = ["user.name"]
value = 3
[[rule.threshold.cardinality]]
field = "source.ip"
value = 2
`,
	"sequence.toml": `[rule]
rule_id = "ck-sequence"
name = "Buckets listed then one deleted"
type = "eql"
language = "eql"
severity = "high"
risk_score = 73
query = '''
sequence by user.name with maxspan=10m
  [any where event.action == "ListBuckets"]
  [any where event.action == "DeleteBucket"]
'''
`,
	"query.toml": `[rule]
rule_id = "ck-query"
name = "Bucket deleted"
type = "query"
severity = "low"
risk_score = 21
query = "event.action: DeleteBucket"
`,
}

func ckAggSet(t *testing.T) *rule.Set {
	t.Helper()
	var rules []*rule.Rule
	for name, body := range ckAggRules {
		r, err := rule.Parse(name, []byte(body), rule.SourceElastic)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Runnable() {
			t.Fatalf("%s does not run: %s", name, r.Reason)
		}
		rules = append(rules, r)
	}
	set, err := rule.NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// ckAggTree holds n objects of 12 records, three users, objects three
// minutes apart: bursts, sequences and new IPs cross object boundaries.
func ckAggTree(n int) gen.Tree {
	var tree gen.Tree
	users := []gen.Identity{
		gen.IAMUser("111122223333", "alice", "AKIAEXAMPLEALICE0001"),
		gen.IAMUser("111122223333", "bob", "AKIAEXAMPLEBOB000001"),
		gen.AssumedRole("444455556666", "deployer", "ci", "ASIAEXAMPLEDEPLOY01"),
	}
	start := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	k := 0
	for i := range n {
		id := users[(i/2)%len(users)]
		first := start.Add(time.Duration(i) * 3 * time.Minute)
		var rs []gen.Record
		for j := range 12 {
			k++
			rs = append(rs, aggMixRecord(id, first.Add(time.Duration(j)*13*time.Second), k))
		}
		key := gen.LogKey("", id.AccountID, "us-east-1", first.Add(8*time.Minute), fmt.Sprintf("C%015d", i))
		tree.Files = append(tree.Files, gen.File{Key: key, Body: gen.Gzip(gen.LogFile(rs...))})
	}
	return tree
}

// recordEvents is a Checkpoint that also keeps a copy of each object's
// events as Run handed them over.
type recordEvents struct {
	*Checkpoint
	events map[string][]rule.Event
}

func (r *recordEvents) Object(o ObjectResult) error {
	if len(o.Events) > 0 {
		evs := slices.Clone(o.Events)
		for i := range evs { // the payloads, too, are valid only during the call
			if evs[i].Payload != nil {
				evs[i].Payload = bytes.Clone(evs[i].Payload)
			}
		}
		r.events[o.Object.URI] = evs
	}
	return r.Checkpoint.Object(o)
}

// TestCheckpointEventsRoundTrip: the aggregate events an object produced
// come back from its part line as Run made them: rule, time, key,
// cardinality values, steps and finding.
func TestCheckpointEventsRoundTrip(t *testing.T) {
	set := ckAggSet(t)
	_, src := writeTree(t, ckAggTree(60))
	ck, err := OpenCheckpoint(t.TempDir(), Manifest{}, CheckpointOptions{BatchObjects: 7})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordEvents{Checkpoint: ck, events: map[string][]rule.Event{}}
	if _, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: set, Workers: 2}, rec); err != nil {
		t.Fatal(err)
	}
	if err := ck.Flush(); err != nil {
		t.Fatal(err)
	}
	parts, err := ck.parts()
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 2 {
		t.Fatalf("%d parts, want several", len(parts))
	}
	byID := aggregateRules(set)
	got := map[string][]rule.Event{}
	for _, p := range parts {
		if err := readPart(p.path, false, func(e *entry) error {
			for _, f := range e.Findings {
				if byID[f.RuleID] != nil {
					return fmt.Errorf("%s: a finding of aggregate rule %s stored in a part", e.URI, f.RuleID)
				}
			}
			evs, err := decodeEvents(e.Events, e.URI, byID)
			if err != nil {
				return err
			}
			got[e.URI] = append(got[e.URI], evs...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	kinds := map[string]int{}
	for uri, want := range rec.events {
		for _, e := range want {
			kinds[e.Rule.ID]++
			if e.Card != nil && e.Card[0] != "" {
				kinds["card"]++
			}
		}
		if !reflect.DeepEqual(got[uri], want) {
			t.Errorf("%s: events\n got %+v\nwant %+v", uri, got[uri], want)
		}
	}
	if len(got) != len(rec.events) {
		t.Errorf("events of %d objects stored, want %d", len(got), len(rec.events))
	}
	for _, k := range []string{"ck-new-terms", "ck-threshold", "ck-sequence", "card"} {
		if kinds[k] == 0 {
			t.Errorf("no %s events: the round trip proves little (%v)", k, kinds)
		}
	}
}

// collectWriter is a report.Writer that keeps every finding.
type collectWriter struct{ collect }

func (*collectWriter) Close() error { return nil }
func (*collectWriter) Abort() error { return nil }

// rows renders findings, every column, sorted.
func rows(fs []report.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%+v", f)
	}
	slices.Sort(out)
	return out
}

// TestCheckpointAggregateResume: a checkpointed scan interrupted part-way,
// resumed with half its objects failing, then resumed again, writes the
// aggregate findings of a clean run, details included, each once.
func TestCheckpointAggregateResume(t *testing.T) {
	set := ckAggSet(t)
	_, src := writeTree(t, ckAggTree(90))
	since := time.Date(2026, 11, 10, 0, 30, 0, 0, time.UTC)
	cfg := Config{Sources: []reader.Source{src}, Rules: set, Workers: 2, Concurrency: 4,
		Filter: reader.Filter{Since: since}, Ingested: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	var clean collect
	if _, err := Run(context.Background(), cfg, &clean); err != nil {
		t.Fatal(err)
	}
	perRule := map[string]int{}
	for _, f := range clean.fs {
		perRule[f.RuleID]++
	}
	for _, id := range []string{"ck-new-terms", "ck-threshold", "ck-sequence", "ck-query"} {
		if perRule[id] < 2 {
			t.Fatalf("clean run: %d findings of %s, want several (%v)", perRule[id], id, perRule)
		}
	}
	want := rows(clean.fs)

	dir := t.TempDir()
	m := Manifest{Window: Window{Since: since}}
	// Run 1: interrupted after 30 objects; its progress is committed.
	ck, err := OpenCheckpoint(dir, m, CheckpointOptions{BatchObjects: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c1 := cfg
	c1.Sources = []reader.Source{ck.Source(src)}
	c1.Progress = func(p Progress) {
		if p.Done >= 30 {
			cancel()
		}
	}
	if _, err := Run(ctx, c1, ck); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("run 1: %v, want interrupted", err)
	}
	cancel()
	if err := ck.Flush(); err != nil {
		t.Fatal(err)
	}
	// Run 2: half the reads fail; it finishes with those objects failed.
	ck.Close() // the killed run's lock is released by the kernel
	ck, err = OpenCheckpoint(dir, m, CheckpointOptions{Resume: true, BatchObjects: 4})
	if err != nil {
		t.Fatal(err)
	}
	if ck.Done() < 30 {
		t.Fatalf("run 2: %d objects done before it, want at least 30", ck.Done())
	}
	c2 := cfg
	c2.Sources = []reader.Source{ck.Source(reader.Faults(src, reader.FaultOptions{Reset: 0.5, Seed: 7}))}
	sum, err := Run(context.Background(), c2, ck)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Objects.Failed == 0 {
		t.Fatal("run 2: no object failed")
	}
	var w2 collectWriter
	if _, err := ck.Finish(&w2, sum, set, nil); err != nil {
		t.Fatal(err)
	}
	// Run 3 reads the failed objects; its output is the clean run's.
	ck.Close()
	ck, err = OpenCheckpoint(dir, m, CheckpointOptions{Resume: true, BatchObjects: 4})
	if err != nil {
		t.Fatal(err)
	}
	c3 := cfg
	c3.Sources = []reader.Source{ck.Source(src)}
	if sum, err = Run(context.Background(), c3, ck); err != nil {
		t.Fatal(err)
	}
	if sum.Objects.Scanned == 0 || sum.Objects.Scanned >= 90 {
		t.Fatalf("run 3 read %d objects, want the failed ones only", sum.Objects.Scanned)
	}
	var w3 collectWriter
	total, err := ck.Finish(&w3, sum, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := rows(w3.fs)
	if !slices.Equal(got, want) {
		t.Errorf("resumed output: %d findings, clean run %d", len(got), len(want))
		for _, r := range got {
			if !slices.Contains(want, r) {
				t.Errorf("extra: %s", r)
				break
			}
		}
		for _, r := range want {
			if !slices.Contains(got, r) {
				t.Errorf("missing: %s", r)
				break
			}
		}
	}
	if total.Findings != int64(len(want)) || total.Objects.Scanned != 90 {
		t.Errorf("total: %d findings, %d objects scanned; want %d and 90", total.Findings, total.Objects.Scanned, len(want))
	}
	t.Logf("findings per rule %v; objects read in run 3: %d", perRule, sum.Objects.Scanned)
}

// TestCheckpointOldVersion: a checkpoint of format 1 (no aggregate events)
// is refused with a message saying why; --force without --resume discards it.
func TestCheckpointOldVersion(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "parts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"version":1,"sources":["/logs"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "parts", "00000001.jsonl")
	if err := os.WriteFile(old, []byte(`{"uri":"/logs/a.json.gz","etag":"x"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []CheckpointOptions{{Resume: true}, {Resume: true, Force: true}, {}} {
		_, err := OpenCheckpoint(dir, Manifest{Sources: []string{"/logs"}}, opts)
		if !errors.Is(err, ErrCheckpointVersion) {
			t.Fatalf("%+v: %v, want ErrCheckpointVersion", opts, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "format 1") || !strings.Contains(msg, "aggregate") {
			t.Errorf("%+v: message %q does not say which format and why", opts, msg)
		}
	}
	ck, err := OpenCheckpoint(dir, Manifest{Sources: []string{"/logs"}}, CheckpointOptions{Force: true})
	if err != nil {
		t.Fatalf("--force: %v", err)
	}
	if ck.Done() != 0 {
		t.Errorf("--force kept %d objects of the old run", ck.Done())
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--force left the old part: %v", err)
	}
	if m, err := readManifest(dir); err != nil || m.Version != manifestVersion {
		t.Errorf("manifest after --force: %+v, %v", m, err)
	}
}

// aggMixRecord returns the k-th record of the aggregate tests' mix, by id at
// at: GetCallerIdentity from two addresses and now and then a third,
// GetObject of a new key, ListBuckets, DeleteBucket, and DescribeInstances
// otherwise.
func aggMixRecord(id gen.Identity, at time.Time, k int) gen.Record {
	var r gen.Record
	switch {
	case k%5 == 0:
		r = gen.Event(id, at, "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", "", "")
		r.SourceIPAddress = fmt.Sprintf("198.51.100.%d", k%2)
		if k%45 == 0 {
			r.SourceIPAddress = fmt.Sprintf("203.0.113.%d", k%200)
		}
	case k%3 == 0:
		r = gen.Event(id, at, "us-east-1", "s3.amazonaws.com", "GetObject", fmt.Sprintf(`{"bucketName":"b","key":"k%d"}`, k), "")
		r.SourceIPAddress = fmt.Sprintf("192.0.2.%d", k%7/5)
	case k%11 == 0:
		r = gen.Event(id, at, "us-east-1", "s3.amazonaws.com", "ListBuckets", "", "")
	case k%13 == 0:
		r = gen.Event(id, at, "us-east-1", "s3.amazonaws.com", "DeleteBucket", `{"bucketName":"b"}`, "")
	default:
		r = gen.Event(id, at, "us-east-1", "ec2.amazonaws.com", "DescribeInstances", "", "")
	}
	return r
}
