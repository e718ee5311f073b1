package ecs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// TestResetMembersEqualsReset: a record read member by member, from the
// key offsets the scanner's splitter reports, has every field the whole
// parse has, over the real CloudTrail datasets and the bundled sample.
func TestResetMembersEqualsReset(t *testing.T) {
	roots := logRoots(t)
	names := append(ecs.Names(),
		"aws.cloudtrail.flattened.request_parameters", "aws.cloudtrail.flattened.response_elements",
		"aws.cloudtrail.flattened.additional_eventdata", "aws.cloudtrail.flattened.service_event_details",
		"aws.cloudtrail.flattened.request_parameters.bucketName", "aws.cloudtrail.flattened.response_elements.credentials.accessKeyId")
	fields := make([]ecs.Field, len(names))
	for i, n := range names {
		fields[i] = ecs.Lookup(n)
	}
	rawPaths := [][]string{{"eventSource"}, {"userAgent"}, {"sourceIPAddress"}, {"errorCode"}, {"readOnly"}, {"eventVersion"}, {"userIdentity", "arn"}, {"userIdentity", "sessionContext", "sessionIssuer", "type"}, {"resources", "ARN"}, {"requestParameters"}, {}}
	whole := ecs.NewRecord(ecs.Options{})
	records := 0
	for _, c := range indexChoices() {
		lazy := ecs.NewRecord(ecs.Options{})
		n := equalMembers(t, roots, c.paths, lazy, whole, names, fields, rawPaths)
		records += n
		t.Logf("index %s: %d records, %d fields each: equal; %d reads parsed an object left out of the index", c.name, n, len(fields), lazy.Unindexed())
		if (c.paths == nil) != (lazy.Unindexed() == 0) {
			t.Errorf("index %s: %d reads of objects left out", c.name, lazy.Unindexed())
		}
	}
	if records == 0 {
		t.Fatal("no records read")
	}
}

// equalMembers reads every log under roots split with the index selection
// paths into lazy and whole, and fails on a field, raw path or view that
// differs. It returns how many records it read.
func equalMembers(t *testing.T, roots []string, paths *reader.IndexPaths, lazy, whole *ecs.Record, names []string, fields []ecs.Field, rawPaths [][]string) int {
	t.Helper()
	records := 0
	for _, log := range readLogs(t, roots) {
		f := log.name
		eachBoth(t, log, paths, lazy, whole, func() {
			records++
			for i, fl := range fields {
				if a, b := lazy.Values(fl), whole.Values(fl); !reflect.DeepEqual(a, b) {
					t.Fatalf("%s record %d: %s: members %v, whole %v", f, records, names[i], a, b)
				}
			}
			for _, p := range rawPaths {
				if a, b := rawTexts(lazy, p), rawTexts(whole, p); !reflect.DeepEqual(a, b) {
					t.Fatalf("%s record %d: raw %v: members %q, whole %q", f, records, p, a, b)
				}
			}
			for _, k := range []string{"requestParameters", "responseElements", "userIdentity", "eventName", "absent"} {
				if a, b := lazy.JSON(k), whole.JSON(k); a != b {
					t.Fatalf("%s record %d: JSON(%s): members %q, whole %q", f, records, k, a, b)
				}
			}
			keys := []string{"eventID", "eventName", "userAgent", "absent"}
			a, b := make([]string, len(keys)), make([]string, len(keys))
			lazy.StrViews(nil, keys, a)
			whole.StrViews(nil, keys, b)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s record %d: StrViews: members %q, whole %q", f, records, a, b)
			}
			if lazy.Err() != nil {
				t.Fatalf("%s record %d: %v", f, records, lazy.Err())
			}
		})
	}
	return records
}

// logFile is one log's name and decompressed bytes.
type logFile struct {
	name string
	body []byte
}

// readLogs reads every log under roots.
func readLogs(t *testing.T, roots []string) []logFile {
	t.Helper()
	var logs []logFile
	for _, root := range roots {
		files, err := gen.LogFiles(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			body, err := gen.ReadLog(f)
			if err != nil {
				t.Fatal(err)
			}
			logs = append(logs, logFile{name: f, body: body})
		}
	}
	return logs
}

