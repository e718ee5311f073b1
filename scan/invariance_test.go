package scan

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/internal/s3test"
	"github.com/trailsweep/trailsweep/reader"
)

// Issue 21: a record's verdict depends on the record alone, not on its
// neighbours, the file's encoding, the reads that brought it or the rule
// index. The tests below check it on the mutation corpus (gen.Mutants):
// TRAILSWEEP_MUTANTS records (20,000 by default), against each rule corpus.

// mutantCount is how many mutants the invariance tests check.
func mutantCount(t testing.TB) int {
	n := 20_000
	if s := os.Getenv("TRAILSWEEP_MUTANTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			t.Fatalf("TRAILSWEEP_MUTANTS=%q: want a positive count", s)
		}
		n = v
	}
	return n
}

// mutantCorpus returns n mutants of the shared datasets' records.
func mutantCorpus(t testing.TB, n int) [][]byte {
	base, from, err := gen.MutationBase(gen.SharedDir(t, "datasets"))
	if err != nil || from != "datasets" {
		t.Fatalf("mutation base: %d records from %s, %v", len(base), from, err)
	}
	return gen.Mutants(base, n, 21)
}

// corpusSets returns a rule set per shared rule corpus.
func corpusSets(t testing.TB) map[string]*rule.Set {
	sets := map[string]*rule.Set{}
	for _, name := range []string{"elastic-aws", "sigma-aws"} {
		rules, errs := rule.Load([]string{gen.SharedDir(t, "rules", name)})
		if len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		set, err := rule.NewSet(rules)
		if err != nil {
			t.Fatal(err)
		}
		sets[name] = set
	}
	return sets
}

// verdict is one record's: its checksum and the keys of the rules it
// matched, or why it was not evaluated.
func verdict(raw []byte, rules []*rule.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%08x %d:", crc32.ChecksumIEEE(raw), len(raw))
	for _, r := range rules {
		b.WriteString(" " + r.Key())
	}
	return b.String()
}

// judge returns the verdict of raw with member index idx, read by w as the
// scanner reads it (worker.record: the ECS view, the time window, the
// rule index and the worker's candidate cache), into the object's result r.
func judge(w *worker, r *result, raw []byte, idx []int32, i int64) string {
	w.record(r, raw, idx, i)
	return verdict(raw, w.match)
}

// streamVerdicts splits in and judges each record with w, as process does:
// the splitter indexes only the objects w's rules read (indexPaths), where
// alone's brute force reads records indexed whole.
func streamVerdicts(t testing.TB, w *worker, in io.Reader) []string {
	t.Helper()
	var opts reader.DecodeOptions
	if w.cfg.Rules != nil {
		opts.Index = IndexPaths(w.cfg.Rules, w.cfg.Tuning)
	}
	return splitVerdicts(t, w, in, opts)
}

