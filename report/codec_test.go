package report

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

// fullFinding returns a finding with every field set to a value that differs
// from field to field, strings holding invalid UTF-8 and NULs. It fills the
// fields by reflection, so that a field added to Finding and forgotten by
// the codec fails the round trip.
func fullFinding(t testing.TB) Finding {
	t.Helper()
	var f Finding
	v := reflect.ValueOf(&f).Elem()
	for i := range v.NumField() {
		fv, name := v.Field(i), v.Type().Field(i).Name
		switch fv.Interface().(type) {
		case string:
			fv.SetString(name + "\xff\xfe\x00é\xc3")
		case int64:
			fv.SetInt(-int64(i) * 1e15)
		case []string:
			fv.Set(reflect.ValueOf([]string{name, "", "\x80\x00"}))
		case time.Time:
			fv.Set(reflect.ValueOf(time.Date(2026, 3, 1, 12, 34, 56, 789012345, time.FixedZone("X", 3600))))
		default:
			t.Fatalf("field %s of type %s: teach fullFinding to fill it", name, fv.Type())
		}
	}
	return f
}

// normalisedTime returns f with its EventTime as DecodeFinding returns
// it: UTC, no monotonic reading, zero when zero.
func normalisedTime(f Finding) Finding {
	if f.EventTime.IsZero() {
		f.EventTime = time.Time{}
	} else {
		f.EventTime = f.EventTime.UTC()
	}
	return f
}

func TestFindingCodecRoundTrip(t *testing.T) {
	full := fullFinding(t)
	with := func(change func(f *Finding)) Finding {
		f := fullFinding(t)
		change(&f)
		return f
	}
	tests := []struct {
		name string
		f    Finding
	}{
		{"every field", full},
		{"empty", Finding{}},
		{"empty lists stay empty, not nil", Finding{Tactics: []string{}, Techniques: []string{}}},
		{"nil and empty list", with(func(f *Finding) { f.Tactics, f.Techniques = nil, []string{} })},
		{"list of one empty string", Finding{Tactics: []string{""}}},
		{"invalid UTF-8", Finding{RuleID: "\xff", Details: "{\"a\":\"\xc3\x28\"}", Raw: string([]byte{0xed, 0xa0, 0x80})}},
		{"zero time", with(func(f *Finding) { f.EventTime = time.Time{} })},
		{"zero time in a zone", with(func(f *Finding) { f.EventTime = time.Time{}.In(time.FixedZone("Y", -7200)) })},
		{"a nanosecond after the zero time", with(func(f *Finding) { f.EventTime = time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC) })},
		{"before year 1", with(func(f *Finding) { f.EventTime = time.Date(-40, 6, 1, 0, 0, 0, 5, time.UTC) })},
		{"before 1970", with(func(f *Finding) { f.EventTime = time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC) })},
		{"unix epoch", with(func(f *Finding) { f.EventTime = time.Unix(0, 0) })},
		{"year 9999", with(func(f *Finding) { f.EventTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) })},
		{"monotonic reading", with(func(f *Finding) { f.EventTime = time.Now() })},
		{"extreme numbers", with(func(f *Finding) { f.RiskScore, f.RecordIndex = math.MinInt64, math.MaxInt64 })},
		{"negative numbers", with(func(f *Finding) { f.RiskScore, f.RecordIndex = -1, -1<<40 })},
		{"long string", with(func(f *Finding) { f.Raw = string(make([]byte, 1<<17)) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := AppendFinding([]byte("prefix"), &tt.f)[len("prefix"):]
			// Decode into a finding with every field set: DecodeFinding
			// must overwrite all of them.
			got := full
			if err := DecodeFinding(enc, &got); err != nil {
				t.Fatalf("DecodeFinding: %v", err)
			}
			if !got.EventTime.Equal(tt.f.EventTime) || got.EventTime.IsZero() != tt.f.EventTime.IsZero() {
				t.Errorf("EventTime %v, want %v", got.EventTime, tt.f.EventTime)
			}
			if want := normalisedTime(tt.f); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, want)
			}
			if (got.Tactics == nil) != (tt.f.Tactics == nil) || (got.Techniques == nil) != (tt.f.Techniques == nil) {
				t.Errorf("nil-ness of lists: Tactics %#v Techniques %#v, want %#v %#v", got.Tactics, got.Techniques, tt.f.Tactics, tt.f.Techniques)
			}
		})
	}
}

