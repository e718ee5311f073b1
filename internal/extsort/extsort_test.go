package extsort

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

type record struct{ key, val []byte }

// randBytes returns up to max bytes drawn mostly from the bytes that the
// key encodings treat specially (NUL, 0x01, 0xFF), so that random keys
// collide, share prefixes and hold NULs.
func randBytes(rng *rand.Rand, max int) []byte {
	alphabet := []byte{0x00, 0x01, 0xFF, 0xFE, 'a', 'b'}
	n := rng.Intn(max + 1)
	b := make([]byte, n)
	for i := range b {
		if rng.Intn(4) == 0 {
			b[i] = byte(rng.Intn(256))
		} else {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
	}
	return b
}

// randRecords returns n random records: empty keys and values, duplicate
// keys and duplicate records among them.
func randRecords(rng *rand.Rand, n, maxKey, maxVal int) []record {
	out := make([]record, 0, n)
	for len(out) < n {
		switch rng.Intn(10) {
		case 0: // an exact duplicate of an earlier record
			if len(out) > 0 {
				out = append(out, out[rng.Intn(len(out))])
				continue
			}
		case 1: // an earlier key with another value
			if len(out) > 0 {
				out = append(out, record{out[rng.Intn(len(out))].key, randBytes(rng, maxVal)})
				continue
			}
		case 2:
			out = append(out, record{[]byte{}, randBytes(rng, maxVal)})
			continue
		case 3:
			out = append(out, record{randBytes(rng, maxKey), nil})
			continue
		}
		out = append(out, record{randBytes(rng, maxKey), randBytes(rng, maxVal)})
	}
	return out
}

// sortAll adds recs to s and returns what its Iter yields.
func sortAll(t *testing.T, s *Sorter, recs []record) ([]record, error) {
	t.Helper()
	for _, r := range recs {
		if err := s.Add(r.key, r.val); err != nil {
			return nil, err
		}
	}
	it, err := s.Iter()
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []record
	for it.Next() {
		out = append(out, record{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
	}
	return out, it.Err()
}

// checkSorted reports whether got is in as sorted by key: the keys in the
// same sequence exactly, and among equal keys the same multiset of values
// (the Sorter does not promise an order among them).
func checkSorted(t *testing.T, in, got []record) {
	t.Helper()
	want := slices.Clone(in)
	sort.SliceStable(want, func(i, j int) bool { return bytes.Compare(want[i].key, want[j].key) < 0 })
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].key, want[i].key) {
			t.Fatalf("record %d: key %q, want %q", i, got[i].key, want[i].key)
		}
	}
	vals := func(rs []record) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = string(r.val)
		}
		slices.Sort(out)
		return out
	}
	for i := 0; i < len(want); {
		j := i + 1
		for j < len(want) && bytes.Equal(want[j].key, want[i].key) {
			j++
		}
		if g, w := vals(got[i:j]), vals(want[i:j]); !slices.Equal(g, w) {
			t.Fatalf("key %q: values %q, want %q", want[i].key, g, w)
		}
		i = j
	}
}