// splitVerdicts is streamVerdicts with the decoder options opts.
func splitVerdicts(t testing.TB, w *worker, in io.Reader, opts reader.DecodeOptions) []string {
	t.Helper()
	dec, err := reader.NewDecoder(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var r result // one object's, as in process
	w.red.Begin("", nil)
	for i := int64(0); ; i++ {
		raw, err := dec.Next()
		if err == io.EOF {
			r.events = w.red.End()
			return out
		}
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		out = append(out, judge(w, &r, raw, dec.Index(), i))
	}
}

// alone judges raw as the only record of an object, with a fresh worker,
// decoder and record, and by brute force (every runnable rule, on a
// fresh record read member by member and on one parsed whole).
func alone(t testing.TB, cfg Config, raw []byte) (indexed, lazy, whole string) {
	t.Helper()
	w := newWorker(cfg)
	got := streamVerdicts(t, w, bytes.NewReader(raw))
	if len(got) != 1 {
		t.Fatalf("%s: %d records alone", raw, len(got))
	}
	dec, err := reader.NewDecoder(bytes.NewReader(raw), reader.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	split, err := dec.Next()
	if err != nil {
		t.Fatal(err)
	}
	lz, wh := ecs.NewRecord(ecs.Options{}), ecs.NewRecord(ecs.Options{})
	var bl, bw []*rule.Rule
	// A record made malformed by an object where CloudTrail writes a
	// string (ECS.md §1) is evaluated by no rule.
	if lz.ResetMembers(split, dec.Index()) == nil && lz.Malformed() == nil {
		for _, r := range cfg.Rules.Runnable() {
			if r.Match(lz) {
				bl = append(bl, r)
			}
		}
		if set := cfg.Rules.MatchRecord(lz, nil); !slices.Equal(set, bl) {
			t.Errorf("%s: Set.MatchRecord %s, brute force %s", raw, verdict(split, set), verdict(split, bl))
		}
	}
	if wh.Reset(raw) == nil && wh.Malformed() == nil {
		for _, r := range cfg.Rules.Runnable() {
			if r.Match(wh) {
				bw = append(bw, r)
			}
		}
	}
	return got[0], verdict(split, bl), verdict(raw, bw)
}

// ndjson joins records one a line.
func ndjson(recs [][]byte) []byte {
	return append(bytes.Join(recs, []byte("\n")), '\n')
}

// TestContextInvariance: each mutant's verdict in a stream (one worker,
// decoder and ECS record for all, as the scanner reads an object) equals
// its verdict alone (fresh worker, decoder, record and candidate cache),
// which equals brute force over every rule (index soundness, read member
// by member and whole).
func TestContextInvariance(t *testing.T) {
	recs := mutantCorpus(t, mutantCount(t))
	for name, set := range corpusSets(t) {
		t.Run(name, func(t *testing.T) {
			cfg := Config{Rules: set}
			stream := streamVerdicts(t, newWorker(cfg), bytes.NewReader(ndjson(recs)))
			if len(stream) != len(recs) {
				t.Fatalf("%d records in the stream, want %d", len(stream), len(recs))
			}
			matched, bad := 0, 0
			for i, raw := range recs {
				indexed, lazy, whole := alone(t, cfg, raw)
				if stream[i] != indexed || indexed != lazy || lazy != whole {
					if bad++; bad <= 10 {
						t.Errorf("mutant %d:\n stream      %s\n alone       %s\n brute force %s\n brute whole %s\n%s", i, stream[i], indexed, lazy, whole, raw)
					}
				}
				if !strings.HasSuffix(indexed, ":") {
					matched++
				}
			}
			t.Logf("%s: %d mutants, %d matched some rule, %d verdicts differ", name, len(recs), matched, bad)
			if matched == 0 {
				t.Error("no mutant matched a rule: the test exercises nothing")
			}
		})
	}
}

// TestIndexSelectionInvariance: each mutant's verdict is the same whatever
// objects the splitter indexes: every one, those the rules read (the
// scanner's), only the record's own members, or userIdentity alone.
func TestIndexSelectionInvariance(t *testing.T) {
	recs := mutantCorpus(t, mutantCount(t))
	in := ndjson(recs)
	identity := reader.NewIndexPaths()
	identity.Add([]string{"userIdentity"})
	for name, set := range corpusSets(t) {
		t.Run(name, func(t *testing.T) {
			cfg := Config{Rules: set}
			want := splitVerdicts(t, newWorker(cfg), bytes.NewReader(in), reader.DecodeOptions{})
			for sel, paths := range map[string]*reader.IndexPaths{"compiled": IndexPaths(set, nil), "record only": reader.NewIndexPaths(), "userIdentity": identity} {
				got := splitVerdicts(t, newWorker(cfg), bytes.NewReader(in), reader.DecodeOptions{Index: paths})
				if len(got) != len(want) {
					t.Fatalf("%s: %d verdicts, want %d", sel, len(got), len(want))
				}
				bad := 0
				for i := range want {
					if got[i] != want[i] {
						if bad++; bad <= 5 {
							t.Errorf("%s: mutant %d: %s, indexed whole %s\n%s", sel, i, got[i], want[i], recs[i])
						}
					}
				}
				t.Logf("%s, index %s: %d mutants, %d verdicts differ", name, sel, len(recs), bad)
			}
		})
	}
}

// encoding is one way of writing records to an object.
type encoding struct {
	name string
	body func(recs [][]byte) []byte
}

// multiGzip compresses b as n+1 members, cut at random places.
func multiGzip(b []byte, n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	cuts := []int{0, len(b)}
	for range n {
		cuts = append(cuts, rng.IntN(len(b)+1))
	}
	sort.Ints(cuts)
	var out bytes.Buffer
	for i := 1; i < len(cuts); i++ {
		zw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
		_, _ = zw.Write(b[cuts[i-1]:cuts[i]])
		_ = zw.Close()
	}
	return out.Bytes()
}

var encodings = []encoding{
	{"ndjson", ndjson},
	{"array", func(recs [][]byte) []byte {
		return slices.Concat([]byte("["), bytes.Join(recs, []byte(",\n")), []byte("]"))
	}},
	{"records", func(recs [][]byte) []byte {
		return slices.Concat([]byte(`{"Records":[`), bytes.Join(recs, []byte(",")), []byte(`]}`))
	}},
	{"records-split", func(recs [][]byte) []byte { // two objects, keys around Records
		h := len(recs) / 2
		return slices.Concat([]byte(`{"awsAccountId": "1", "Records": [`), bytes.Join(recs[:h], []byte(", ")),
			[]byte("]}\n"), []byte(`{"Records":[`), bytes.Join(recs[h:], []byte(",")), []byte(`],"x":{"Records":1}}`))
	}},
	{"gzip-ndjson", func(recs [][]byte) []byte { return multiGzip(ndjson(recs), 0, 0) }},
	{"gzip-records", func(recs [][]byte) []byte {
		return multiGzip(slices.Concat([]byte(`{"Records":[`), bytes.Join(recs, []byte(",")), []byte(`]}`)), 0, 0)
	}},
	{"multigzip-ndjson", func(recs [][]byte) []byte { return multiGzip(ndjson(recs), 7, 1) }},
	{"multigzip-records", func(recs [][]byte) []byte {
		return multiGzip(slices.Concat([]byte(`{"Records":[`), bytes.Join(recs, []byte(",")), []byte(`]}`)), 5, 2)
	}},
}

// reads gives b in reads of the sizes next returns, in turn.
type reads struct {
	b    []byte
	next func() int
}

func (r *reads) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b[:min(len(r.b), r.next())])
	r.b = r.b[n:]
	return n, nil
}

