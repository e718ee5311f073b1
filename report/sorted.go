package report

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/trailsweep/trailsweep/internal/extsort"
)

// SortOptions say how much a Sorted writer holds in memory and where the
// rest spills.
type SortOptions struct {
	Dir    string // work directory for spilled runs ("": the OS temporary directory)
	Memory int    // bytes of findings held in memory before a run spills
}

// Sorted is a Writer that writes findings to another Writer in output
// order, whatever the order they arrive in: by event time, then rule id,
// then source URI, then record index, then details; findings equal in all
// of these by their encoding. Write only buffers (in an external sort,
// spilling compressed runs to SortOptions.Dir beyond SortOptions.Memory);
// Close writes every finding to the inner Writer and closes it. So the
// same findings give the same file, byte for byte, whatever the worker
// count, the timing or the number of resumptions.
type Sorted struct {
	w      Writer
	s      *extsort.Sorter
	key    []byte
	val    []byte
	closed bool
	err    error // Close's result
	// integrity, when set, gives each finding's Integrity from its
	// SourceURI as Close writes it.
	integrity func(sourceURI string) string
}

// SetIntegrity makes Close set each finding's Integrity to fn(SourceURI):
// a log's integrity is known only once the scan has read every digest.
func (s *Sorted) SetIntegrity(fn func(sourceURI string) string) { s.integrity = fn }

var _ Writer = (*Sorted)(nil)

// NewSorted returns a Sorted writer in front of w.
func NewSorted(w Writer, opts SortOptions) *Sorted {
	return &Sorted{w: w, s: extsort.New(opts.Dir, "findings", opts.Memory)}
}

// Write buffers a copy of f. It fails when a run cannot spill
// (extsort.ErrSpill).
func (s *Sorted) Write(f *Finding) error {
	if s.closed {
		return ErrClosed
	}
	// The key carries SourceURI and Details; the value is the rest.
	g := *f
	g.SourceURI, g.Details = "", ""
	s.val = AppendFinding(s.val[:0], &g)
	k := extsort.AppendTime(s.key[:0], f.EventTime)
	k = extsort.AppendString(k, f.RuleID)
	k = extsort.AppendString(k, f.SourceURI)
	k = extsort.AppendInt64(k, f.RecordIndex)
	k = extsort.AppendString(k, f.Details)
	k = binary.BigEndian.AppendUint64(k, fnv64a(s.val))
	s.key = k
	return s.s.Add(k, s.val)
}

// Close writes the findings in order to the inner Writer and closes it; on
// any failure the inner Writer is aborted and the error returned. A second
// Close returns the first one's result.
func (s *Sorted) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	s.err = s.drain()
	if cerr := s.s.Close(); s.err == nil && cerr != nil {
		s.err = fmt.Errorf("%w: %w", extsort.ErrSpill, cerr)
	}
	if s.err != nil {
		_ = s.w.Abort()
		return s.err
	}
	s.err = s.w.Close()
	return s.err
}

// drain writes the sorted findings to the inner Writer. A goroutine of its
// own reads and decodes them, a few batches ahead of the writer, so that
// the two share the cores: once the scan has ended nothing else runs.
func (s *Sorted) drain() error {
	it, err := s.s.Iter()
	if err != nil {
		return err
	}
	defer it.Close()
	free := make(chan []Finding, drainBatches)
	for range drainBatches {
		free <- make([]Finding, 0, drainBatch)
	}
	full := make(chan []Finding, drainBatches)
	done := make(chan struct{}) // closed when the writer stops
	var derr error              // the reader's, read once full is closed
	go func() {
		defer close(full)
		for more := true; more; {
			var b []Finding
			select {
			case <-done:
				return
			default:
			}
			select {
			case b = <-free:
			case <-done:
				return
			}
			for len(b) < cap(b) {
				if more = it.Next(); !more {
					derr = it.Err()
					break
				}
				b = append(b, Finding{})
				if err := decodeSorted(it.Key(), it.Value(), &b[len(b)-1]); err != nil {
					derr, more, b = err, false, b[:len(b)-1]
					break
				}
			}
			full <- b // never blocks: there are as many batches as room
		}
	}()
	var werr error
	for b := range full {
		for i := 0; werr == nil && i < len(b); i++ {
			f := &b[i]
			if s.integrity != nil {
				f.Integrity = s.integrity(f.SourceURI)
			}
			werr = s.w.Write(f)
		}
		if werr != nil {
			close(done)
			for range full { // until the reader has stopped using it
			}
			return werr
		}
		clear(b) // keeps no finding's strings alive
		free <- b[:0]
	}
	return derr
}

// The findings drain decodes ahead of the writer: drainBatches batches of
// drainBatch.
const (
	drainBatch   = 256
	drainBatches = 4
)

// decodeSorted decodes a finding Write encoded as key and val.
func decodeSorted(key, val []byte, f *Finding) error {
	if err := DecodeFinding(val, f); err != nil {
		return err
	}
	_, k, err := extsort.ReadTime(key)
	if err == nil {
		k, err = extsort.SkipString(k) // the rule id
	}
	if err == nil {
		f.SourceURI, k, err = extsort.ReadString(k)
	}
	if err == nil {
		_, k, err = extsort.ReadInt64(k)
	}
	if err == nil {
		f.Details, _, err = extsort.ReadString(k)
	}
	if err != nil {
		return errors.Join(ErrBadEncoding, err)
	}
	return nil
}

// Abort discards the buffered findings (and their runs) and aborts the
// inner Writer. Abort after Close is a no-op.
func (s *Sorted) Abort() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.err = ErrClosed
	return errors.Join(s.s.Close(), s.w.Abort())
}

// Spilt returns the runs the sort spilt to the work directory and the bytes
// they held before compression.
func (s *Sorted) Spilt() (runs int, bytes int64) { return s.s.Runs(), s.s.SpiltBytes() }

// fnv64a is the 64-bit FNV-1a hash of b: the last key field, which orders
// findings equal in every other one (the same rule id twice in a rule set)
// the same way in every run.
func fnv64a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