// runFiles returns the names of the entries of dir.
func runFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestSorterSorts(t *testing.T) {
	tests := []struct {
		name      string
		budget    int
		n         int
		maxKey    int
		maxVal    int
		huge      bool // add one record larger than the budget
		wantSpill bool
	}{
		{name: "in memory", budget: 1 << 20, n: 3000, maxKey: 12, maxVal: 20},
		{name: "4KiB", budget: 4 << 10, n: 3000, maxKey: 12, maxVal: 20, wantSpill: true},
		{name: "4KiB huge record", budget: 4 << 10, n: 2000, maxKey: 12, maxVal: 20, huge: true, wantSpill: true},
		{name: "below the 4KiB floor", budget: 1, n: 2000, maxKey: 8, maxVal: 8, wantSpill: true},
		{name: "16KiB long keys", budget: 16 << 10, n: 2000, maxKey: 200, maxVal: 5, wantSpill: true},
		{name: "64KiB", budget: 64 << 10, n: 5000, maxKey: 16, maxVal: 40, huge: true, wantSpill: true},
		{name: "1MiB spills", budget: 1 << 20, n: 6000, maxKey: 16, maxVal: 600, wantSpill: true},
		{name: "1MiB huge record alone", budget: 1 << 20, n: 0, huge: true, wantSpill: false},
		{name: "empty", budget: 4 << 10, n: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(len(tt.name))))
			recs := randRecords(rng, tt.n, tt.maxKey, tt.maxVal)
			if tt.huge {
				big := record{append([]byte("m\x00"), bytes.Repeat([]byte{0xFF}, 3<<10)...), bytes.Repeat([]byte("v"), max(tt.budget, 4<<10)+1)}
				recs = slices.Insert(recs, len(recs)/2, big)
			}
			dir := t.TempDir()
			s := New(dir, "t", tt.budget)
			got, err := sortAll(t, s, recs)
			if err != nil {
				t.Fatal(err)
			}
			checkSorted(t, recs, got)
			if s.Len() != int64(len(recs)) {
				t.Errorf("Len() = %d, want %d", s.Len(), len(recs))
			}
			if spilt := s.Runs() > 0; spilt != tt.wantSpill {
				t.Errorf("spilt runs: %d, want spill %v", s.Runs(), tt.wantSpill)
			}
			if (s.SpiltBytes() > 0) != tt.wantSpill {
				t.Errorf("SpiltBytes() = %d, want spill %v", s.SpiltBytes(), tt.wantSpill)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if left := runFiles(t, dir); len(left) > 0 {
				t.Errorf("after Close the dir holds %v", left)
			}
		})
	}
}

