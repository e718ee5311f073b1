package reader_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/reader"
)

// TestIndexPaths: with a selection, the objects of the record it names are
// indexed whole as without one, an object of the record it leaves out is
// marked IndexSkipped and its members are not listed, and a record that is
// bad inside an object left out is refused as without a selection; with
// the AVX2 string scan and without it (the portable path).
func TestIndexPaths(t *testing.T) {
	for _, sb := range []bool{false, true} {
		t.Run(map[bool]string{false: "swar", true: "avx2"}[sb], func(t *testing.T) {
			defer reader.SetStopBits(reader.SetStopBits(sb))
			testIndexPaths(t)
		})
	}
}

func testIndexPaths(t *testing.T) {
	sel := reader.NewIndexPaths()
	sel.Add([]string{"userIdentity", "sessionContext"})
	sel.Add([]string{"responseElements"})
	rec := `{"eventName":"x","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"arn":"a"},"attributes":{}}},` +
		`"requestParameters":{"a":{"b":1},"c":[{"d":2}]},"responseElements":{"e":{"f":{"g":3}}},"tlsDetails":{}}`
	keys := func(opts reader.DecodeOptions) (map[string]int32, int) {
		d, err := reader.NewDecoder(strings.NewReader(`{"Records":[`+rec+`]}`), opts)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		idx := d.Index()
		out := map[string]int32{}
		for e := 0; e < len(idx)/reader.IndexWidth; e++ {
			k := int(idx[e*reader.IndexWidth+reader.IndexKey] &^ reader.IndexEscaped)
			c := int(idx[e*reader.IndexWidth+reader.IndexColon])
			out[string(raw[k+1:c-1])] = idx[e*reader.IndexWidth+reader.IndexChild]
		}
		return out, len(idx) / reader.IndexWidth
	}
	all, nAll := keys(reader.DecodeOptions{})
	got, n := keys(reader.DecodeOptions{Index: sel})
	if nAll != 16 || n != 13 {
		t.Errorf("%d members indexed with the selection, %d without; want 13 and 16", n, nAll)
	}
	for _, k := range []string{"eventName", "userIdentity", "type", "sessionContext", "sessionIssuer", "arn", "attributes", "requestParameters", "responseElements", "e", "f", "g", "tlsDetails"} {
		if _, ok := got[k]; !ok {
			t.Errorf("member %s not indexed", k)
		}
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := got[k]; ok {
			t.Errorf("member %s indexed, though its object is left out", k)
		}
	}
	for k, want := range map[string]int32{"attributes": -1, "requestParameters": reader.IndexSkipped, "tlsDetails": reader.IndexSkipped, "eventName": -1} {
		if got[k] != want {
			t.Errorf("%s: IndexChild %d, want %d", k, got[k], want)
		}
	}
	if all["attributes"] != -1 || all["requestParameters"] < 0 {
		t.Errorf("without a selection: attributes %d (an empty object: -1), requestParameters %d", all["attributes"], all["requestParameters"])
	}

	for _, bad := range []struct{ rec, why string }{
		{`{"requestParameters":{"a":{"b":01}}}`, "bad number"},
		{`{"requestParameters":{"a":{"b":"\x01"}}}`, "control character"},
		{`{"tlsDetails":{"a" "b"}}`, "missing colon"},
		{"{\"requestParameters\":{\"a\":\"\xff\"}}", "invalid UTF-8"},
	} {
		_, soft, err := decodeAll(t, strings.NewReader(`{"Records":[`+bad.rec+`]}`), reader.DecodeOptions{Index: sel})
		_, soft0, err0 := decodeAll(t, strings.NewReader(`{"Records":[`+bad.rec+`]}`), reader.DecodeOptions{})
		if err != nil || len(soft) != 1 || !reflect.DeepEqual(soft, soft0) || !errors.Is(err0, err) {
			t.Errorf("%s: with the selection %v %v; without %v %v", bad.why, soft, err, soft0, err0)
		}
	}
}
