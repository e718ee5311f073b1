package scan

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/klauspost/compress/s2"

	"github.com/trailsweep/trailsweep/internal/binenc"
	"github.com/trailsweep/trailsweep/report"
)

// A part is an S2 stream (klauspost/compress/s2's framed format) of
// entries, one an object committed: each entry's length (a uvarint), then
// in internal/binenc's forms its URI, ETag, failure (a flag, then the
// failure's URI, reason and kind), stored and decompressed bytes, record
// counts (read, evaluated, outside the window, malformed, then the
// malformed reasons: a count, then each reason and its count, in order),
// findings (a count, then each as report.AppendFinding writes it, after its
// length) and aggregate events (as appendEvents writes them, after their
// length). Findings keep every field exactly, invalid UTF-8 included.

// errBadEntry is returned for a part entry appendEntry did not write.
var errBadEntry = errors.New("bad checkpoint entry")

// maxEntry bounds the length a part may give an entry, so that a damaged
// part fails instead of asking for any amount of memory.
const maxEntry = 1 << 32

// appendEntry appends e's encoding (without its length) to b; scratch is
// reused for each finding's encoding and returned for the next call.
func appendEntry(b []byte, e *entry, scratch []byte) ([]byte, []byte) {
	b = binenc.AppendString(b, e.URI)
	b = binenc.AppendString(b, e.ETag)
	b = binenc.AppendBool(b, e.Failure != nil)
	if f := e.Failure; f != nil {
		b = binenc.AppendString(b, f.URI)
		b = binenc.AppendString(b, f.Reason)
		b = binenc.AppendString(b, f.Kind)
	}
	b = binary.AppendVarint(b, e.BytesIn)
	b = binary.AppendVarint(b, e.BytesOut)
	r := &e.Records
	for _, n := range [...]int64{r.Read, r.Evaluated, r.OutsideWindow, r.Malformed} {
		b = binary.AppendVarint(b, n)
	}
	b = binary.AppendUvarint(b, uint64(len(r.MalformedBy)))
	reasons := make([]string, 0, len(r.MalformedBy))
	for k := range r.MalformedBy {
		reasons = append(reasons, k)
	}
	slices.Sort(reasons)
	for _, k := range reasons {
		b = binenc.AppendString(b, k)
		b = binary.AppendVarint(b, r.MalformedBy[k])
	}
	b = binary.AppendUvarint(b, uint64(len(e.Findings)))
	for i := range e.Findings {
		scratch = report.AppendFinding(scratch[:0], &e.Findings[i])
		b = binary.AppendUvarint(b, uint64(len(scratch)))
		b = append(b, scratch...)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Events)))
	return append(b, e.Events...), scratch
}

// decodeEntry decodes what appendEntry wrote into e; with head, only the
// URI, ETag and failure. e.Events is a slice of b.
func decodeEntry(b []byte, head bool, e *entry) error {
	d := binenc.NewReader(b)
	e.URI, e.ETag = d.String(), d.String()
	if d.Bool() {
		e.Failure = &report.ObjectFailure{URI: d.String(), Reason: d.String(), Kind: d.String()}
	}
	if head {
		if d.Bad() {
			return errBadEntry
		}
		return nil
	}
	e.BytesIn, e.BytesOut = d.Varint(), d.Varint()
	r := &e.Records
	for _, p := range [...]*int64{&r.Read, &r.Evaluated, &r.OutsideWindow, &r.Malformed} {
		*p = d.Varint()
	}
	n := d.Uvarint()
	if n > uint64(d.Len()) {
		return errBadEntry
	}
	for range n {
		if r.MalformedBy == nil {
			r.MalformedBy = make(map[string]int64, n)
		}
		k := d.String()
		r.MalformedBy[k] = d.Varint()
	}
	n = d.Uvarint()
	if n > uint64(d.Len()) {
		return errBadEntry
	}
	if n > 0 {
		e.Findings = make([]report.Finding, n)
	}
	for i := range e.Findings {
		fb := d.Bytes()
		if d.Bad() {
			return errBadEntry
		}
		if err := report.DecodeFinding(fb, &e.Findings[i]); err != nil {
			return err
		}
	}
	e.Events = d.Bytes()
	if len(e.Events) == 0 {
		e.Events = nil
	}
	if d.Bad() || d.Len() != 0 {
		return errBadEntry
	}
	return nil
}

// readPart calls fn for each entry of a part, in order; with head, the
// entries hold only their URI, ETag and failure. An entry's Events are
// valid until fn returns.
func readPart(path string, head bool, fn func(*entry) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(s2.NewReader(f), 1<<16)
	var buf []byte
	for {
		n, err := binary.ReadUvarint(br)
		if err == io.EOF {
			return nil
		}
		if err == nil && n > maxEntry {
			err = errBadEntry
		}
		if err == nil {
			buf = slices.Grow(buf[:0], int(n))[:n]
			_, err = io.ReadFull(br, buf)
		}
		var e entry
		if err == nil {
			err = decodeEntry(buf, head, &e)
		}
		if err == nil && e.URI == "" {
			err = errors.New("entry without uri")
		}
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", path, err)
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
}

// CheckpointEntries calls fn for each object entry of the parts of the
// checkpoint in dir, in the order they were committed: the object's URI,
// its findings and its aggregate events as stored (a count, then the
// events; valid until fn returns). For tools and tests that look inside a
// checkpoint; it takes no lock.
func CheckpointEntries(dir string, fn func(uri string, findings []report.Finding, events []byte) error) error {
	parts, err := listParts(dir, false)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := readPart(p.path, false, func(e *entry) error { return fn(e.URI, e.Findings, e.Events) }); err != nil {
			return err
		}
	}
	return nil
}
