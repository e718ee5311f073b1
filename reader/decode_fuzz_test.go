package reader_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		`{"Records":[` + r1 + `,` + r2 + `,` + r3 + `]}`,
		`[` + r1 + `]`,
		r1 + "\n" + r3 + "\n",
		`{"x":[1,"]"],"Records":[{"a":"\\\""}]}`,
		`{"awsAccountId":"1","logFiles":[]}`,
		"{\"Records\":[{\"a\":\"\xff\"}]}",
		`{"Records":[{"a":{"b":`,
	} {
		f.Add([]byte(s))
	}
	f.Add(gz(f, `{"Records":[`+r1+`]}`))
	f.Add(gz(f, `{"Records":[`, r1+`]}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		// Any input: no panic, an end, and records that are objects.
		opts := reader.DecodeOptions{MaxRecordBytes: 1 << 12, MaxObjectBytes: 1 << 20}
		recs, soft, err := decodeAll(t, bytes.NewReader(data), opts)
		for _, r := range recs {
			if len(r) < 2 || r[0] != '{' || r[len(r)-1] != '}' || len(r) > opts.MaxRecordBytes {
				t.Fatalf("record %q is not an object within the limit", r)
			}
		}
		// An index selection changes no record and no error: objects left
		// out of the index are still checked.
		sel := reader.NewIndexPaths()
		sel.Add([]string{"userIdentity"})
		opts.Index = sel
		recs2, soft2, err2 := decodeAll(t, bytes.NewReader(data), opts)
		if !equal(recs, recs2) || fmt.Sprint(soft) != fmt.Sprint(soft2) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("with an index selection: records %q, errors %v %v; without: %q, %v %v", recs2, soft2, err2, recs, soft, err)
		}

		// Records built from the input come back unchanged, read whole or
		// a byte at a time, plain or compressed.
		var want []string
		for _, piece := range bytes.Split(data, []byte{'\n'}) {
			want = append(want, asRecord(piece))
		}
		file := `{"Records":[` + strings.Join(want, ",") + `]}`
		// And one record nesting them all, as a bare array.
		var nest strings.Builder
		nest.WriteString(`{"eventVersion":"1"`)
		for i, w := range want {
			fmt.Fprintf(&nest, `,"k%d":[%s]`, i, w)
		}
		nest.WriteString(`}`)
		for name, in := range map[string]string{"records": file, "nested": `[` + nest.String() + `]`} {
			want := want
			if name == "nested" {
				want = []string{nest.String()}
			}
			for rname, r := range map[string]io.Reader{
				"whole": strings.NewReader(in),
				"bytes": iotest.OneByteReader(strings.NewReader(in)),
				"gzip":  bytes.NewReader(gz(t, in)),
			} {
				got, soft, err := decodeAll(t, r, reader.DecodeOptions{})
				if err != nil || len(soft) > 0 {
					t.Fatalf("%s/%s: %s: error %v %v", name, rname, in, err, soft)
				}
				if !equal(got, want) {
					t.Fatalf("%s/%s: records\n got %q\nwant %q", name, rname, got, want)
				}
			}
		}
	})
}

// asRecord returns piece if it is a JSON object the decoder must accept
// as it is, and otherwise a record holding piece as a string.
func asRecord(piece []byte) string {
	p := bytes.Trim(piece, " \t\r\n")
	if len(p) > 0 && p[0] == '{' && json.Valid(p) && utf8.Valid(p) && bytes.Count(p, []byte("{"))+bytes.Count(p, []byte("[")) < 500 {
		return string(p)
	}
	s, _ := json.Marshal(string(piece)) // invalid UTF-8 becomes U+FFFD
	return `{"eventVersion":` + string(s) + `}`
}

// benchData returns about size bytes of {"Records":[…]} made of records
// shaped like real CloudTrail ones.
func benchData(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"GetObject", "AssumeRole", "DescribeInstances", "PutObject", "ListBuckets", "CreateUser", "ConsoleLogin"}
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		name := names[rng.IntN(len(names))]
		fmt.Fprintf(&b, `{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROA%016X:session-%d","arn":"arn:aws:sts::111122223333:assumed-role/Admin/session-%d","accountId":"111122223333","accessKeyId":"ASIA%016X","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA%016X","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"},"attributes":{"creationDate":"2024-01-05T10:%02d:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-01-05T10:%02d:%02dZ","eventSource":"s3.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"198.51.100.%d","userAgent":"[aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3api.%s]","requestParameters":{"bucketName":"logs-%d","Host":"logs-%d.s3.us-east-1.amazonaws.com","key":"path/to/object-%d.json","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}]}"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"%016x%016x","bytesTransferredOut":%d},"requestID":"%016X","eventID":"%08x-%04x-%04x-%04x-%012x","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::logs-%d/path/to/object-%d.json"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::logs-%d"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"logs-%d.s3.us-east-1.amazonaws.com"}}`,
			rng.Uint64(), i, i, rng.Uint64(), rng.Uint64(), i%60, i%60, i%60, name, rng.IntN(256), name, i%7, i%7, i,
			rng.Uint64(), rng.Uint64(), rng.IntN(1<<20), rng.Uint64(), rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.Uint64()&(1<<48-1), i%7, i, i%7, i%7)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func compress(b testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if _, err := w.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func countRecords(b *testing.B, d *reader.Decoder, r io.Reader) int {
	if err := d.Reset(r); err != nil {
		b.Fatal(err)
	}
	n := 0
	for {
		_, err := d.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkSplit splits an uncompressed Records file: the scanner alone.
func BenchmarkSplit(b *testing.B) {
	data := benchData(32 << 20)
	d, err := reader.NewDecoder(bytes.NewReader(nil), reader.DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	splitBothWays(b, d, data)
}

// splitBothWays splits data with strings scanned eight bytes at a time
// ("swar") and through the AVX2 bitmap ("avx2"; as swar without AVX2).
func splitBothWays(b *testing.B, d *reader.Decoder, data []byte) {
	for _, sb := range []bool{false, true} {
		b.Run(map[bool]string{false: "swar", true: "avx2"}[sb], func(b *testing.B) {
			defer reader.SetStopBits(reader.SetStopBits(sb))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				countRecords(b, d, bytes.NewReader(data))
			}
		})
	}
}

// BenchmarkGzipSplit inflates and splits; compare with BenchmarkInflate,
// the floor it should approach (bytes are decompressed bytes in both).
func BenchmarkGzipSplit(b *testing.B) {
	data := benchData(32 << 20)
	z := compress(b, data)
	d, err := reader.NewDecoder(bytes.NewReader(z), reader.DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		countRecords(b, d, bytes.NewReader(z))
	}
}

// BenchmarkInflate is the baseline of BenchmarkGzipSplit: the same gzip
// inflated to io.Discard.
func BenchmarkInflate(b *testing.B) {
	data := benchData(32 << 20)
	z := compress(b, data)
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := zr.Reset(bytes.NewReader(z)); err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
}

// sharedLogs returns the decompressed CloudTrail files of the shared
// invictus-aws dataset, concatenated, or skips.
func sharedLogs(tb testing.TB) []byte {
	root := gen.SharedDir(tb, "datasets", "invictus-aws", "AWSLogs")
	logs, err := gen.LogFiles(root)
	if err != nil {
		tb.Fatal(err)
	}
	var all bytes.Buffer
	for _, p := range logs {
		data, err := gen.ReadLog(p)
		if err != nil {
			tb.Fatal(err)
		}
		all.Write(data)
	}
	return all.Bytes()
}

// BenchmarkSplitShared splits real CloudTrail logs (the shared dataset,
// its files concatenated).
func BenchmarkSplitShared(b *testing.B) {
	data := sharedLogs(b)
	d, err := reader.NewDecoder(bytes.NewReader(nil), reader.DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	splitBothWays(b, d, data)
}

// BenchmarkSplitIndex splits with index selections (DecodeOptions.Index):
// every object ("all"), the seed rule's selection (userIdentity and
// additionalEventData, "seed"), and the record's own members only
// ("record"), on generated logs and, when ../shared is present, the real
// dataset.
func BenchmarkSplitIndex(b *testing.B) {
	seed := reader.NewIndexPaths()
	seed.Add([]string{"userIdentity"})
	seed.Add([]string{"additionalEventData"})
	sels := []struct {
		name  string
		paths *reader.IndexPaths
	}{{"all", nil}, {"seed", seed}, {"record", reader.NewIndexPaths()}}
	inputs := []struct {
		name string
		data func(testing.TB) []byte
	}{{"generated", func(testing.TB) []byte { return benchData(32 << 20) }}, {"shared", sharedLogs}}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			data := in.data(b)
			for _, s := range sels {
				b.Run(s.name, func(b *testing.B) {
					d, err := reader.NewDecoder(bytes.NewReader(nil), reader.DecodeOptions{Index: s.paths})
					if err != nil {
						b.Fatal(err)
					}
					b.SetBytes(int64(len(data)))
					b.ReportAllocs()
					for b.Loop() {
						countRecords(b, d, bytes.NewReader(data))
					}
				})
			}
		})
	}
}
