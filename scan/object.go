package scan

import (
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// ObjectSink is a Sink that is also told when an object's findings are
// all written: the writer calls Object after the Write calls of each
// object that was read or failed (never for skipped objects), from the
// same goroutine. A checkpoint uses it to commit each object together with
// its findings.
//
// An ObjectSink also decides the aggregate rules (new_terms, threshold, EQL
// sequences): Run hands it each object's aggregate events in
// ObjectResult.Events instead of adding them to Config.Aggregator, and
// writes no aggregate findings itself. A Checkpoint keeps the events with
// their object's entry and decides the rules in Finish, over the events of
// every run, so a resumed run's aggregate findings are a clean run's.
type ObjectSink interface {
	Sink
	Object(r ObjectResult) error
}

// ObjectResult is the account of one object that was read or failed.
type ObjectResult struct {
	Object   reader.Object
	Failure  *report.ObjectFailure // nil when the object was read completely
	BytesIn  int64                 // stored bytes fetched
	BytesOut int64                 // bytes after decompression
	Records  report.RecordStats
	Findings int64
	Events   []rule.Event // selected by aggregate rules; valid, payloads included, only during the call
}

// failure describes an object's error for the summary.
func failure(o reader.Object, err error) report.ObjectFailure {
	return report.ObjectFailure{URI: o.URI, Reason: reader.Redact(err.Error()), Kind: reader.ErrorKind(err)}
}