// fixed returns reads of size n.
func fixed(n int) func() int { return func() int { return n } }

// TestChunkingInvariance: the mutants give the same records and member
// indexes, hence the same verdicts, record by record, in every encoding
// (NDJSON, a bare array, {"Records":[…]}, gzip, multi-member gzip) and
// whatever the size of the reads that bring the object: fixed sizes from 1
// byte to past the decoder's largest read (reads under 64 bytes over the
// first 1,000 mutants), and the scanner's own path (the object in memory).
// A record that differs is judged with each rule corpus, to tell whether
// its verdict changed.
func TestChunkingInvariance(t *testing.T) {
	recs := mutantCorpus(t, mutantCount(t))
	sets := corpusSets(t)
	refRaw, refIdx := splitAll(t, bytes.NewReader(ndjson(recs)))
	if len(refRaw) != len(recs) {
		t.Fatalf("%d records, want %d", len(refRaw), len(recs))
	}
	sizes := []int{1, 2, 7, 61, 1000, 4096, 64<<10 + 1, 128 << 10, 1 << 20}
	passes := 0
	for _, enc := range encodings {
		whole, short := enc.body(recs), enc.body(recs[:min(len(recs), 1000)])
		for _, size := range append(sizes, 0) {
			part, body := recs, whole
			if size > 0 && size < 64 {
				part, body = recs[:min(len(recs), 1000)], short
			}
			var in io.Reader = bytes.NewReader(body) // size 0: the scanner's path
			if size > 0 {
				in = &reads{b: body, next: fixed(size)}
			}
			raws, idxs := splitAll(t, in)
			passes++
			if len(raws) != len(part) {
				t.Errorf("%s in reads of %d: %d records, want %d", enc.name, size, len(raws), len(part))
				continue
			}
			for i := range raws {
				if bytes.Equal(raws[i], refRaw[i]) && slices.Equal(idxs[i], refIdx[i]) {
					continue
				}
				for name, set := range sets {
					var r result
					got := judge(newWorker(Config{Rules: set}), &r, raws[i], idxs[i], int64(i))
					want := judge(newWorker(Config{Rules: set}), &r, refRaw[i], refIdx[i], int64(i))
					t.Errorf("%s in reads of %d: record %d split otherwise (index %v, want %v); %s: verdict %s, want %s", enc.name, size, i, idxs[i], refIdx[i], name, got, want)
				}
				break
			}
		}
	}
	t.Logf("%d mutants, %d encodings × %d read sizes: %d passes", len(recs), len(encodings), len(sizes)+1, passes)
}