// TestSorterMultiPass spills more than MaxFanIn runs so that Iter merges in
// passes.
func TestSorterMultiPass(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	recs := randRecords(rng, 20000, 10, 12)
	dir := t.TempDir()
	s := New(dir, "t", 4<<10)
	for _, r := range recs {
		if err := s.Add(r.key, r.val); err != nil {
			t.Fatal(err)
		}
	}
	before := s.Runs()
	if before <= MaxFanIn {
		t.Fatalf("%d runs spilt, want more than MaxFanIn (%d) to force a multi-pass merge", before, MaxFanIn)
	}
	if files := runFiles(t, dir); len(files) != before {
		t.Errorf("%d run files in the dir, want %d", len(files), before)
	}
	bytesBefore := s.SpiltBytes()
	it, err := s.Iter()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.runs) > s.fanIn || s.fanIn > MaxFanIn {
		t.Errorf("after Iter %d runs are merged at once, want at most %d (and at most MaxFanIn %d)", len(s.runs), s.fanIn, MaxFanIn)
	}
	if s.SpiltBytes() < bytesBefore || s.Runs() < before {
		t.Errorf("after Iter: %d runs, %d bytes spilt from memory; before: %d, %d (they only grow)", s.Runs(), s.SpiltBytes(), before, bytesBefore)
	}
	if files := runFiles(t, dir); len(files) != len(s.runs) {
		t.Errorf("%d run files in the dir after the intermediate passes, want %d (merged runs removed)", len(files), len(s.runs))
	}
	var got []record
	for it.Next() {
		got = append(got, record{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	it.Close()
	checkSorted(t, recs, got)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left := runFiles(t, dir); len(left) > 0 {
		t.Errorf("after Close the dir holds %v", left)
	}
}

// TestSorterCloseRemovesRuns closes Sorters at every stage.
func TestSorterCloseRemovesRuns(t *testing.T) {
	tests := []struct {
		name  string
		stage string // where Close is called: "added", "iter", "partly read", "read"
	}{
		{"after Add", "added"},
		{"after Iter", "iter"},
		{"while reading", "partly read"},
		{"after reading", "read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(3))
			dir := t.TempDir()
			s := New(dir, "t", 4<<10)
			for _, r := range randRecords(rng, 2000, 10, 20) {
				if err := s.Add(r.key, r.val); err != nil {
					t.Fatal(err)
				}
			}
			if s.Runs() == 0 || len(runFiles(t, dir)) == 0 {
				t.Fatal("nothing spilt: the test needs runs")
			}
			if tt.stage != "added" {
				it, err := s.Iter()
				if err != nil {
					t.Fatal(err)
				}
				switch tt.stage {
				case "partly read":
					for range 10 {
						it.Next()
					}
				case "read":
					for it.Next() {
					}
				}
				it.Close()
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if left := runFiles(t, dir); len(left) > 0 {
				t.Errorf("after Close the dir holds %v", left)
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// TestSorterSpillError breaks the work directory; every failure wraps
// ErrSpill.
func TestSorterSpillError(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string) // after New, before any spill
	}{
		{"dir removed", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}},
		{"dir is a file", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "work")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			s := New(dir, "t", 4<<10)
			defer s.Close()
			tt.spoil(t, dir)
			var err error
			for i := 0; i < 10000 && err == nil; i++ {
				err = s.Add([]byte(fmt.Sprint(i)), bytes.Repeat([]byte("v"), 50))
			}
			if !errors.Is(err, ErrSpill) {
				t.Fatalf("Add: %v, want ErrSpill", err)
			}
		})
	}

	// Runs spilt, then the dir goes: the last spill in Iter fails.
	t.Run("dir removed before Iter", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "work")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		s := New(dir, "t", 4<<10)
		defer s.Close()
		for i := 0; s.Runs() == 0 || s.Len() < 500; i++ {
			if err := s.Add([]byte(fmt.Sprint(i)), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		it, err := s.Iter()
		if err == nil {
			it.Close()
		}
		if !errors.Is(err, ErrSpill) {
			t.Fatalf("Iter: %v, want ErrSpill", err)
		}
	})
}

// s2Chunks returns the offsets at which the S2 chunks of a framed stream
// end (a chunk is a 1-byte type, a 3-byte little-endian length and its
// data).
func s2Chunks(t *testing.T, b []byte) []int {
	t.Helper()
	var ends []int
	for off := 0; off < len(b); {
		if off+4 > len(b) {
			t.Fatalf("bad chunk header at %d", off)
		}
		n := int(b[off+1]) | int(b[off+2])<<8 | int(b[off+3])<<16
		off += 4 + n
		ends = append(ends, off)
	}
	return ends
}

// TestSorterDamagedRun damages a spilt run before the merge: the Sorter
// reports an error wrapping ErrSpill, never a short or wrong result.
func TestSorterDamagedRun(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, b []byte) []byte
		nil    bool // remove the file instead
	}{
		{name: "truncated to nothing", damage: func(t *testing.T, b []byte) []byte { return nil }},
		{name: "truncated to the stream header", damage: func(t *testing.T, b []byte) []byte { return b[:s2Chunks(t, b)[0]] }},
		{name: "truncated after the first block", damage: func(t *testing.T, b []byte) []byte {
			ends := s2Chunks(t, b)
			if len(ends) < 3 {
				t.Skipf("run of %d chunks: no block boundary inside it", len(ends))
			}
			return b[:ends[1]]
		}},
		{name: "truncated mid block", damage: func(t *testing.T, b []byte) []byte { return b[:len(b)/2] }},
		{name: "last byte cut", damage: func(t *testing.T, b []byte) []byte { return b[:len(b)-1] }},
		{name: "byte flipped", damage: func(t *testing.T, b []byte) []byte {
			b[len(b)/2] ^= 0x55
			return b
		}},
		{name: "garbage appended", damage: func(t *testing.T, b []byte) []byte { return append(b, 1, 2, 3, 4, 5) }},
		{name: "removed", nil: true},
	}
	for _, multi := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s multipass=%v", tt.name, multi), func(t *testing.T) {
				rng := rand.New(rand.NewSource(11))
				dir := t.TempDir()
				// Runs of a 160 KiB budget span several 64 KiB S2 blocks;
				// 4 KiB runs make more than MaxFanIn of them.
				budget, n := 160<<10, 12000
				if multi {
					budget, n = 4<<10, 9000
				}
				recs := randRecords(rng, n, 16, 40)
				s := New(dir, "t", budget)
				defer s.Close()
				for _, r := range recs {
					if err := s.Add(r.key, r.val); err != nil {
						t.Fatal(err)
					}
				}
				if multi && s.Runs() <= MaxFanIn {
					t.Fatalf("%d runs, want more than %d", s.Runs(), MaxFanIn)
				}
				if s.Runs() < 2 {
					t.Fatalf("%d runs, want at least 2", s.Runs())
				}
				name := s.runs[0].name
				if tt.nil {
					if err := os.Remove(name); err != nil {
						t.Fatal(err)
					}
				} else {
					b, err := os.ReadFile(name)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(name, tt.damage(t, bytes.Clone(b)), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				it, err := s.Iter()
				if err != nil {
					if !errors.Is(err, ErrSpill) {
						t.Fatalf("Iter: %v, want ErrSpill", err)
					}
					return
				}
				defer it.Close()
				got := 0
				for it.Next() {
					got++
				}
				err = it.Err()
				if err == nil {
					t.Fatalf("no error; %d records read of %d added", got, len(recs))
				}
				if !errors.Is(err, ErrSpill) {
					t.Fatalf("Err: %v, want ErrSpill", err)
				}
			})
		}
	}
}

