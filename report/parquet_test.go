package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

func writeParquet(t testing.TB, fs []Finding, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewParquet(&buf, opts)
	for i := range fs {
		if err := w.Write(&fs[i]); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return buf.Bytes()
}

func (r *parquetRow) finding() Finding {
	f := Finding{
		RuleID: r.RuleID, RuleName: r.RuleName, RuleSource: r.RuleSource, RuleType: r.RuleType,
		Severity: r.Severity, RiskScore: r.RiskScore, Tactics: r.Tactics, Techniques: r.Techniques,
		EventID: r.EventID, EventSource: r.EventSource, EventName: r.EventName, AWSRegion: r.AWSRegion,
		AccountID: r.AccountID, UserIdentityType: r.UserIdentityType, UserARN: r.UserARN,
		UserName: r.UserName, AccessKeyID: r.AccessKeyID, SourceIP: r.SourceIP, UserAgent: r.UserAgent,
		ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage, RequestParameters: r.RequestParameters,
		ResponseElements: r.ResponseElements, SourceURI: r.SourceURI, ObjectETag: r.ObjectETag,
		RecordIndex: r.RecordIndex, Details: r.Details,
	}
	if f.Tactics == nil {
		f.Tactics = []string{}
	}
	if f.Techniques == nil {
		f.Techniques = []string{}
	}
	if r.EventTime != nil {
		f.EventTime = r.EventTime.UTC()
	}
	return f
}

func TestParquetRoundTrip(t *testing.T) {
	in := sampleFindings(t)
	for _, raw := range []bool{false, true} {
		t.Run(fmt.Sprintf("raw=%t", raw), func(t *testing.T) {
			data := writeParquet(t, in, Options{Raw: raw})
			var got []Finding
			if raw {
				rows, err := parquet.Read[parquetRawRow](bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					f := r.parquetRow.finding()
					f.Raw = r.Raw
					got = append(got, f)
				}
			} else {
				rows, err := parquet.Read[parquetRow](bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					got = append(got, r.finding())
				}
			}
			if len(got) != len(in) {
				t.Fatalf("got %d rows, want %d", len(got), len(in))
			}
			for i := range in {
				want := normalised(in[i], raw)
				if !reflect.DeepEqual(got[i], want) {
					t.Errorf("row %d:\ngot  %+v\nwant %+v", i, got[i], want)
				}
			}
			checkParquetSchema(t, data, raw)
		})
	}
}

// checkParquetSchema checks the physical and logical types of every column
// in the file footer, independently of the Go struct used to write it.
func checkParquetSchema(t *testing.T, data []byte, raw bool) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	md := f.Metadata()
	elems := md.Schema[1:] // the root comes first
	byName := map[string]format.SchemaElement{}
	var top []string
	for i := 0; i < len(elems); {
		e := elems[i]
		top = append(top, e.Name)
		byName[e.Name] = e
		n, _ := e.NumChildren.Get()
		if n > 0 { // a LIST: group -> repeated group "list" -> "element"
			if i+2 >= len(elems) {
				t.Fatalf("list %s truncated", e.Name)
			}
			byName[e.Name+".list"] = elems[i+1]
			byName[e.Name+".element"] = elems[i+2]
			i += 3
			continue
		}
		i++
	}
	if want := Columns(raw); !reflect.DeepEqual(top, want) {
		t.Fatalf("columns:\ngot  %q\nwant %q", top, want)
	}

	for _, name := range Columns(raw) {
		e := byName[name]
		typ, _ := e.Type.Get()
		rep, _ := e.RepetitionType.Get()
		lt := e.LogicalType.Value
		switch name {
		case "risk_score", "record_index":
			if typ != format.Int64 || rep != format.Required {
				t.Errorf("%s: type %v %v, want required INT64", name, rep, typ)
			}
		case "event_time":
			ts, ok := lt.(*format.TimestampType)
			if typ != format.Int64 || !ok || !ts.IsAdjustedToUTC || ts.Unit.Value == nil || ts.Unit.Value.Duration() != time.Microsecond {
				t.Errorf("event_time: %v %v, want INT64 TIMESTAMP(MICROS, UTC)", typ, lt)
			}
			if rep != format.Optional {
				t.Errorf("event_time: repetition %v, want optional", rep)
			}
		case "tactics", "techniques":
			if _, ok := lt.(*format.ListType); !ok {
				t.Errorf("%s: logical type %v, want LIST", name, lt)
			}
			if l := byName[name+".list"]; l.Name != "list" {
				t.Errorf("%s: middle group %q, want list", name, l.Name)
			} else if r, _ := l.RepetitionType.Get(); r != format.Repeated {
				t.Errorf("%s.list: repetition %v, want repeated", name, r)
			}
			el := byName[name+".element"]
			et, _ := el.Type.Get()
			if _, ok := el.LogicalType.Value.(*format.StringType); el.Name != "element" || et != format.ByteArray || !ok {
				t.Errorf("%s element: %q %v %v, want element BYTE_ARRAY STRING", name, el.Name, et, el.LogicalType.Value)
			}
		default:
			want := format.Optional
			if requiredColumns[name] {
				want = format.Required
			}
			if _, ok := lt.(*format.StringType); typ != format.ByteArray || !ok || rep != want {
				t.Errorf("%s: %v %v %v, want %v BYTE_ARRAY STRING", name, rep, typ, lt, want)
			}
		}
	}

	for _, rg := range md.RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.Codec != format.Zstd {
				t.Errorf("column %v: codec %v, want ZSTD", c.MetaData.PathInSchema, c.MetaData.Codec)
			}
		}
	}
}

