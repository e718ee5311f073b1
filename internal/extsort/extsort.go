// Package extsort sorts records larger than memory: byte-string keys with
// byte-string values, held in one buffer up to a budget and spilled as
// sorted runs to files in a work directory when it fills, then merged.
//
// Memory is the budget: records in memory while adding; while merging, the
// read buffers of the runs merged at once (as many as half the budget
// holds, at most MaxFanIn); more runs are merged in passes. Cost is n·log n
// in the records, linear in the bytes: every record is written and read
// once per pass.
package extsort

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/klauspost/compress/s2"
)

// MaxFanIn is the most runs merged at once; blockSize the size of a run's
// compressed blocks; runCost what reading one run holds in memory (a
// compressed and a decoded block, a small read buffer, the current record).
const (
	MaxFanIn  = 64
	blockSize = 64 << 10
	readBuf   = 16 << 10
	runCost   = 3*blockSize + readBuf
)

// ErrSpill wraps every failure to write or read a run: the work directory
// is full, gone or not writable.
var ErrSpill = errors.New("spill to the work directory failed")

// Sorter collects records and returns them sorted by key (bytes.Compare);
// records with equal keys come back in no particular order. It is not safe
// for concurrent use.
type Sorter struct {
	dir    string
	name   string
	budget int

	fanIn int

	buf    []byte // key and value bytes of the records in memory
	index  []span // one per record in buf
	runs   []run
	n      int64 // records added
	spills int   // runs written from memory
	spilt  int64 // record bytes spilt from memory (before compression)
}

type span struct{ off, klen, vlen uint32 }

// run is a file of sorted records and how many it holds: reading it back
// checks the count, so a run cut short at a block boundary (or emptied)
// fails instead of losing its tail.
type run struct {
	name string
	n    int64
}

// indexCost is what one record's span costs in memory.
const indexCost = 12

// New returns a Sorter that keeps up to budget bytes in memory (at least
// 4 KiB) and spills runs named name-*.run into dir.
func New(dir, name string, budget int) *Sorter {
	budget = max(budget, 4<<10)
	return &Sorter{dir: dir, name: name, budget: budget, fanIn: min(MaxFanIn, max(2, budget/2/runCost))}
}

// Add copies the record (key, val). It fails only when a spill fails.
func (s *Sorter) Add(key, val []byte) error {
	need := len(key) + len(val)
	if len(s.buf)+need+(len(s.index)+1)*indexCost > s.budget && len(s.index) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	if len(s.buf)+need > cap(s.buf) {
		// Grow to at most the budget (a record larger than the budget
		// alone gets a buffer of its size).
		c := min(max(2*cap(s.buf), 64<<10, len(s.buf)+need), max(s.budget, len(s.buf)+need))
		s.buf = slices.Grow(s.buf, c-len(s.buf))
	}
	s.index = append(s.index, span{off: uint32(len(s.buf)), klen: uint32(len(key)), vlen: uint32(len(val))})
	s.buf = append(s.buf, key...)
	s.buf = append(s.buf, val...)
	s.n++
	return nil
}

// Len returns the number of records added.
func (s *Sorter) Len() int64 { return s.n }

// Runs returns the number of runs spilt from memory so far; SpiltBytes the
// bytes of the records they held (before compression, merge passes not
// counted): the part of the data that did not fit. Both stay after Close.
func (s *Sorter) Runs() int         { return s.spills }
func (s *Sorter) SpiltBytes() int64 { return s.spilt }

func (s *Sorter) key(sp span) []byte { return s.buf[sp.off : sp.off+sp.klen] }

func (s *Sorter) sortIndex() {
	slices.SortFunc(s.index, func(a, b span) int { return bytes.Compare(s.key(a), s.key(b)) })
}

// spill writes the records in memory as one sorted run.
func (s *Sorter) spill() error {
	s.sortIndex()
	f, err := os.CreateTemp(s.dir, s.name+"-*.run")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSpill, err)
	}
	s.runs = append(s.runs, run{name: f.Name(), n: int64(len(s.index))})
	s.spills++
	w := newRunWriter(f)
	var hdr [2 * binary.MaxVarintLen32]byte
	for _, sp := range s.index {
		n := binary.PutUvarint(hdr[:], uint64(sp.klen))
		n += binary.PutUvarint(hdr[n:], uint64(sp.vlen))
		w.Write(hdr[:n])
		w.Write(s.buf[sp.off : sp.off+sp.klen+sp.vlen])
		s.spilt += int64(n) + int64(sp.klen+sp.vlen)
	}
	err = w.Close()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSpill, f.Name(), err)
	}
	s.buf, s.index = s.buf[:0], s.index[:0]
	return nil
}

// Iter returns the records in key order. The Sorter takes no more records
// afterwards; Close it when done.
func (s *Sorter) Iter() (*Iter, error) {
	if len(s.runs) == 0 {
		s.sortIndex()
		return &Iter{mem: s, pos: -1}, nil
	}
	if len(s.index) > 0 {
		if err := s.spill(); err != nil {
			return nil, err
		}
	}
	// Merge in passes until fanIn runs remain.
	for len(s.runs) > s.fanIn {
		var next []run
		for i := 0; i < len(s.runs); i += s.fanIn {
			group := s.runs[i:min(i+s.fanIn, len(s.runs))]
			r, err := s.mergeRun(group)
			if err != nil {
				s.runs = append(next, s.runs[i:]...)
				return nil, err
			}
			next = append(next, r)
		}
		s.runs = next
	}
	m, err := openMerge(s.runs)
	if err != nil {
		return nil, err
	}
	return &Iter{merge: m}, nil
}

