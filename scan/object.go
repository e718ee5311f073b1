package scan

import (
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// ObjectSink is a Sink that is also told when an object's findings are
// all written: the writer calls Object after the Write calls of each
// object that was read or failed (never for skipped objects), from the
// same goroutine. A checkpoint uses it to commit each object together with
// its findings.
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
}

// failure describes an object's error for the summary.
func failure(o reader.Object, err error) report.ObjectFailure {
	return report.ObjectFailure{URI: o.URI, Reason: err.Error(), Kind: reader.ErrorKind(err)}
}