// sign returns -1, 0 or 1 as c is negative, zero or positive.
func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// allStrings returns every string of up to n bytes drawn from alphabet.
func allStrings(alphabet []byte, n int) []string {
	out := []string{""}
	level := []string{""}
	for range n {
		var next []string
		for _, s := range level {
			for _, c := range alphabet {
				next = append(next, s+string(c))
			}
		}
		out = append(out, next...)
		level = next
	}
	return out
}

func TestAppendStringOrder(t *testing.T) {
	// Every string of up to three bytes around the escape bytes, then
	// random longer ones.
	strs := allStrings([]byte{0x00, 0x01, 0x02, 0xFE, 0xFF}, 3)
	rng := rand.New(rand.NewSource(5))
	for range 300 {
		strs = append(strs, string(randBytes(rng, 12)))
	}
	enc := make([][]byte, len(strs))
	for i, s := range strs {
		enc[i] = AppendString(nil, s)
	}
	for i, a := range strs {
		for j, b := range strs {
			if got, want := sign(bytes.Compare(enc[i], enc[j])), sign(stringsCompare(a, b)); got != want {
				t.Fatalf("Compare(AppendString(%q), AppendString(%q)) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func stringsCompare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestCompositeKeyOrder checks that keys of (string, int64, string) order as
// the tuples do, field by field.
func TestCompositeKeyOrder(t *testing.T) {
	type tuple struct {
		a string
		n int64
		b string
	}
	strs := allStrings([]byte{0x00, 0x01, 0xFF, 'a'}, 2)
	ints := []int64{-1 << 63, -1, 0, 1, 255, 256, 1<<63 - 1}
	rng := rand.New(rand.NewSource(9))
	var ts []tuple
	for range 600 {
		ts = append(ts, tuple{strs[rng.Intn(len(strs))], ints[rng.Intn(len(ints))], strs[rng.Intn(len(strs))]})
	}
	cmp := func(x, y tuple) int {
		if c := stringsCompare(x.a, y.a); c != 0 {
			return c
		}
		if x.n != y.n {
			if x.n < y.n {
				return -1
			}
			return 1
		}
		return stringsCompare(x.b, y.b)
	}
	key := func(x tuple) []byte {
		k := AppendString(nil, x.a)
		k = AppendInt64(k, x.n)
		return AppendString(k, x.b)
	}
	for _, x := range ts {
		kx := key(x)
		for _, y := range ts {
			if got, want := sign(bytes.Compare(kx, key(y))), cmp(x, y); got != want {
				t.Fatalf("key order of %+v vs %+v: %d, want %d", x, y, got, want)
			}
		}
		// And the fields read back.
		a, rest, err := ReadString(kx)
		if err != nil || a != x.a {
			t.Fatalf("ReadString(%q) = %q, %v; want %q", kx, a, err, x.a)
		}
		n, rest, err := ReadInt64(rest)
		if err != nil || n != x.n {
			t.Fatalf("ReadInt64 = %d, %v; want %d", n, err, x.n)
		}
		b, rest, err := ReadString(rest)
		if err != nil || b != x.b || len(rest) != 0 {
			t.Fatalf("ReadString = %q, rest %q, %v; want %q and nothing left", b, rest, err, x.b)
		}
	}
}

func TestReadString(t *testing.T) {
	strs := allStrings([]byte{0x00, 0x01, 0xFF, 'a'}, 3)
	rng := rand.New(rand.NewSource(13))
	for range 200 {
		strs = append(strs, string(randBytes(rng, 20)))
	}
	tail := []byte{0, 1, 0xFF, 'z'}
	for _, s := range strs {
		enc := AppendString([]byte("prefix-"), s)[len("prefix-"):]
		b := append(bytes.Clone(enc), tail...)
		got, rest, err := ReadString(b)
		if err != nil || got != s || !bytes.Equal(rest, tail) {
			t.Fatalf("ReadString(%q) = %q, rest %q, %v; want %q, rest %q", b, got, rest, err, s, tail)
		}
		skipped, err := SkipString(b)
		if err != nil || !bytes.Equal(skipped, tail) {
			t.Fatalf("SkipString(%q) = %q, %v; want %q", b, skipped, err, tail)
		}
		// No encoding is a prefix of another's: every proper prefix is
		// malformed.
		for i := range len(enc) {
			if _, _, err := ReadString(enc[:i]); !errors.Is(err, ErrBadKey) {
				t.Fatalf("ReadString(%q), a prefix of %q's encoding: %v, want ErrBadKey", enc[:i], s, err)
			}
			if _, err := SkipString(enc[:i]); !errors.Is(err, ErrBadKey) {
				t.Fatalf("SkipString(%q), a prefix of %q's encoding: %v, want ErrBadKey", enc[:i], s, err)
			}
		}
	}
	// A NUL followed by anything but 0x01 or 0xFF is no encoding.
	for _, b := range [][]byte{{0, 0}, {'a', 0, 2}, {0, 0xFF, 0, 0x80}} {
		if _, _, err := ReadString(b); !errors.Is(err, ErrBadKey) {
			t.Errorf("ReadString(%q): %v, want ErrBadKey", b, err)
		}
		if _, err := SkipString(b); !errors.Is(err, ErrBadKey) {
			t.Errorf("SkipString(%q): %v, want ErrBadKey", b, err)
		}
	}
}

func TestAppendInt64(t *testing.T) {
	vals := []int64{-1 << 63, -1<<63 + 1, -1 << 32, -256, -255, -2, -1, 0, 1, 2, 255, 256, 1 << 32, 1<<63 - 2, 1<<63 - 1}
	rng := rand.New(rand.NewSource(17))
	for range 200 {
		vals = append(vals, int64(rng.Uint64()))
	}
	for _, x := range vals {
		kx := AppendInt64(nil, x)
		if len(kx) != 8 {
			t.Fatalf("AppendInt64(%d) is %d bytes, want 8", x, len(kx))
		}
		got, rest, err := ReadInt64(append(kx, 'r'))
		if err != nil || got != x || string(rest) != "r" {
			t.Fatalf("ReadInt64(AppendInt64(%d)) = %d, rest %q, %v", x, got, rest, err)
		}
		for _, y := range vals {
			want := 0
			if x < y {
				want = -1
			} else if x > y {
				want = 1
			}
			if c := sign(bytes.Compare(kx, AppendInt64(nil, y))); c != want {
				t.Fatalf("Compare(AppendInt64(%d), AppendInt64(%d)) = %d, want %d", x, y, c, want)
			}
		}
	}
	for n := range 8 {
		if _, _, err := ReadInt64(make([]byte, n)); !errors.Is(err, ErrBadKey) {
			t.Errorf("ReadInt64 of %d bytes: %v, want ErrBadKey", n, err)
		}
	}
}
