package scan

import (
	"time"

	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// stringColumns are the raw-record string columns of a finding: the record
// path each comes from and where it goes.
var stringColumns = []struct {
	path []string
	dst  func(f *report.Finding) *string
}{
	{[]string{"eventID"}, func(f *report.Finding) *string { return &f.EventID }},
	{[]string{"eventSource"}, func(f *report.Finding) *string { return &f.EventSource }},
	{[]string{"eventName"}, func(f *report.Finding) *string { return &f.EventName }},
	{[]string{"awsRegion"}, func(f *report.Finding) *string { return &f.AWSRegion }},
	{[]string{"recipientAccountId"}, func(f *report.Finding) *string { return &f.AccountID }},
	{[]string{"userIdentity", "type"}, func(f *report.Finding) *string { return &f.UserIdentityType }},
	{[]string{"userIdentity", "arn"}, func(f *report.Finding) *string { return &f.UserARN }},
	{[]string{"userIdentity", "accessKeyId"}, func(f *report.Finding) *string { return &f.AccessKeyID }},
	{[]string{"sourceIPAddress"}, func(f *report.Finding) *string { return &f.SourceIP }},
	{[]string{"userAgent"}, func(f *report.Finding) *string { return &f.UserAgent }},
	{[]string{"errorCode"}, func(f *report.Finding) *string { return &f.ErrorCode }},
	{[]string{"errorMessage"}, func(f *report.Finding) *string { return &f.ErrorMessage }},
}

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
	var ends [16]int
	b := w.cols[:0]
	for i, c := range stringColumns {
		b = append(b, rec.StrView(c.path...)...)
		ends[i] = len(b)
	}
	n := len(stringColumns)
	for i, c := range jsonColumns {
		b = rec.AppendJSON(b, c.key)
		ends[n+i] = len(b)
	}
	w.cols = b
	if len(b) > 0 {
		all := string(b)
		start := 0
		for i, c := range stringColumns {
			*c.dst(&f) = all[start:ends[i]]
			start = ends[i]
		}
		for i, c := range jsonColumns {
			*c.dst(&f) = all[start:ends[n+i]]
			start = ends[n+i]
		}
	}
	if v := rec.Values(w.user); len(v) > 0 {
		f.UserName = v[0].S
	}
	if w.cfg.Raw {
		f.Raw = string(rec.Raw())
	}
	return f
}