// mergeRun merges runs into one new run and removes them.
func (s *Sorter) mergeRun(runs []run) (run, error) {
	m, err := openMerge(runs)
	if err != nil {
		return run{}, err
	}
	defer m.close()
	f, err := os.CreateTemp(s.dir, s.name+"-*.run")
	if err != nil {
		return run{}, fmt.Errorf("%w: %w", ErrSpill, err)
	}
	var nrec int64
	w := newRunWriter(f)
	var hdr [2 * binary.MaxVarintLen32]byte
	for m.next() {
		n := binary.PutUvarint(hdr[:], uint64(len(m.key)))
		n += binary.PutUvarint(hdr[n:], uint64(len(m.val)))
		w.Write(hdr[:n])
		w.Write(m.key)
		w.Write(m.val)
		nrec++
	}
	err = m.err
	if ferr := w.Close(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		if errors.Is(err, ErrSpill) { // a run merged from, named already
			return run{}, err
		}
		return run{}, fmt.Errorf("%w: %s: %w", ErrSpill, f.Name(), err)
	}
	for _, r := range runs {
		os.Remove(r.name)
	}
	return run{name: f.Name(), n: nrec}, nil
}

// Close removes the Sorter's runs.
func (s *Sorter) Close() error {
	var errs []error
	for _, r := range s.runs {
		if err := os.Remove(r.name); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.runs, s.buf, s.index = nil, nil, nil
	return errors.Join(errs...)
}

// Iter walks sorted records. Key and Value are valid until the next Next.
type Iter struct {
	mem      *Sorter
	pos      int
	merge    *merger
	key, val []byte
	err      error
}

// Next advances to the next record; false at the end or on an error (Err).
func (it *Iter) Next() bool {
	if it.mem != nil {
		it.pos++
		if it.pos >= len(it.mem.index) {
			return false
		}
		sp := it.mem.index[it.pos]
		it.key = it.mem.buf[sp.off : sp.off+sp.klen]
		it.val = it.mem.buf[sp.off+sp.klen : sp.off+sp.klen+sp.vlen]
		return true
	}
	if it.merge == nil || !it.merge.next() {
		if it.merge != nil {
			it.err = it.merge.err
		}
		return false
	}
	it.key, it.val = it.merge.key, it.merge.val
	return true
}

func (it *Iter) Key() []byte   { return it.key }
func (it *Iter) Value() []byte { return it.val }
func (it *Iter) Err() error    { return it.err }

// Close releases the runs' files (the Sorter's Close removes them).
func (it *Iter) Close() {
	if it.merge != nil {
		it.merge.close()
	}
}

// newRunWriter writes a run to f. Runs are compressed with S2 (Snappy's
// faster successor): aggregate events repeat their rule, object and
// identity strings, and writing a third of the bytes costs less than the
// compression, most of all where the page cache's copy is slow.
func newRunWriter(f *os.File) *s2.Writer {
	return s2.NewWriter(f, s2.WriterConcurrency(1), s2.WriterBlockSize(blockSize))
}

// runReader reads one run.
type runReader struct {
	f         *os.File
	r         *bufio.Reader
	key, val  []byte
	scratch   []byte
	want, got int64 // records the run holds, records read
}

func (r *runReader) read() (bool, error) {
	kl, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		if r.got != r.want {
			return false, fmt.Errorf("%w: %d of its %d records", io.ErrUnexpectedEOF, r.got, r.want)
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if r.got++; r.got > r.want {
		return false, fmt.Errorf("more than the %d records written", r.want)
	}
	vl, err := binary.ReadUvarint(r.r)
	if err != nil {
		return false, err
	}
	n := int(kl + vl)
	if cap(r.scratch) < n {
		r.scratch = make([]byte, n)
	}
	b := r.scratch[:n]
	if _, err := io.ReadFull(r.r, b); err != nil {
		return false, err
	}
	r.key, r.val = b[:kl], b[kl:]
	return true, nil
}

// merger merges runs through a heap of their readers.
type merger struct {
	h        runHeap
	all      []*runReader
	last     *runReader // the reader whose record was returned last
	key, val []byte
	err      error
}

func openMerge(runs []run) (*merger, error) {
	m := &merger{}
	for _, rn := range runs {
		name := rn.name
		f, err := os.Open(name)
		if err != nil {
			m.close()
			return nil, fmt.Errorf("%w: %w", ErrSpill, err)
		}
		zr := s2.NewReader(f, s2.ReaderMaxBlockSize(blockSize), s2.ReaderAllocBlock(blockSize))
		r := &runReader{f: f, r: bufio.NewReaderSize(zr, readBuf), want: rn.n}
		m.all = append(m.all, r)
		ok, err := r.read()
		if err != nil {
			m.close()
			return nil, fmt.Errorf("%w: %s: %w", ErrSpill, name, err)
		}
		if ok {
			m.h = append(m.h, r)
		}
	}
	heap.Init(&m.h)
	return m, nil
}

func (m *merger) next() bool {
	if m.last != nil {
		// Advance the reader whose record the caller has seen: its bytes
		// were valid until now.
		ok, err := m.last.read()
		if err != nil {
			m.err = fmt.Errorf("%w: %s: %w", ErrSpill, m.last.f.Name(), err)
			return false
		}
		if ok {
			heap.Fix(&m.h, 0)
		} else {
			heap.Pop(&m.h)
		}
		m.last = nil
	}
	if len(m.h) == 0 {
		return false
	}
	m.last = m.h[0]
	m.key, m.val = m.last.key, m.last.val
	return true
}

func (m *merger) close() {
	for _, r := range m.all {
		r.f.Close()
	}
	m.all, m.h = nil, nil
}

type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return bytes.Compare(h[i].key, h[j].key) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
