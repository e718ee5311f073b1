package ecs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStrViewsAgreeWithStr(t *testing.T) {
	raws := [][]byte{
		[]byte(`{"eventID":"a","eventName":"X","userIdentity":{"type":"IAMUser","arn":"arn:1","accessKeyId":7}}`),
		[]byte(`{"eventID":1,"eventID":"late","eventName":"","eventName":"late","awsRegion":null,"userIdentity":"str"}`),
		[]byte(`{"eventID":"first","eventID":"second","userIdentity":{"arn":"a","arn":"b"}}`),
		[]byte(`{}`),
		[]byte(`[1]`),
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "create-event-source-mapping.json")); err == nil {
		raws = append(raws, b)
	}
	top := []string{"eventID", "eventSource", "eventName", "awsRegion", "recipientAccountId", "sourceIPAddress", "userAgent", "errorCode", "userIdentity"}
	sub := []string{"type", "arn", "accessKeyId", "missing"}
	r := NewRecord(Options{})
	for _, raw := range raws {
		_ = r.Reset(raw)
		got := make([]string, len(top))
		r.StrViews(nil, top, got)
		for i, k := range top {
			if want := r.Str(k); got[i] != want {
				t.Errorf("%s: StrViews %s = %q, Str %q", raw, k, got[i], want)
			}
		}
		got = make([]string, len(sub))
		r.StrViews([]string{"userIdentity"}, sub, got)
		for i, k := range sub {
			if want := r.Str("userIdentity", k); got[i] != want {
				t.Errorf("%s: StrViews userIdentity.%s = %q, Str %q", raw, k, got[i], want)
			}
		}
	}
}
