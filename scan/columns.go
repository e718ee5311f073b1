package scan

import (
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// The raw-record string columns of a finding, read in two passes (the top
// level and userIdentity) with ecs.Record.StrViews; topDst and userDst say
// where each goes.
var (
	topKeys = []string{"eventID", "eventSource", "eventName", "awsRegion", "recipientAccountId",
		"sourceIPAddress", "userAgent", "errorCode", "errorMessage"}
	topDst = []func(f *report.Finding) *string{
		func(f *report.Finding) *string { return &f.EventID },
		func(f *report.Finding) *string { return &f.EventSource },
		func(f *report.Finding) *string { return &f.EventName },
		func(f *report.Finding) *string { return &f.AWSRegion },
		func(f *report.Finding) *string { return &f.AccountID },
		func(f *report.Finding) *string { return &f.SourceIP },
		func(f *report.Finding) *string { return &f.UserAgent },
		func(f *report.Finding) *string { return &f.ErrorCode },
		func(f *report.Finding) *string { return &f.ErrorMessage },
	}
	userPath = []string{"userIdentity"}
	userKeys = []string{"type", "arn", "accessKeyId"}
	userDst  = []func(f *report.Finding) *string{
		func(f *report.Finding) *string { return &f.UserIdentityType },
		func(f *report.Finding) *string { return &f.UserARN },
		func(f *report.Finding) *string { return &f.AccessKeyID },
	}
)

// columnDst is topDst then userDst, in the order of the views.
var columnDst = append(append([]func(f *report.Finding) *string(nil), topDst...), userDst...)

// jsonColumns are the compact-JSON columns.
var jsonColumns = []struct {
	key string
	dst func(f *report.Finding) *string
}{
	{"requestParameters", func(f *report.Finding) *string { return &f.RequestParameters }},
	{"responseElements", func(f *report.Finding) *string { return &f.ResponseElements }},
}

// recordColumns builds the columns of a finding that come from the record,
// not the rule. The text columns share one allocation: the bytes are
// gathered in w.cols and copied into a single string once.
func (w *worker) recordColumns(o reader.Object, t time.Time, index int64) report.Finding {
	rec := w.rec
	f := report.Finding{EventTime: t, SourceURI: o.URI, ObjectETag: o.ETag, RecordIndex: index}
	var views [16]string
	rec.StrViews(nil, topKeys, views[:len(topKeys)])
	rec.StrViews(userPath, userKeys, views[len(topKeys):])
	dsts := columnDst
	var ends [16]int
	b := w.cols[:0]
	for i, v := range views[:len(dsts)] {
		b = append(b, v...)
		ends[i] = len(b)
	}
	n := len(dsts)
	for i, c := range jsonColumns {
		b = rec.AppendJSON(b, c.key)
		ends[n+i] = len(b)
	}
	w.cols = b
	if len(b) > 0 {
		all := string(b)
		start := 0
		for i, dst := range dsts {
			*dst(&f) = all[start:ends[i]]
			start = ends[i]
		}
		for i, c := range jsonColumns {
			*c.dst(&f) = all[start:ends[n+i]]
			start = ends[n+i]
		}
	}
	if v := rec.Values(w.user); len(v) > 0 {
		f.UserName = strings.Clone(v[0].S) // Values shares the record's bytes until the next Reset
	}
	if w.cfg.Raw {
		f.Raw = string(rec.Raw())
	}
	return f
}
