package scan

import (
	"bytes"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// recordColumns gives what reading each column with Str and JSON gives.
func TestRecordColumns(t *testing.T) {
	w := newWorker(Config{})
	o := reader.Object{URI: "s3://b/k", ETag: "e"}
	n := 0
	files := append(gen.Sample().Files, gen.File{Key: "extra", Body: []byte(`{"Records":[{"eventTime":"2026-11-01T00:00:00Z","eventID":7,"eventName":"","userIdentity":{"arn":"a","arn":"b"},"requestParameters":null,"responseElements":{"x":[1,"\n"]}}]}`)})
	for _, f := range files {
		dec, err := reader.NewDecoder(bytes.NewReader(f.Body), reader.DecodeOptions{})
		if err != nil {
			continue
		}
		for {
			raw, err := dec.Next()
			if err != nil {
				break
			}
			if w.rec.Reset(raw) != nil {
				continue
			}
			rec := w.rec
			tm := time.Unix(int64(n), 0)
			got := w.recordColumns(o, tm, int64(n))
			want := report.Finding{
				EventTime: tm, EventID: rec.Str("eventID"), EventSource: rec.Str("eventSource"), EventName: rec.Str("eventName"),
				AWSRegion: rec.Str("awsRegion"), AccountID: rec.Str("recipientAccountId"),
				UserIdentityType: rec.Str("userIdentity", "type"), UserARN: rec.Str("userIdentity", "arn"),
				AccessKeyID: rec.Str("userIdentity", "accessKeyId"), SourceIP: rec.Str("sourceIPAddress"),
				UserAgent: rec.Str("userAgent"), ErrorCode: rec.Str("errorCode"), ErrorMessage: rec.Str("errorMessage"),
				RequestParameters: rec.JSON("requestParameters"), ResponseElements: rec.JSON("responseElements"),
				SourceURI: o.URI, ObjectETag: o.ETag, RecordIndex: int64(n),
			}
			if v := rec.Values(w.user); len(v) > 0 {
				want.UserName = v[0].S
			}
			if got.EventTime != want.EventTime || !equalFinding(got, want) {
				t.Errorf("%s:\ngot  %+v\nwant %+v", raw, got, want)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("only %d records checked", n)
	}
}

func equalFinding(a, b report.Finding) bool {
	a.EventTime, b.EventTime = time.Time{}, time.Time{}
	return a.EventID == b.EventID && a.EventSource == b.EventSource && a.EventName == b.EventName &&
		a.AWSRegion == b.AWSRegion && a.AccountID == b.AccountID && a.UserIdentityType == b.UserIdentityType &&
		a.UserARN == b.UserARN && a.AccessKeyID == b.AccessKeyID && a.SourceIP == b.SourceIP &&
		a.UserAgent == b.UserAgent && a.ErrorCode == b.ErrorCode && a.ErrorMessage == b.ErrorMessage &&
		a.RequestParameters == b.RequestParameters && a.ResponseElements == b.ResponseElements &&
		a.SourceURI == b.SourceURI && a.ObjectETag == b.ObjectETag && a.RecordIndex == b.RecordIndex && a.UserName == b.UserName
}