// eachBoth splits log with the index selection paths and, for each record,
// resets lazy from the splitter's index and whole by a whole parse, fails
// unless both find it equally malformed, and calls fn.
func eachBoth(t *testing.T, log logFile, paths *reader.IndexPaths, lazy, whole *ecs.Record, fn func()) {
	t.Helper()
	d, err := reader.NewDecoder(bytes.NewReader(log.body), reader.DecodeOptions{Index: paths})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		raw, err := d.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, reader.ErrNotCloudTrail) {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", log.name, err)
		}
		if err := lazy.ResetMembers(raw, d.Index()); err != nil {
			t.Fatalf("%s record %d: ResetMembers: %v", log.name, i, err)
		}
		if err := whole.Reset(raw); err != nil {
			t.Fatalf("%s record %d: Reset: %v", log.name, i, err)
		}
		if a, b := ecs.MalformedReason(lazy.Malformed()), ecs.MalformedReason(whole.Malformed()); a != b {
			t.Fatalf("%s record %d: Malformed: members %q, whole %q", log.name, i, a, b)
		}
		fn()
	}
}

func rawTexts(r *ecs.Record, path []string) []string {
	var out []string
	r.RawValues(path, func(v ecs.RawValue) bool {
		f, ok := v.Float()
		out = append(out, fmt.Sprint(v.Kind(), v.Text(), v.TextView(), f, ok))
		return true
	})
	return out
}

// TestEventTimeFastPath: the fast parse of CloudTrail's time form agrees
// with time.Parse on valid and invalid stamps alike.
func TestEventTimeFastPath(t *testing.T) {
	check := checkEventTime(t, ecs.NewRecord(ecs.Options{}))
	for _, s := range []string{
		"2024-01-05T00:00:00Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
		"2024-00-10T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-05T24:00:00Z", "2024-01-05T00:60:00Z",
		"2024-01-05T00:00:60Z", "2024-01-05T00:00:00z", "2024-01-05 00:00:00Z", "2024-1-05T00:00:00Z",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-01-05T00:00:00.5Z", "2024-01-05T01:00:00+01:00",
		"+024-01-05T00:00:00Z", "2024-01-0xT00:00:00Z", "", "x",
	} {
		check(s)
	}
	// Every day (and the 29th to 32nd of every month) of years around the
	// leap-year rules and the ends of the four-digit range.
	for _, y := range []int{0, 1, 3, 4, 99, 100, 400, 1600, 1700, 1900, 1969, 1970, 1971, 2000, 2023, 2024, 2100, 2400, 9999} {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= 32; d++ {
				check(fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (y+d)%24, (m*7)%60, (d*13)%60))
			}
		}
	}
}

func checkEventTime(t *testing.T, rec *ecs.Record) func(string) {
	return func(s string) {
		raw := []byte(`{"eventTime":"` + s + `"}`)
		if err := rec.Reset(raw); err != nil {
			t.Fatal(err)
		}
		got, ok := rec.EventTime()
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok != (err == nil) || (ok && !got.Equal(want.UTC())) || (ok && got.Location() != time.UTC) {
			t.Errorf("%q: EventTime %v %v; time.Parse %v %v", s, got, ok, want, err)
		}
	}
}

