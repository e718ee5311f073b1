package rule

import (
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// BenchmarkSigmaMatch measures evaluating every runnable Sigma rule of
// ../shared/rules/sigma-aws over the dataset records (no index: each rule
// sees each record), ECS view included.
func BenchmarkSigmaMatch(b *testing.B) {
	loaded, _ := Load([]string{gen.SharedDir(b, "rules", "sigma-aws")})
	var rules []*Rule
	for _, r := range loaded {
		if r.Runnable() {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		b.Skip("no runnable Sigma rule")
	}
	raws := records(b)
	var size int64
	for _, r := range raws {
		size += int64(len(r))
	}
	rec := ecs.NewRecord(ecs.Options{})
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, raw := range raws {
			if err := rec.Reset(raw); err != nil {
				b.Fatal(err)
			}
			for _, r := range rules {
				if r.Match(rec) {
					n++
				}
			}
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "matches/op")
}
