//go:build bench

package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
)

// countPayloader builds no payload: TestEvents only counts.
type countPayloader struct{}

func (countPayloader) Payload(*rule.Rule) []byte { return []byte{} }
func (countPayloader) EventID() string           { return "" }

// TestEvents prints, per aggregate rule of ../shared/rules (BENCH_RULES,
// as TestProfile) over BENCH_TREE, the records it matched, the events
// they give one by one (EventsAt) and the events a scan worker's Reducer
// hands the Aggregator (ES|QL: one per object, group and segment of time):
//
//	BENCH_RULES=elastic-aws BENCH_TREE=.cache/bench/span-10d-seed1 go test -tags bench -run '^TestEvents$' -v ./internal/bench
func TestEvents(t *testing.T) {
	tree := os.Getenv("BENCH_TREE")
	if tree == "" {
		t.Skip("BENCH_TREE is not set")
	}
	set := profileRules(t)
	files, err := Files(tree)
	if err != nil {
		t.Fatal(err)
	}
	type count struct{ matched, events, reduced int }
	counts := map[*rule.Rule]*count{}
	rec := ecs.NewRecord(ecs.Options{})
	local := set.Local()
	red := rule.NewReducer(nil, countPayloader{}, false)
	var match []*rule.Rule
	var evs []rule.Event
	for _, f := range files {
		b, err := gen.ReadLog(f)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := reader.NewDecoder(bytes.NewReader(b), reader.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		red.Begin(f, nil)
		for index := int64(0); ; index++ {
			raw, err := dec.Next()
			if err != nil {
				break
			}
			if rec.ResetMembers(raw, dec.Index()) != nil || rec.Malformed() != nil {
				continue
			}
			at, _ := rec.EventTime()
			match = local.MatchRecord(rec, match[:0])
			for _, r := range match {
				if !r.Aggregate() {
					continue
				}
				c := counts[r]
				if c == nil {
					c = &count{}
					counts[r] = c
				}
				c.matched++
				evs = r.EventsAt(rec, at, false, evs[:0])
				c.events += len(evs)
				red.Add(r, rec, at, index)
			}
		}
		for _, e := range red.End() {
			counts[e.Rule].reduced++
		}
	}
	var rs []*rule.Rule
	for r := range counts {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return counts[rs[i]].events > counts[rs[j]].events })
	for _, r := range rs {
		c := counts[r]
		t.Logf("%-10s %8d matched %8d events %8d reduced  %s", r.Type, c.matched, c.events, c.reduced, filepath.Base(r.Path))
	}
}