func TestParquetRowGroups(t *testing.T) {
	base := sampleFindings(t)
	var in []Finding
	for i := range 10 {
		f := base[i%len(base)]
		f.RecordIndex = int64(i)
		in = append(in, f)
	}
	data := writeParquet(t, in, Options{RowGroupRows: 3})
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, rg := range f.Metadata().RowGroups {
		got = append(got, rg.NumRows)
	}
	if want := []int64{3, 3, 3, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("row group sizes: got %v, want %v", got, want)
	}
	rows, err := parquet.Read[parquetRow](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.RecordIndex != int64(i) {
			t.Errorf("row %d: record_index %d", i, r.RecordIndex)
		}
	}
}

func TestParquetRowGroupBytes(t *testing.T) {
	var buf bytes.Buffer
	enc := newParquetEncoder(&buf, Options{Raw: true}).(*parquetEncoder[parquetRawRow])
	enc.maxBytes = 10 << 10
	f := Finding{RuleID: "big", Raw: strings.Repeat("x", 4<<10)}
	for range 7 {
		if err := enc.encode(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.finish(); err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, rg := range pf.Metadata().RowGroups {
		got = append(got, rg.NumRows)
	}
	// Each row is a bit over 4 KiB, so the third row crosses 10 KiB.
	if want := []int64{3, 3, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("row group sizes: got %v, want %v", got, want)
	}
}

// TestParquetReusedFinding checks that a writer does not keep references into
// a Finding the caller reuses between Writes.
func TestParquetReusedFinding(t *testing.T) {
	var buf bytes.Buffer
	w := NewParquet(&buf, Options{})
	var f Finding
	tactics := make([]string, 1)
	for i := range 5 {
		tactics[0] = fmt.Sprintf("tactic-%d", i)
		f = Finding{RuleID: fmt.Sprint(i), Tactics: tactics, RecordIndex: int64(i)}
		if err := w.Write(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[parquetRow](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if want := []string{fmt.Sprintf("tactic-%d", i)}; !reflect.DeepEqual(r.Tactics, want) {
			t.Errorf("row %d: tactics %q, want %q", i, r.Tactics, want)
		}
	}
}

func TestParquetEmpty(t *testing.T) {
	data := writeParquet(t, nil, Options{})
	rows, err := parquet.Read[parquetRow](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("empty file unreadable: %v", err)
	}
	if len(rows) != 0 {
		t.Errorf("got %d rows, want 0", len(rows))
	}
}

// requiredColumns are the string columns that always have a value; every
// other string column is optional, NULL when absent.
var requiredColumns = map[string]bool{
	"rule_id": true, "rule_name": true, "rule_source": true, "rule_type": true, "severity": true,
	"source_uri": true, "raw": true,
}

// TestParquetNulls: an absent value is NULL, not "": a reader that can tell
// them apart (pointers here, IS NULL in SQL) sees NULL error_code for a
// record without errorCode and the value for one with it.
func TestParquetNulls(t *testing.T) {
	in := []Finding{
		{RuleID: "r", RuleName: "n", RuleSource: "builtin", RuleType: "query", Severity: "low", SourceURI: "s3://b/k", EventID: "e1", ErrorCode: "AccessDenied", RequestParameters: `{"a":1}`},
		{RuleID: "r", RuleName: "n", RuleSource: "builtin", RuleType: "query", Severity: "low", SourceURI: "s3://b/k", EventID: "e2", RecordIndex: 1},
	}
	data := writeParquet(t, in, Options{})
	type nullable struct {
		RuleID            *string `parquet:"rule_id"`
		EventID           *string `parquet:"event_id,optional"`
		ErrorCode         *string `parquet:"error_code,optional"`
		RequestParameters *string `parquet:"request_parameters,optional"`
		Details           *string `parquet:"details,optional"`
		ObjectETag        *string `parquet:"object_etag,optional"`
		SourceURI         *string `parquet:"source_uri"`
	}
	rows, err := parquet.Read[nullable](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	str := func(p *string) string {
		if p == nil {
			return "NULL"
		}
		return strconv.Quote(*p)
	}
	got := func(r nullable) string {
		return strings.Join([]string{str(r.RuleID), str(r.EventID), str(r.ErrorCode), str(r.RequestParameters), str(r.Details), str(r.ObjectETag), str(r.SourceURI)}, " ")
	}
	want := []string{
		`"r" "e1" "AccessDenied" "{\"a\":1}" NULL NULL "s3://b/k"`,
		`"r" "e2" NULL NULL NULL NULL "s3://b/k"`,
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		if g := got(rows[i]); g != want[i] {
			t.Errorf("row %d: %s\nwant   %s", i, g, want[i])
		}
	}
	checkParquetSchema(t, data, false)
}

// TestParquetPyarrow reads the file with pyarrow, when installed, to check
// that another implementation sees the same types.
func TestParquetPyarrow(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: skipping the pyarrow cross-check")
	}
	if exec.Command(py, "-c", "import pyarrow.parquet").Run() != nil {
		t.Skip("pyarrow not installed: skipping the pyarrow cross-check")
	}
	path := filepath.Join(t.TempDir(), "f.parquet")
	if err := os.WriteFile(path, writeParquet(t, sampleFindings(t), Options{Raw: true}), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, pyarrow.parquet as pq
s = pq.read_schema(sys.argv[1])
print(s.field("event_time").type, s.field("tactics").type, s.field("risk_score").type, s.field("raw").type)
print(pq.read_table(sys.argv[1]).num_rows)
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("pyarrow: %v\n%s", err, out)
	}
	want := "timestamp[us, tz=UTC] list<element: string not null> int64 string\n3\n"
	if string(out) != want {
		t.Errorf("pyarrow sees:\n%s\nwant:\n%s", out, want)
	}
}

// BenchmarkWrite measures every format on the same findings; JSONL and CSV
// are the baseline Parquet (columnar, zstd) is compared with. Bytes are the
// findings' text, not the output size.
func BenchmarkWrite(b *testing.B) {
	formats := []struct {
		name string
		new  func(io.Writer, Options) Writer
	}{{"parquet", NewParquet}, {"jsonl", NewJSONL}, {"csv", NewCSV}}
	for _, ft := range formats {
		for _, raw := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/raw=%t", ft.name, raw), func(b *testing.B) {
				benchmarkWrite(b, ft.new, raw)
			})
		}
	}
}

func benchmarkWrite(b *testing.B, newWriter func(io.Writer, Options) Writer, raw bool) {
	fs := sampleFindings(b)
	var size int64
	for i := range fs {
		size += int64(fs[i].rowSize(raw))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	w := newWriter(io.Discard, Options{Raw: raw})
	for i := 0; b.Loop(); i++ {
		for j := range fs {
			fs[j].RecordIndex = int64(i)
			fs[j].EventTime = fs[j].EventTime.Add(time.Second)
			if err := w.Write(&fs[j]); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// rowSize approximates the bytes a finding carries, for b.SetBytes.
func (f *Finding) rowSize(raw bool) int {
	var r parquetRow
	r.set(f)
	n := r.size()
	if raw {
		n += len(f.Raw)
	}
	return n
}