// TestFindingCodecEveryFieldCounts checks that each field reaches the
// encoding: changing it alone changes what decodes.
func TestFindingCodecEveryFieldCounts(t *testing.T) {
	base := fullFinding(t)
	v := reflect.ValueOf(&base).Elem()
	for i := range v.NumField() {
		f := base
		fv := reflect.ValueOf(&f).Elem().Field(i)
		fv.Set(reflect.Zero(fv.Type()))
		var got Finding
		if err := DecodeFinding(AppendFinding(nil, &f), &got); err != nil {
			t.Fatal(err)
		}
		if gv := reflect.ValueOf(got).Field(i); !reflect.DeepEqual(gv.Interface(), fv.Interface()) {
			t.Errorf("field %s: decoded %#v, want the zero value", v.Type().Field(i).Name, gv.Interface())
		}
	}
}

func TestDecodeFindingTruncated(t *testing.T) {
	for _, f := range []Finding{fullFinding(t), {}, {Tactics: []string{}}} {
		enc := AppendFinding(nil, &f)
		for n := range len(enc) {
			var got Finding
			if err := DecodeFinding(enc[:n], &got); !errors.Is(err, ErrBadEncoding) {
				t.Fatalf("DecodeFinding of %d of %d bytes: %v, want ErrBadEncoding", n, len(enc), err)
			}
		}
		if err := DecodeFinding(append(enc, 0), new(Finding)); !errors.Is(err, ErrBadEncoding) {
			t.Errorf("DecodeFinding with a trailing byte: %v, want ErrBadEncoding", err)
		}
	}
	// Lengths past the end, and a list count no bytes can hold.
	for _, b := range [][]byte{
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
		{0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		if err := DecodeFinding(b, new(Finding)); !errors.Is(err, ErrBadEncoding) {
			t.Errorf("DecodeFinding(%x): %v, want ErrBadEncoding", b, err)
		}
	}
}

// TestDecodeFindingGarbage decodes random mutations of valid encodings:
// no panic, and what decodes re-encodes to the same finding.
func TestDecodeFindingGarbage(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	full := fullFinding(t)
	enc := AppendFinding(nil, &full)
	for i := range 3000 {
		b := append([]byte(nil), enc...)
		for range 1 + rng.Intn(4) {
			b[rng.Intn(len(b))] = byte(rng.Intn(256))
		}
		if i%3 == 0 {
			b = b[:rng.Intn(len(b))]
		}
		checkDecodeStable(t, b)
	}
}

func checkDecodeStable(t *testing.T, b []byte) {
	t.Helper()
	var f Finding
	if err := DecodeFinding(b, &f); err != nil {
		if !errors.Is(err, ErrBadEncoding) {
			t.Fatalf("DecodeFinding(%x): %v, want nil or ErrBadEncoding", b, err)
		}
		return
	}
	var again Finding
	if err := DecodeFinding(AppendFinding(nil, &f), &again); err != nil {
		t.Fatalf("re-encoding of a decoded finding: %v", err)
	}
	if !reflect.DeepEqual(normalisedTime(again), normalisedTime(f)) {
		t.Fatalf("decode(encode(decode(b))) != decode(b) for b = %x", b)
	}
}

func FuzzDecodeFinding(f *testing.F) {
	full := fullFinding(f)
	for _, x := range []Finding{full, {}, {Tactics: []string{}}} {
		f.Add(AppendFinding(nil, &x))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodeStable(t, b) })
}

func ExampleAppendFinding() {
	f := Finding{RuleID: "r", Tactics: []string{}}
	b := AppendFinding(nil, &f)
	var back Finding
	err := DecodeFinding(b, &back)
	fmt.Println(err, back.RuleID, back.Tactics != nil, back.Techniques == nil)
	// Output: <nil> r true true
}