// TestFlattenedBound: the view keeps a short object under
// aws.cloudtrail.flattened without printing its HashMap string, trusting
// that the string is at most four times the object's JSON plus 16. Numbers
// grow the most (5 prints 5.0, 1e400 Infinity) and ", " separates elements.
func TestFlattenedBound(t *testing.T) {
	field := ecs.Lookup("aws.cloudtrail.request_parameters")
	rec := ecs.NewRecord(ecs.Options{})
	for _, obj := range []string{
		`{"a":[1,1,1,1,1,1,1,1,1,1,1,1],"b":1e400,"c":-1e400,"d":5,"e":[0,0,0],"f":-0,"g":1E-7}`,
		`{"a":[[0],[0],[0]],"b":{"c":{"d":0}},"e":[true,false]}`, `{"x":1e9}`, `{"n":[1e400,-1e400,1e400]}`,
	} {
		raw := []byte(`{"eventVersion":"1.08","requestParameters":` + obj + `}`)
		if err := rec.Reset(raw); err != nil {
			t.Fatal(err)
		}
		vs := rec.Values(field)
		if len(vs) != 1 {
			t.Fatalf("%s: %v", obj, vs)
		}
		if n := len(utf16.Encode([]rune(vs[0].S))); n > 4*len(obj)+16 {
			t.Errorf("%s prints %q: %d UTF-16 units, more than 4×%d+16", obj, vs[0].S, n, len(obj))
		}
	}
}

// TestWalkInner: a path into the object a record's last path entered
// (walk remembers it) reads what a fresh Record reads, whatever the record
// before held there: userIdentity as an object, an empty object, a string,
// an array, absent, duplicated, or with its keys escaped.
func TestWalkInner(t *testing.T) {
	records := []string{
		`{"userIdentity":{"type":"IAMUser","userName":"alice","accessKeyId":"AKIA1"},"eventName":"A"}`,
		`{"userIdentity":{},"eventName":"B"}`,
		`{"userIdentity":"IAMUser","eventName":"C"}`,
		`{"userIdentity":[{"type":"Root"}],"eventName":"D"}`,
		`{"eventName":"E"}`,
		`{"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"userName":"role","arn":"arn:aws:iam::1:role/x"}}}}`,
		`{"userIdentity":{"type":"first"},"userIdentity":{"type":"second","userName":"bob"}}`,
		`{"userIdentity":{"t\u0079pe":"escaped","userName":"carol"}}`,
		`{"tlsDetails":{"tlsVersion":"TLSv1.3"},"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/dan"}}`,
	}
	paths := [][]string{{"userIdentity", "type"}, {"userIdentity", "userName"}, {"tlsDetails", "tlsVersion"},
		{"userIdentity", "sessionContext", "sessionIssuer", "userName"}, {"userIdentity", "accessKeyId"},
		{"userIdentity"}, {"userIdentity", "sessionContext", "sessionIssuer", "arn"}, {"userIdentity", "arn"}, {"eventName"}}
	names := []string{"user.name", "aws.cloudtrail.user_identity.type", "aws.cloudtrail.user_identity.access_key_id",
		"aws.cloudtrail.user_identity.arn", "tls.version", "service.name", "user.id"}
	body := `{"Records":[` + strings.Join(records, ",") + `]}`
	d, err := reader.NewDecoder(strings.NewReader(body), reader.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	shared := ecs.NewRecord(ecs.Options{})
	for i := range records {
		raw, err := d.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		idx := d.Index()
		if err := shared.ResetMembers(raw, idx); err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			fresh := ecs.NewRecord(ecs.Options{})
			if err := fresh.ResetMembers(raw, idx); err != nil {
				t.Fatal(err)
			}
			got, gotKnown := shared.StrViewKnown(p...)
			want, wantKnown := fresh.StrViewKnown(p...)
			if got != want || gotKnown != wantKnown {
				t.Errorf("record %d: %v: %q %v, fresh record %q %v", i, p, got, gotKnown, want, wantKnown)
			}
			if got, want := rawTexts(shared, p), rawTexts(fresh, p); !reflect.DeepEqual(got, want) {
				t.Errorf("record %d: raw %v: %q, fresh record %q", i, p, got, want)
			}
		}
		whole := ecs.NewRecord(ecs.Options{})
		if err := whole.Reset(raw); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			f := ecs.Lookup(n)
			if got, want := shared.Values(f), whole.Values(f); !reflect.DeepEqual(got, want) {
				t.Errorf("record %d: %s: %v, whole parse %v", i, n, got, want)
			}
		}
	}
}
