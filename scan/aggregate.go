package scan

import (
	"time"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// flushAggregate writes the findings of aggregate rules once every object
// has been committed, so that they do not depend on the order in which
// workers delivered records. A history-only scan writes nothing.
func flushAggregate(cfg Config, agg *rule.Aggregator, sum *report.Summary, byRule *report.RuleCounter, sink Sink) error {
	if cfg.HistoryOnly {
		return nil
	}
	sum.NewTerms = historySpans(agg)
	err := agg.Flush(func(d *rule.Decision) error {
		f, err := decisionFinding(d)
		if err != nil {
			return err
		}
		return writeFinding(sink, &f, sum, byRule)
	})
	sum.Spilled.Runs, sum.Spilled.Bytes = agg.Spilt()
	return err
}

// historySpans is the summary's account of agg's new_terms history.
func historySpans(agg *rule.Aggregator) []report.HistorySpan {
	var out []report.HistorySpan
	for _, h := range agg.HistorySpans() {
		out = append(out, report.HistorySpan{RuleID: h.Rule.ID, RuleName: h.Rule.Name, RuleSource: h.Rule.Source,
			Source: h.Source, HistoryFrom: h.HistoryFrom, DetectionFrom: h.DetectionFrom})
	}
	return out
}

// appendPayload appends to b the payload of an aggregate event: its
// finding, encoded, less the SourceURI the event carries as its Source.
func appendPayload(b []byte, f *report.Finding) []byte {
	g := *f
	g.SourceURI = ""
	return report.AppendFinding(b, &g)
}

// decisionFinding is the finding row of an aggregate rule's decision: the
// finding its event carried, with the decision's details.
func decisionFinding(d *rule.Decision) (report.Finding, error) {
	var f report.Finding
	if d.Payload == nil {
		// Only events that can be decided carry a payload (rule.Reducer);
		// should one without be decided, its row still names the rule and
		// the record.
		f = ruleFinding(d.Rule, bareFinding(reader.Object{URI: d.Source}, d.Time, d.Index))
	} else if err := report.DecodeFinding(d.Payload, &f); err != nil {
		return f, err
	}
	f.SourceURI, f.Details = d.Source, d.Details
	return f, nil
}

// bareFinding is the finding of a record whose columns are not known: its
// time and place.
func bareFinding(o reader.Object, t time.Time, index int64) report.Finding {
	return report.Finding{EventTime: t, SourceURI: o.URI, ObjectETag: o.ETag, RecordIndex: index}
}
