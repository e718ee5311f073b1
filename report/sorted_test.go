package report

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// collect is a Writer that keeps what it is given.
type collect struct {
	got            []Finding
	closed, abortd bool
}

func (c *collect) Write(f *Finding) error { c.got = append(c.got, *f); return nil }
func (c *collect) Close() error           { c.closed = true; return nil }
func (c *collect) Abort() error           { c.abortd = true; return nil }

// TestSorted: findings come out by time, rule, source, index and details
// whatever order they went in, every field intact, in memory and spilled.
func TestSorted(t *testing.T) {
	base := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	var want []Finding
	for i := range 3000 {
		f := sampleFindings(t)[i%3]
		f.Raw = strings.Repeat("r", i%50)
		f.EventTime = base.Add(time.Duration(i/12) * time.Second) // twelve findings a second
		if i%12 == 11 {
			f.EventTime = time.Time{} // no time: first
		}
		f.RuleID = fmt.Sprintf("rule-%d", i%3)
		f.SourceURI = fmt.Sprintf("s3://b/%d", i%2)
		f.RecordIndex = int64(i % 5)
		f.Details = fmt.Sprintf("d%d", i%7)
		want = append(want, f)
	}
	order := func(a, b Finding) int {
		if c := a.EventTime.Compare(b.EventTime); c != 0 {
			return c
		}
		if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
			return c
		}
		if c := strings.Compare(a.SourceURI, b.SourceURI); c != 0 {
			return c
		}
		if a.RecordIndex != b.RecordIndex {
			return int(a.RecordIndex - b.RecordIndex)
		}
		return strings.Compare(a.Details, b.Details)
	}
	for i := range want {
		want[i].EventTime = want[i].EventTime.UTC()
	}
	var first []Finding
	for _, memory := range []int{64 << 20, 16 << 10} {
		dir := t.TempDir()
		in := slices.Clone(want)
		rand.New(rand.NewPCG(1, uint64(memory))).Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		var c collect
		s := NewSorted(&c, SortOptions{Dir: dir, Memory: memory})
		for i := range in {
			if err := s.Write(&in[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil || !c.closed {
			t.Fatalf("memory %d: Close = %v, inner closed %v", memory, err, c.closed)
		}
		runs, _ := s.Spilt()
		if memory < 1<<20 && runs < 2 {
			t.Errorf("memory %d: %d runs spilt, want several", memory, runs)
		}
		if !slices.IsSortedFunc(c.got, order) {
			t.Errorf("memory %d: not in output order", memory)
		}
		// Every field intact: the same findings as went in.
		str := func(fs []Finding) []string {
			var out []string
			for _, f := range fs {
				out = append(out, fmt.Sprintf("%#v", f))
			}
			slices.Sort(out)
			return out
		}
		if !slices.Equal(str(c.got), str(want)) {
			t.Fatalf("memory %d: %d findings out, not the %d that went in", memory, len(c.got), len(want))
		}
		// Findings equal in every key field (they differ in Raw) come out
		// in the same order whatever order they went in.
		if first == nil {
			first = c.got
		} else if !reflect.DeepEqual(c.got, first) {
			t.Errorf("memory %d: another order than the first pass's", memory)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("memory %d: %d files left in the work directory", memory, len(left))
		}
	}
}

// TestSortedAbort: Abort removes the spilt runs and aborts the inner
// writer, which gets no findings; Close afterwards is ErrClosed.
func TestSortedAbort(t *testing.T) {
	dir := t.TempDir()
	var c collect
	s := NewSorted(&c, SortOptions{Dir: dir, Memory: 4 << 10})
	for range 200 {
		f := sampleFindings(t)[0]
		if err := s.Write(&f); err != nil {
			t.Fatal(err)
		}
	}
	if runs, _ := s.Spilt(); runs == 0 {
		t.Fatal("nothing spilt")
	}
	if err := s.Abort(); err != nil || !c.abortd || len(c.got) != 0 {
		t.Fatalf("Abort = %v, inner aborted %v with %d findings", err, c.abortd, len(c.got))
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d files left in the work directory", len(left))
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("Close after Abort = %v, want ErrClosed", err)
	}
	f := sampleFindings(t)[0]
	if err := s.Write(&f); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Abort = %v, want ErrClosed", err)
	}
}

// failAfter is a collect whose Write fails from the nth finding on.
type failAfter struct {
	collect
	n int
}

var errWrite = errors.New("disk full")

func (f *failAfter) Write(g *Finding) error {
	if len(f.got) == f.n {
		return errWrite
	}
	return f.collect.Write(g)
}

// TestSortedWriteFails: when the inner writer fails, Close stops reading
// (findings decoded ahead included), returns its error and aborts it,
// leaving nothing in the work directory; the findings before the failure
// were written in order.
func TestSortedWriteFails(t *testing.T) {
	base := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{0, 1, drainBatch - 1, drainBatch, 3*drainBatch + 7, 5000} {
		for _, memory := range []int{64 << 20, 16 << 10} {
			dir := t.TempDir()
			w := &failAfter{n: n}
			s := NewSorted(w, SortOptions{Dir: dir, Memory: memory})
			for i := range 4000 {
				f := sampleFindings(t)[i%3]
				f.EventTime = base.Add(time.Duration(4000-i) * time.Second)
				if err := s.Write(&f); err != nil {
					t.Fatal(err)
				}
			}
			err := s.Close()
			if n < 4000 && (!errors.Is(err, errWrite) || !w.abortd || len(w.got) != n) {
				t.Errorf("fail at %d, memory %d: Close = %v, aborted %v, %d written", n, memory, err, w.abortd, len(w.got))
			}
			if n >= 4000 && (err != nil || !w.closed || len(w.got) != 4000) {
				t.Errorf("fail at %d, memory %d: Close = %v, closed %v, %d written", n, memory, err, w.closed, len(w.got))
			}
			if !slices.IsSortedFunc(w.got, func(a, b Finding) int { return a.EventTime.Compare(b.EventTime) }) {
				t.Errorf("fail at %d, memory %d: not in order", n, memory)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("fail at %d, memory %d: %d files left in the work directory", n, memory, len(left))
			}
		}
	}
}
