package rule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// BenchmarkESQL measures the per-record cost of ES|QL rules in a scan
// worker: matching (the commands before STATS) and the Reducer's events
// (STATS inputs folded into each object's partial groups), over records of
// gen.Bulk objects already decoded, against "none", the same loop with no
// rule. "all" runs every ES|QL rule of ../shared/rules/elastic-aws; the
// rule that costs most per record on the bench trees runs alone. SetBytes
// counts the records' JSON.
func BenchmarkESQL(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "tree")
	datasets, err := gen.SharedPath("datasets")
	if err != nil {
		datasets = ""
	}
	if _, err := gen.Bulk(dir, gen.BulkOptions{Bytes: 4 << 20, Seed: 1, Datasets: datasets}); err != nil {
		b.Fatal(err)
	}
	var objs [][][]byte // records per object
	var size int64
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		dec, err := reader.NewDecoder(f, reader.DecodeOptions{})
		if err != nil {
			return err
		}
		var recs [][]byte
		for {
			raw, err := dec.Next()
			if err != nil {
				break
			}
			recs = append(recs, append([]byte(nil), raw...))
			size += int64(len(raw))
		}
		objs = append(objs, recs)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	rulesDir := gen.SharedDir(b, "rules", "elastic-aws")
	loaded, errs := Load([]string{rulesDir})
	if len(errs) > 0 {
		b.Logf("%d rules did not load: %v", len(errs), errs[0])
	}
	var esqlRules []*Rule
	for _, r := range loaded {
		if r.Runnable() && r.agg != nil && r.agg.kind == aggESQL {
			esqlRules = append(esqlRules, r)
		}
	}
	run := func(b *testing.B, rules []*Rule) {
		set, err := NewSet(rules)
		if err != nil {
			b.Fatal(err)
		}
		l := set.Local()
		rec := ecs.NewRecord(ecs.Options{})
		x := NewReducer(nil, benchKeeper{}, false)
		var matched []*Rule
		var evs []Event
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, recs := range objs {
				x.Begin("bench", evs)
				for i, raw := range recs {
					if rec.Reset(raw) != nil {
						continue
					}
					t, _ := rec.EventTime()
					matched = l.MatchRecord(rec, matched[:0])
					for _, r := range matched {
						x.Add(r, rec, t, int64(i))
					}
				}
				evs = x.End()
			}
		}
	}
	b.Run("none", func(b *testing.B) { run(b, nil) })
	b.Run("all", func(b *testing.B) { run(b, esqlRules) })
	for _, r := range esqlRules {
		if strings.HasSuffix(r.Path, "persistence_iam_user_self_created_access_key_subsequently_used.toml") {
			b.Run("self-created-key", func(b *testing.B) { run(b, []*Rule{r}) })
		}
	}
}

// benchKeeper stands for a scan worker: payloads of a few bytes, records
// kept by nothing.
type benchKeeper struct{}

func (benchKeeper) Payload(*Rule) []byte        { return []byte("payload") }
func (benchKeeper) EventID() string             { return "id" }
func (benchKeeper) Keep() any                   { return true }
func (benchKeeper) PayloadOf(*Rule, any) []byte { return []byte("payload") }

var _ Keeper = benchKeeper{}
