package scan

import (
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/report"
)

// newTuningStats returns the summary's tuning section for t, every count
// zero.
func newTuningStats(t *rule.Tuning) *report.TuningStats {
	ts := &report.TuningStats{}
	for _, x := range t.Excludes {
		ts.Excludes = append(ts.Excludes, report.TuningCount{Query: x.Query, Origin: "--exclude"})
	}
	for _, x := range t.Exceptions {
		ts.Exceptions = append(ts.Exceptions, report.TuningCount{Rule: x.Rule, Query: x.Query, Reason: x.Reason, Origin: x.Origin})
	}
	return ts
}

// countTuned adds one object's tuning hits to ts, and the matches the
// exceptions dropped to suppressed, by rule.
func countTuned(ts *report.TuningStats, suppressed *report.RuleCounter, hits []tuneHit) {
	for _, h := range hits {
		if h.rule == nil {
			ts.Excluded++
			ts.Excludes[h.index].Count++
			continue
		}
		ts.Suppressed++
		ts.Exceptions[h.index].Count++
		suppressed.Add(&report.Finding{RuleID: h.rule.ID, RuleName: h.rule.Name, RuleSource: h.rule.Source})
	}
}
