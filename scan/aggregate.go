package scan

import (
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/report"
)

// flushAggregate writes the findings of aggregate rules once every object
// has been committed, so that they do not depend on the order in which
// workers delivered records. A history-only scan writes nothing.
func flushAggregate(cfg Config, agg *rule.Aggregator, sum *report.Summary, byRule *report.RuleCounter, sink Sink) error {
	if cfg.HistoryOnly {
		return nil
	}
	sum.NewTerms = agg.HistorySpans()
	err := agg.Flush(func(f *report.Finding) error { return writeFinding(sink, f, sum, byRule) })
	sum.Spilled.Runs, sum.Spilled.Bytes = agg.Spilt()
	return err
}