// splitAll returns the records of in and their member indexes.
func splitAll(t testing.TB, in io.Reader) (raws [][]byte, idxs [][]int32) {
	t.Helper()
	dec, err := reader.NewDecoder(in, reader.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		raw, err := dec.Next()
		if err == io.EOF {
			return raws, idxs
		}
		if err != nil {
			t.Fatalf("record %d: %v", len(raws), err)
		}
		raws, idxs = append(raws, slices.Clone(raw)), append(idxs, slices.Clone(dec.Index()))
	}
}

// firstDiff describes the first difference between verdict lists.
func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("record %d: got %s, want %s", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("%d records, want %d", len(got), len(want))
}

// FuzzChunking: random reads (sizes from the input) of random encodings of
// mutants of the bundled records give the verdicts of the record stream
// in memory, with the built-in rules.
func FuzzChunking(f *testing.F) {
	f.Add(uint64(1), uint8(0), []byte{1, 2, 3})
	f.Add(uint64(2), uint8(4), []byte{200, 1, 255, 64})
	f.Add(uint64(3), uint8(7), []byte{0})
	base, _, err := gen.MutationBase("")
	if err != nil {
		f.Fatal(err)
	}
	cfg := Config{Rules: builtinSet(f)}
	f.Fuzz(func(t *testing.T, seed uint64, enc uint8, sizes []byte) {
		recs := gen.Mutants(base, 40, seed)
		w := newWorker(cfg)
		want := streamVerdicts(t, w, bytes.NewReader(ndjson(recs)))
		e := encodings[int(enc)%len(encodings)]
		i := 0
		next := func() int {
			if len(sizes) == 0 {
				return 4096
			}
			i++
			return 1 + int(sizes[i%len(sizes)])*int(sizes[(i+1)%len(sizes)]%17+1)
		}
		got := streamVerdicts(t, w, &reads{b: e.body(recs), next: next})
		if !slices.Equal(got, want) {
			t.Fatalf("%s: %s", e.name, firstDiff(got, want))
		}
	})
}

