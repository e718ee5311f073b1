package rule

import (
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// BenchmarkSetMatch measures matching the Elastic corpus plus the built-in
// rules over the dataset records through the index, against the baseline of
// evaluating every runnable rule. Both include building the ECS view.
func BenchmarkSetMatch(b *testing.B) {
	loaded, errs := Load([]string{gen.SharedDir(b, "rules", "elastic-aws")})
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	builtin, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSet(Overlay(builtin, loaded))
	if err != nil {
		b.Fatal(err)
	}
	raws := records(b)
	var size int64
	for _, r := range raws {
		size += int64(len(r))
	}
	provider, action := ecs.Lookup("event.provider"), ecs.Lookup("event.action")
	run := func(b *testing.B, indexed bool) {
		rec := ecs.NewRecord(ecs.Options{})
		var buf []*Rule
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, raw := range raws {
				if err := rec.Reset(raw); err != nil {
					b.Fatal(err)
				}
				if indexed {
					buf = s.Match(rec, first(rec.Values(provider)), first(rec.Values(action)), buf[:0])
					continue
				}
				buf = buf[:0]
				for _, r := range s.Runnable() {
					if r.Match(rec) {
						buf = append(buf, r)
					}
				}
			}
		}
	}
	b.Run("index", func(b *testing.B) { run(b, true) })
	b.Run("brute", func(b *testing.B) { run(b, false) })
}
