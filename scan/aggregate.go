package scan

import (
	"fmt"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/report"
)

// flushAggregate writes the findings of aggregate rules once every object
// has been committed, so that they do not depend on the order in which
// workers delivered records. A history-only scan writes nothing.
func flushAggregate(cfg Config, agg *rule.Aggregator, sum *report.Summary, byRule map[string]*report.RuleCount, sink Sink) error {
	if cfg.HistoryOnly {
		return nil
	}
	fs := agg.Flush()
	for i := range fs {
		f := &fs[i]
		if err := sink.Write(f); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
		sum.Findings++
		c := byRule[f.RuleSource+":"+f.RuleID]
		if c == nil {
			c = &report.RuleCount{RuleID: f.RuleID, RuleName: f.RuleName}
			byRule[f.RuleSource+":"+f.RuleID] = c
		}
		c.Count++
	}
	return nil
}