// FuzzContext: each mutant's verdict in a stream equals its verdict alone
// and brute force, with the built-in rules and rules on arrays and
// re-typed values.
func FuzzContext(f *testing.F) {
	f.Add(uint64(1))
	f.Add(uint64(21))
	base, _, err := gen.MutationBase("")
	if err != nil {
		f.Fatal(err)
	}
	builtin, err := rule.Builtin()
	if err != nil {
		f.Fatal(err)
	}
	adhoc, err := rule.Adhoc([]string{`event.provider: "iam.amazonaws.com" and aws.cloudtrail.user_identity.type: "Root"`, `event.action: 123`, `event.outcome: "success" and event.provider: s3*`})
	if err != nil {
		f.Fatal(err)
	}
	set, err := rule.NewSet(append(builtin, adhoc...))
	if err != nil {
		f.Fatal(err)
	}
	cfg := Config{Rules: set}
	f.Fuzz(func(t *testing.T, seed uint64) {
		recs := gen.Mutants(base, 60, seed)
		stream := streamVerdicts(t, newWorker(cfg), bytes.NewReader(ndjson(recs)))
		for i, raw := range recs {
			indexed, lazy, whole := alone(t, cfg, raw)
			if stream[i] != indexed || indexed != lazy || lazy != whole {
				t.Fatalf("mutant %d:\n stream      %s\n alone       %s\n brute force %s\n brute whole %s\n%s", i, stream[i], indexed, lazy, whole, raw)
			}
		}
	})
}

// TestPipelineEncodings: through the whole scanner (scan.Run), from a
// local tree and from S3, each encoding of the same mutants is an object
// whose findings are the records' verdicts (rules without aggregation).
func TestPipelineEncodings(t *testing.T) {
	recs := mutantCorpus(t, 3000)
	for name, full := range corpusSets(t) {
		t.Run(name, func(t *testing.T) {
			var plain []*rule.Rule
			for _, r := range full.Runnable() {
				if !r.Aggregate() {
					plain = append(plain, r)
				}
			}
			set, err := rule.NewSet(plain)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]*rule.Rule{}
			for _, r := range plain {
				byID[r.Key()] = r
			}
			// The expected findings of an object: rule, eventID, index.
			var want []string
			for i, v := range streamVerdicts(t, newWorker(Config{Rules: set}), bytes.NewReader(ndjson(recs))) {
				for _, k := range strings.Fields(v)[2:] {
					want = append(want, fmt.Sprintf("%s mut-%06d #%d", byID[k].ID, i, i))
				}
			}
			sort.Strings(want)
			if len(want) == 0 {
				t.Fatal("no findings expected: the test exercises nothing")
			}
			dir := t.TempDir()
			t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			var files []gen.File
			for _, enc := range encodings {
				files = append(files, gen.File{Key: gen.LogKey("", "111122223333", "us-east-1", t0, enc.name), Body: enc.body(recs)})
			}
			if err := gen.WriteTree(dir, files); err != nil {
				t.Fatal(err)
			}
			local, err := reader.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			check := func(src reader.Source) {
				t.Helper()
				var sink collect
				if _, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: set, Workers: 2}, &sink); err != nil {
					t.Fatal(err)
				}
				byObj := map[string][]string{}
				for _, f := range sink.fs {
					byObj[f.SourceURI] = append(byObj[f.SourceURI], fmt.Sprintf("%s %s #%d", f.RuleID, f.EventID, f.RecordIndex))
				}
				if len(byObj) != len(files) {
					t.Errorf("%s: findings in %d objects, want %d", src, len(byObj), len(files))
				}
				for obj, got := range byObj {
					sort.Strings(got)
					if !slices.Equal(got, want) {
						t.Errorf("%s: %d findings, want %d: %s", obj, len(got), len(want), firstDiff(got, want))
					}
				}
			}
			check(local)
			srv := s3test.Start(t)
			srv.CreateBucket(t, "trails")
			for _, f := range files {
				srv.Put(t, "trails", f.Key, f.Body)
			}
			check(reader.NewS3Client(srv.Client(), "trails", ""))
			t.Logf("%s: %d objects of %d mutants, %d findings each, locally and over S3", name, len(files), len(recs), len(want))
		})
	}
}
