package reader

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
)

// DecodeOptions limit what a Decoder accepts. Zero fields take the defaults.
type DecodeOptions struct {
	MaxRecordBytes int   // longest record; DefaultMaxRecordBytes when 0
	MaxObjectBytes int64 // most bytes one object may decompress to; DefaultMaxObjectBytes when 0
	// Index selects the objects of a record whose members the member
	// index lists (Decoder.Index); nil: every object reached through
	// objects.
	Index *IndexPaths
}

// Defaults of DecodeOptions.
const (
	DefaultMaxRecordBytes       = 8 << 20
	DefaultMaxObjectBytes int64 = 2 << 30
)

// Sentinels of decoding errors. Decoding errors are *DecodeError values
// that wrap one of them; test with errors.Is.
var (
	ErrCorruptGzip    = errors.New("corrupt gzip")
	ErrTruncated      = errors.New("truncated")
	ErrNotJSON        = errors.New("not json")
	ErrNotCloudTrail  = errors.New("not a cloudtrail log")
	ErrRecordTooLarge = errors.New("record too large")
	ErrObjectTooLarge = errors.New("object too large")
	ErrInvalidUTF8    = errors.New("invalid utf-8")
	// ErrBadRecord: a record whose brackets and strings are sound but
	// whose JSON is not (a bad number, a missing colon or comma). Like
	// ErrRecordTooLarge it is skipped, and Next may be called again.
	ErrBadRecord = errors.New("record is not valid json")
)

// DecodeError is a decoding failure at a byte offset of the decompressed
// stream.
type DecodeError struct {
	Err    error  // one of the Err* sentinels of this package
	Reason string // what was wrong, e.g. "json ends inside a string"
	Offset int64  // decompressed byte offset where it was found
	Cause  error  // the underlying error (e.g. from gzip), or nil
}

func (e *DecodeError) Error() string {
	reason := e.Reason
	if e.Cause != nil {
		reason += ": " + e.Cause.Error()
	}
	return fmt.Sprintf("%v: %s at byte %d", e.Err, reason, e.Offset)
}

// Unwrap returns the sentinel and the cause.
func (e *DecodeError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// Decoder splits one log object into raw JSON records, streaming: it holds
// a read buffer and at most one record in memory, never the object. (A
// top-level object is held until it is known not to be a record, so up to
// MaxRecordBytes of, say, keys skipped before Records; memory stays below
// about twice MaxRecordBytes.)
//
// The input may be gzip (recognised by its magic bytes, not its name;
// concatenated members are read in sequence) or plain. Its JSON may be
// {"Records":[…]} (other top-level keys, before or after, are skipped), a
// bare array of records, or objects one after another (NDJSON). Several
// such values may follow each other, as when gzip files are concatenated.
// A top-level object without a Records array is taken as a record when it
// has an eventVersion, eventTime, eventName, eventSource or eventID key, and
// otherwise fails with ErrNotCloudTrail (a digest file, say).
//
// The decoder checks the structure: strings and escapes, bracket nesting,
// separators between records, that records are objects, and UTF-8. Within
// a record it checks the whole JSON grammar (numbers, literals, colons and
// commas): a record whose brackets are sound but whose JSON is not is
// skipped with ErrBadRecord, and the records after it are still read.
//
// A Decoder is not safe for concurrent use; reuse one per goroutine with
// Reset.
type Decoder struct {
	maxRec int
	maxObj int64

	in countReader
	// direct is the input when it is a *bytes.Reader, read without br;
	// directAt is where it stood at Reset.
	direct   *bytes.Reader
	directAt int64
	br       *bufio.Reader
	zr       *gzip.Reader
	src      io.Reader // decompressed bytes: br or zr
	gz       bool

	buf      []byte
	pos      int       // next unread byte
	w        int       // end of the data in buf
	start    int       // start of the value being retained
	retain   bool      // keep buf[start:] across reads
	overflow bool      // the retained value outgrew maxRec and was let go
	recOff   int64     // stream offset of the value being retained
	base     int64     // stream offset of buf[0]
	out      int64     // decompressed bytes read
	rerr     error     // sticky read error, io.EOF at the end
	hash     io.Writer // gets every decompressed byte read (HashTo)

	capture bool         // index the record's members; grammar errors spare the stream
	bad     *DecodeError // the grammar error of the record being read
	ents    []int32      // the record's member index (Index), IndexWidth per member
	owner   int32        // the member whose value the next composite is (-1: the record)
	// colon and end are relative to start, as the index is: the ws() after
	// them may read more input, which moves the retained value to buf[0].
	colon int         // where member() found the colon
	end   int         // where afterMember() found the ',' or '}' after the value
	own   []int32     // per open container of composite: its member, or -2 when not indexed
	cur   []int32     // per open container: its latest member, -1 before the first
	paths *IndexPaths // DecodeOptions.Index, nil when it indexes every object

	state     int
	inRecords bool // the array being read is a Records array
	values    int  // top-level values begun
	stack     []byte
	hi        uint64 // OR of string bytes scanned in the current record
	err       error  // sticky decoding error

	// With AVX2 (useStopBits), sb covers buf[:w] at all times: composite
	// skips strings through it, and record checks UTF-8 when sb.anyHigh
	// finds non-ASCII bytes as well as when hi does.
	useSB bool
	sb    stopBits
}

// Decoder states between calls to Next.
const (
	stTop   = iota // before a top-level value
	stFirst        // after the '[' of an array of records
	stNext         // after a record in an array
	stTail         // after the Records array, inside the top-level object
)

const (
	initialBuf = 128 << 10
	minRead    = 32 << 10
	maxDepth   = 512
	// maxRecordDepth bounds the nesting within a record: fastjson, which
	// parses a record's members, refuses deeper values.
	maxRecordDepth = 300
)

// NewDecoder returns a Decoder reading r. It reads the gzip header if r
// starts with one, and fails with ErrCorruptGzip or ErrTruncated when it is
// bad.
func NewDecoder(r io.Reader, opts DecodeOptions) (*Decoder, error) {
	d := &Decoder{buf: make([]byte, initialBuf)}
	d.maxRec, d.maxObj = opts.MaxRecordBytes, opts.MaxObjectBytes
	if opts.Index != nil && !opts.Index.all {
		d.paths = opts.Index
	}
	if d.maxRec <= 0 {
		d.maxRec = DefaultMaxRecordBytes
	}
	if d.maxObj <= 0 {
		d.maxObj = DefaultMaxObjectBytes
	}
	if err := d.Reset(r); err != nil {
		return nil, err
	}
	return d, nil
}

// Reset makes d read r from the start, with the same options, reusing its
// buffers. It fails as NewDecoder does.
func (d *Decoder) Reset(r io.Reader) error {
	if len(d.buf) > 1<<20 { // do not keep what one huge record needed
		d.buf = make([]byte, initialBuf)
		d.sb = stopBits{} // nor its bitmaps
	}
	d.pos, d.w, d.start, d.base, d.out = 0, 0, 0, 0, 0
	d.retain, d.overflow, d.rerr, d.err = false, false, nil, nil
	d.hash = nil
	d.state, d.inRecords, d.values, d.hi = stTop, false, 0, 0
	d.useSB, d.sb.n = useStopBits, 0
	if br, ok := r.(*bytes.Reader); ok {
		// In memory already (the scanner's case): inflate straight from
		// it, which klauspost/compress does faster than through bufio.
		d.in, d.direct, d.directAt = countReader{}, br, br.Size()-int64(br.Len())
		d.src, d.gz = br, false
		var magic [2]byte
		if n, _ := br.ReadAt(magic[:], d.directAt); n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			return d.startGzip(br)
		}
		return nil
	}
	d.direct = nil
	d.in = countReader{r: r}
	if d.br == nil {
		d.br = bufio.NewReaderSize(&d.in, 64<<10)
	} else {
		d.br.Reset(&d.in)
	}
	d.src, d.gz = d.br, false

	magic, err := d.br.Peek(2)
	if err != nil && err != io.EOF {
		d.err = fmt.Errorf("read: %w", err)
		return d.err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return d.startGzip(d.br)
	}
	return nil
}

// startGzip makes d inflate what r holds.
func (d *Decoder) startGzip(r io.Reader) error {
	d.gz = true
	var err error
	if d.zr == nil {
		d.zr, err = gzip.NewReader(r)
	} else {
		err = d.zr.Reset(r)
	}
	if err != nil {
		d.err = d.readErr(err)
		return d.err
	}
	d.src = d.zr
	return nil
}

// HashTo makes d write every decompressed byte it reads to h (a hash.Hash,
// whose Write never fails), in order from the start of the stream: call it
// after NewDecoder or Reset, before Next. Reset forgets h. With Drain after
// the last record, h has seen the whole decompressed stream.
func (d *Decoder) HashTo(h io.Writer) { d.hash = h }

// Drain reads what is left of the decompressed stream, for HashTo, also
// after a decoding error: it returns nil once the stream ended cleanly, and
// the read error (corrupt or truncated gzip, a failing source, more than
// MaxObjectBytes) otherwise.
func (d *Decoder) Drain() error {
	if d.w == len(d.buf) {
		d.buf = append(d.buf, make([]byte, minRead)...)
	}
	for zero := 0; d.rerr == nil; {
		n, err := d.src.Read(d.buf[d.w:])
		if zero += 1; n > 0 {
			zero = 0
		} else if zero > 100 {
			err = io.ErrNoProgress
		}
		if d.hash != nil && n > 0 {
			d.hash.Write(d.buf[d.w : d.w+n])
		}
		d.out += int64(n)
		switch {
		case d.out > d.maxObj:
			d.rerr = &DecodeError{Err: ErrObjectTooLarge, Reason: fmt.Sprintf("more than %d bytes decompressed", d.maxObj), Offset: d.maxObj}
		case err != nil:
			d.rerr = d.readErr(err)
		}
	}
	if d.rerr == io.EOF {
		return nil
	}
	return d.rerr
}

// BytesIn returns the number of bytes read from the input so far
// (compressed, for gzip).
func (d *Decoder) BytesIn() int64 {
	if d.direct != nil {
		return d.direct.Size() - int64(d.direct.Len()) - d.directAt
	}
	return d.in.n
}

// BytesOut returns the number of decompressed bytes read so far.
func (d *Decoder) BytesOut() int64 { return d.out }

// Next returns the next record's raw JSON, valid until the next call to
// Next or Reset, and io.EOF after the last one.
//
// After an error for which Skipped reports true the bad record
// has been skipped and Next may be called again for the following ones;
// every other error is final and Next keeps returning it.
func (d *Decoder) Next() ([]byte, error) {
	if d.err != nil {
		return nil, d.err
	}
	rec, err := d.next()
	if err != nil && !Skipped(err) {
		d.err = err
	}
	return rec, err
}

// Skipped reports whether err, from Next, is about one record only (too
// large, invalid UTF-8, bad JSON within sound brackets), which the decoder
// skipped: Next may be called again for the records after it.
func Skipped(err error) bool {
	return errors.Is(err, ErrRecordTooLarge) || errors.Is(err, ErrInvalidUTF8) || errors.Is(err, ErrBadRecord)
}

func (d *Decoder) next() ([]byte, error) {
	for {
		switch d.state {
		case stTop:
			if d.values == 0 {
				if b := d.peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) { // a byte order mark
					d.pos += 3
				}
			}
			c, err := d.ws()
			if err == io.EOF {
				if d.values == 0 {
					return nil, d.errorf(ErrNotJSON, d.pos, "empty input")
				}
				return nil, io.EOF
			}
			if err != nil {
				return nil, err
			}
			d.values++
			switch c {
			case '[':
				d.pos++
				d.state, d.inRecords = stFirst, false
			case '{':
				if rec, err := d.object(); rec != nil || err != nil {
					return rec, err
				}
			default:
				return nil, d.errorf(ErrNotJSON, d.pos, "unexpected %q at top level", c)
			}
		case stFirst:
			c, err := d.ws()
			if err != nil {
				return nil, d.truncated(err, "inside an array")
			}
			if c == ']' {
				d.pos++
				d.endArray()
				continue
			}
			return d.element(c)
		case stNext:
			c, err := d.ws()
			if err != nil {
				return nil, d.truncated(err, "inside an array")
			}
			switch c {
			case ',':
				d.pos++
				if c, err = d.ws(); err != nil {
					return nil, d.truncated(err, "inside an array")
				}
				return d.element(c)
			case ']':
				d.pos++
				d.endArray()
			default:
				return nil, d.errorf(ErrNotJSON, d.pos, "unexpected %q after a record", c)
			}
		case stTail:
			if err := d.tail(); err != nil {
				return nil, err
			}
		}
	}
}

func (d *Decoder) endArray() {
	if d.inRecords {
		d.state = stTail
	} else {
		d.state = stTop
	}
}

// begin starts retaining a value at d.pos.
func (d *Decoder) begin() {
	d.start, d.retain, d.overflow = d.pos, true, false
	d.recOff = d.base + int64(d.pos)
	d.hi = 0
	d.ents = d.ents[:0]
}

// The member index of a record (Index): IndexWidth int32s per member, in
// the order of their keys in the record.
const (
	IndexKey   = iota // offset of the key's opening quote, ORed with IndexEscaped when the key may hold escapes
	IndexColon        // offset of the colon after the key
	IndexEnd          // offset of the ',' or '}' after the value
	IndexChild        // the value's first member when it is an indexed object, IndexSkipped when it is an object DecodeOptions.Index leaves out, else -1
	IndexNext         // the next member of the same object, else -1
	IndexWidth

	IndexEscaped = 1 << 30
	// IndexSkipped is the IndexChild of a member of the record whose value
	// is an object (maybe empty) whose members are not indexed:
	// DecodeOptions.Index leaves it out. Its value must be read from the
	// record's bytes.
	IndexSkipped = -2
)

// Index returns the member index of the record last returned by Next, for
// ecs.Record.ResetMembers: every member of the record and of the objects
// nested in it through objects only (members within arrays are not
// indexed). Offsets are into the record; the record's own members are
// member 0 and its IndexNext chain. The slice is valid until the next call
// to Next or Reset.
func (d *Decoder) Index() []int32 { return d.ents }

// addMember appends to ents an index entry for a member whose key begins
// at key and whose colon is at colon (both relative to the record), in the
// object whose member is owner (-1: the record) and whose latest member is
// prev (-1: none yet). It returns ents and the new member's number.
func addMember(ents []int32, key, colon int, esc bool, owner, prev int32) ([]int32, int32) {
	n := int32(len(ents) / IndexWidth)
	k := int32(key)
	if esc {
		k |= IndexEscaped
	}
	ents = append(ents, k, int32(colon), -1, -1, -1)
	if prev >= 0 {
		ents[int(prev)*IndexWidth+IndexNext] = n
	} else if owner >= 0 {
		ents[int(owner)*IndexWidth+IndexChild] = n
	}
	return ents, n
}

// record ends the value retained since begin, ending at d.pos, and returns
// it as a record.
func (d *Decoder) record() ([]byte, error) {
	d.retain = false
	if d.overflow || d.pos-d.start > d.maxRec {
		return nil, &DecodeError{Err: ErrRecordTooLarge, Reason: fmt.Sprintf("record longer than %d bytes", d.maxRec), Offset: d.recOff}
	}
	rec := d.buf[d.start:d.pos]
	if (d.hi&highBits != 0 || (d.useSB && d.sb.anyHigh(d.start, d.pos))) && !utf8.Valid(rec) {
		return nil, &DecodeError{Err: ErrInvalidUTF8, Reason: "record is not valid utf-8", Offset: d.recOff}
	}
	return rec, nil
}

// element reads an array element starting with c at d.pos as a record.
func (d *Decoder) element(c byte) ([]byte, error) {
	if c != '{' {
		return nil, d.errorf(ErrNotCloudTrail, d.pos, "array element %q is not an object", c)
	}
	d.begin()
	d.capture, d.bad, d.owner = true, nil, -1
	err := d.composite()
	d.capture = false
	if err != nil {
		return nil, err
	}
	d.state = stNext
	if d.bad != nil {
		d.retain = false
		return nil, d.bad
	}
	return d.record()
}

// eventKeys are keys of a top-level object that make it a record.
var eventKeys = [][]byte{[]byte(`"eventVersion"`), []byte(`"eventTime"`), []byte(`"eventName"`), []byte(`"eventSource"`), []byte(`"eventID"`)}

var recordsKey = []byte(`"Records"`)

// object reads the top-level object at d.pos: it switches to its Records
// array and returns nil, nil, or returns the whole object as a record.
//
//	object = '{' [ member { ',' member } ] '}'
//	member = string ':' value
func (d *Decoder) object() ([]byte, error) {
	d.begin()
	d.pos++
	d.bad = nil
	event := false
	c, err := d.ws()
	if err != nil {
		return nil, d.truncated(err, "inside the top-level object")
	}
	last := int32(-1) // the latest member indexed
	for c != '}' {
		if c != '"' {
			return nil, d.errorf(ErrNotJSON, d.pos, "unexpected %q, want a key", c)
		}
		keyAt := d.pos - d.start
		key := d.peek(len(`"eventVersion"`))
		records := bytes.HasPrefix(key, recordsKey)
		for _, k := range eventKeys {
			event = event || bytes.HasPrefix(key, k)
		}
		if c, err = d.member(); err != nil {
			return nil, err
		}
		if records {
			if d.bad != nil { // a grammar error before Records: the log itself is bad
				return nil, &DecodeError{Err: ErrNotJSON, Reason: d.bad.Reason, Offset: d.bad.Offset}
			}
			if c != '[' {
				return nil, d.errorf(ErrNotCloudTrail, d.pos, "Records is not an array")
			}
			d.pos++
			d.retain = false
			d.state, d.inRecords = stFirst, true
			return nil, nil
		}
		esc := bytes.IndexByte(d.buf[d.start+keyAt:d.start+d.colon], '\\') >= 0
		var n int32
		d.ents, n = addMember(d.ents, keyAt, d.colon, esc, -1, last)
		last = n
		d.capture, d.owner = true, n // index and check the value as a record's
		c, err = d.afterMember(c)
		d.capture = false
		if err != nil {
			return nil, err
		}
		d.ents[int(n)*IndexWidth+IndexEnd] = int32(d.end)
	}
	d.pos++
	d.state = stTop
	if !event {
		d.retain = false
		return nil, &DecodeError{Err: ErrNotCloudTrail, Reason: "top-level object has no Records array", Offset: d.recOff}
	}
	if d.bad != nil {
		d.retain = false
		return nil, d.bad
	}
	return d.record()
}

// member reads a key at d.pos and the colon after it, and returns the first
// byte of the value.
func (d *Decoder) member() (byte, error) {
	if err := d.str(); err != nil {
		return 0, err
	}
	c, err := d.ws()
	if err != nil {
		return 0, d.truncated(err, "inside the top-level object")
	}
	if c != ':' {
		return 0, d.errorf(ErrNotJSON, d.pos, "unexpected %q, want ':'", c)
	}
	d.colon = d.pos - d.start
	d.pos++
	if c, err = d.ws(); err != nil {
		return 0, d.truncated(err, "inside the top-level object")
	}
	return c, nil
}

// afterMember skips a value starting with c and the ',' after it, and
// returns the byte that follows ('"' for the next key, or '}').
func (d *Decoder) afterMember(c byte) (byte, error) {
	if err := d.value(c); err != nil {
		return 0, err
	}
	c, err := d.ws()
	if err != nil {
		return 0, d.truncated(err, "inside the top-level object")
	}
	d.end = d.pos - d.start
	switch c {
	case '}':
		return c, nil
	case ',':
		d.pos++
		if c, err = d.ws(); err != nil {
			return 0, d.truncated(err, "inside the top-level object")
		}
		if c == '}' {
			return 0, d.errorf(ErrNotJSON, d.pos, "unexpected '}' after ','")
		}
		return c, nil
	}
	return 0, d.errorf(ErrNotJSON, d.pos, "unexpected %q, want ',' or '}'", c)
}

// tail reads the rest of a top-level object after its Records array, up
// to its '}', or up to another Records array.
func (d *Decoder) tail() error {
	c, err := d.ws()
	if err != nil {
		return d.truncated(err, "inside the top-level object")
	}
	switch c {
	case '}':
		d.pos++
		d.state = stTop
		return nil
	case ',':
		d.pos++
	default:
		return d.errorf(ErrNotJSON, d.pos, "unexpected %q after Records", c)
	}
	if c, err = d.ws(); err != nil {
		return d.truncated(err, "inside the top-level object")
	}
	for c != '}' {
		if c != '"' {
			return d.errorf(ErrNotJSON, d.pos, "unexpected %q, want a key", c)
		}
		records := bytes.HasPrefix(d.peek(len(recordsKey)), recordsKey)
		if c, err = d.member(); err != nil {
			return err
		}
		if records && c == '[' {
			d.pos++
			d.state = stFirst
			return nil
		}
		if c, err = d.afterMember(c); err != nil {
			return err
		}
	}
	d.pos++
	d.state = stTop
	return nil
}

// value skips the value starting with c at d.pos.
func (d *Decoder) value(c byte) error {
	switch c {
	case '"':
		return d.str()
	case '{', '[':
		return d.composite()
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 't', 'f', 'n':
		return d.scalar()
	}
	return d.errorf(ErrNotJSON, d.pos, "unexpected %q, want a value", c)
}

// scalar skips a number or literal at d.pos, up to a delimiter or the end.
func (d *Decoder) scalar() error {
	i := d.pos
	from := d.base + int64(i) // where it starts in the stream
	for {
		for ; i < d.w; i++ {
			switch c := d.buf[i]; c {
			case ',', '}', ']', ' ', '\n', '\r', '\t':
				if k := int(from - d.base); k >= 0 && !validScalar(d.buf[k:i]) {
					return d.errorf(ErrNotJSON, k, "bad number or literal %q", d.buf[k:i])
				}
				d.pos = i
				return nil
			default:
				if k := class[c]; k != cPlain && k != cColon && k != cComma {
					return d.errorf(ErrNotJSON, i, "unexpected %q in a literal", c)
				}
			}
		}
		var err error
		if i, err = d.more(i); err != nil {
			d.pos = i
			if err == io.EOF {
				return nil // the caller finds the end
			}
			return err
		}
	}
}

// ws skips whitespace and returns the byte at d.pos, or io.EOF at the end
// of the input.
func (d *Decoder) ws() (byte, error) {
	i := d.pos
	for {
		for ; i < d.w; i++ {
			if c := d.buf[i]; c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				d.pos = i
				return c, nil
			}
		}
		var err error
		if i, err = d.more(i); err != nil {
			d.pos = i
			return 0, err
		}
	}
}

// peek returns up to n bytes from d.pos, fewer only at the end of the input
// or on a read error (which the next read returns again).
func (d *Decoder) peek(n int) []byte {
	for d.w-d.pos < n {
		i, err := d.more(d.pos)
		d.pos = i
		if err != nil {
			break
		}
	}
	return d.buf[d.pos:min(d.w, d.pos+n)]
}

// str skips the string starting at d.pos.
func (d *Decoder) str() error {
	i := d.pos + 1
	bad := false
	for {
		j, ok := skipStr(d.buf[:d.w], i, &d.hi, &bad)
		if ok {
			if bad {
				if err := d.badGrammar(d.pos, "control character or bad escape in a string"); err != nil {
					return err
				}
			}
			d.pos = j
			return nil
		}
		var err error
		if i, err = d.more(j); err != nil {
			d.pos = i
			return d.truncated(err, "inside a string")
		}
	}
}

// Byte classes outside strings.
const (
	cPlain = iota
	cQuote
	cOpen
	cClose
	cColon
	cComma
	cBad // control characters and non-ASCII bytes
)

var class = func() (t [256]byte) {
	for c := range t {
		switch {
		case c == '"':
			t[c] = cQuote
		case c == '{' || c == '[':
			t[c] = cOpen
		case c == '}' || c == ']':
			t[c] = cClose
		case c == ':':
			t[c] = cColon
		case c == ',':
			t[c] = cComma
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c < 0x20 || c >= 0x80:
			t[c] = cBad
		}
	}
	return t
}()

// composite skips the object or array starting at d.pos. This is the hot
// loop: outside strings it looks at each byte once through a class table;
// strings it skips through the stop bitmap with AVX2 (reading runs of
// "key":"string" members in one go), else eight bytes at a time (skipStr).
func (d *Decoder) composite() error {
	stack := d.stack[:0]
	defer func() { d.stack = stack[:0] }()
	i := d.pos
	inStr := false
	h := d.hi
	defer func() { d.hi = h }()
	limit := maxDepth
	if d.capture {
		limit = maxRecordDepth
	}
	st := gValue // what the grammar allows next
	last := -1   // where the latest key began, relative to the record (capture)
	lastEsc := false
	// The index (capture): own and cur are saved for each open container
	// but the innermost, whose are tOwn (the member whose value it is,
	// -1 for the record itself, -2 when not indexed: an array, or within
	// one) and tCur (its latest member, -1 before the first).
	own, cur := d.own[:0], d.cur[:0]
	tOwn, tCur := int32(-2), int32(-1)
	ents := d.ents
	defer func() { d.own, d.cur, d.ents = own[:0], cur[:0], ents }()
	lax := false    // a record's grammar error is noted: only the structure is checked from there
	strBad := false // skipStr met a control character or a bad escape
	for {
		b := d.buf[:d.w]
		start := d.start // more() moves it, with the buffer
		if inStr {
			j, ok := skipStr(b, i, &h, &strBad)
			i = j
			inStr = !ok
			if strBad && !lax {
				if err := d.badGrammar(i, "control character or bad escape in a string"); err != nil {
					return err
				}
				lax = true
			}
		}
	scan:
		for !inStr && i < len(b) {
			c := b[i]
			switch class[c] {
			case cPlain:
				if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
					i++
					continue
				}
				if st != gValue && st != gValueOrEnd && !lax {
					if err := d.badGrammar(i, "unexpected %q", c); err != nil {
						return err
					}
					lax = true
				}
				j, ok := scanScalar(b, i)
				if !ok && !lax {
					if err := d.badGrammar(i, "bad number or literal %q", b[i:j]); err != nil {
						return err
					}
					lax = true
				}
				if j == len(b) { // the literal may go on: read more and scan it again
					break scan
				}
				i, st = max(j, i+1), gComma
			case cComma:
				if st != gComma && !lax {
					if err := d.badGrammar(i, "unexpected ','"); err != nil {
						return err
					}
					lax = true
				}
				if stack[len(stack)-1] == '}' {
					st = gKey
					if tOwn != -2 && tCur >= 0 { // the end of a member's value
						ents[int(tCur)*IndexWidth+IndexEnd] = int32(i - start)
					}
				} else {
					st = gValue
				}
				i++
			case cColon:
				if st != gColon && !lax {
					if err := d.badGrammar(i, "unexpected ':'"); err != nil {
						return err
					}
					lax = true
				}
				// A colon directly in the record ends a key: note where
				// the key began, relative to the record.
				if tOwn != -2 && !lax {
					// lastEsc is also set by a key that merely ran past
					// the buffer: look, so that the index does not depend
					// on where reads end.
					esc := lastEsc && bytes.IndexByte(b[start+last:i], '\\') >= 0
					ents, tCur = addMember(ents, last, i-start, esc, tOwn, tCur)
				}
				st = gValue
				i++
			case cQuote:
				if d.useSB && !lax && (st == gKey || st == gKeyOrEnd) {
					// The usual CloudTrail member, "key":"string" and a comma,
					// read in one go, without a dispatch per byte. It stops
					// where anything else comes (an escape, white space, a
					// value that is not a string, the buffer's end) and
					// leaves i and st for the general path to go on from.
					at := i
					for {
						j := i + 1 // the key
						if m := d.sb.word(j); m != 0 {
							j += bits.TrailingZeros64(m)
						} else {
							j = d.sb.next(j)
						}
						if j+1 >= len(b) || b[j] != '"' || b[j+1] != ':' {
							break
						}
						last, lastEsc = i-start, false
						if tOwn != -2 {
							ents, tCur = addMember(ents, last, j+1-start, false, tOwn, tCur)
						}
						i, st = j+2, gValue
						if i >= len(b) || b[i] != '"' {
							break
						}
						j = i + 1 // the value
						if m := d.sb.word(j); m != 0 {
							j += bits.TrailingZeros64(m)
						} else {
							j = d.sb.next(j)
						}
						if j >= len(b) || b[j] != '"' {
							break
						}
						i, st = j+1, gComma
						if i >= len(b) || b[i] != ',' {
							break
						}
						if tOwn != -2 && tCur >= 0 {
							ents[int(tCur)*IndexWidth+IndexEnd] = int32(i - start)
						}
						i, st = i+1, gKey
						if i >= len(b) || b[i] != '"' {
							break
						}
					}
					if i != at {
						continue
					}
				}
				switch st {
				case gKey, gKeyOrEnd:
					st = gColon
					last = i - start // relative: more() moves the buffer
				case gValue, gValueOrEnd:
					st = gComma
				default:
					if !lax {
						if err := d.badGrammar(i, "unexpected string"); err != nil {
							return err
						}
						lax = true
					}
				}
				j := i + 1
				if d.useSB {
					// The next '"' or '\\' from the bitmap: the bytes between
					// are not read (record checks them for non-ASCII). Bits
					// past sb.n are clear, so a hit in j's word is covered.
					if m := d.sb.word(j); m != 0 {
						j += bits.TrailingZeros64(m)
					} else {
						j = d.sb.next(j)
					}
					if j < len(b) && b[j] == '"' {
						i = j + 1
						lastEsc = false
						continue
					}
				}
				// skipStr inlined for the common case: no escape, and the
				// closing quote within the buffer.
				closed := false
				for j+8 <= len(b) {
					x := binary.LittleEndian.Uint64(b[j:])
					h |= x
					q := x ^ (lowBits * '"')
					s := x ^ (lowBits * '\\')
					if m := ((q - lowBits) | (s - lowBits) | (x - lowBits*0x20)) &^ x; m&highBits != 0 { // as skipStr
						j += bits.TrailingZeros64(m&highBits) >> 3
						closed = b[j] == '"'
						break
					}
					j += 8
				}
				if closed {
					i = j + 1
					lastEsc = false
					continue
				}
				lastEsc = true // an escape, a control character, or the string goes on past the buffer
				j, ok := skipStr(b, j, &h, &strBad)
				if strBad && !lax {
					if err := d.badGrammar(i, "control character or bad escape in a string"); err != nil {
						return err
					}
					lax = true
				}
				i = j
				if !ok {
					inStr = true
					break scan
				}
			case cOpen:
				if st != gValue && st != gValueOrEnd && !lax {
					if err := d.badGrammar(i, "unexpected %q", c); err != nil {
						return err
					}
					lax = true
				}
				if len(stack) >= limit {
					// A record nested too deep is one bad record: its
					// structure is still followed (a byte a level, and a
					// record deeper than maxRec is longer than maxRec).
					if !d.capture || len(stack) >= d.maxRec {
						return d.errorf(ErrNotJSON, i, "nesting deeper than %d", max(limit, len(stack)))
					}
					if !lax {
						if err := d.badGrammar(i, "nesting deeper than %d", limit); err != nil {
							return err
						}
						lax = true
					}
				}
				stack = append(stack, c+2)           // the matching close: '{'+2 == '}', '['+2 == ']'
				if d.capture && len(stack) > limit { // not indexed, nor saved
					tOwn, tCur = -2, -1
				} else if d.capture {
					o := int32(-2) // arrays, and what is within them, are not indexed
					if c == '{' {
						if len(stack) == 1 {
							o = d.owner
						} else if tOwn != -2 && stack[len(stack)-2] == '}' {
							o = tCur // the member whose value this object is
							if len(stack) == 2 && tOwn == -1 && d.paths != nil && tCur >= 0 && !d.paths.indexes(b[start:], ents, tCur) {
								// An object of the record the selection leaves out.
								ents[int(tCur)*IndexWidth+IndexChild] = IndexSkipped
								o = -2
							}
						}
					}
					own, cur = append(own, tOwn), append(cur, tCur)
					tOwn, tCur = o, -1
				}
				if c == '{' {
					st = gKeyOrEnd
				} else {
					st = gValueOrEnd
				}
				i++
			case cClose:
				n := len(stack) - 1
				if stack[n] != c {
					return d.errorf(ErrNotJSON, i, "unexpected %q, want %q", c, stack[n])
				}
				if st != gComma && !(st == gKeyOrEnd && c == '}') && !(st == gValueOrEnd && c == ']') && !lax {
					if err := d.badGrammar(i, "unexpected %q", c); err != nil {
						return err
					}
					lax = true
				}
				stack = stack[:n]
				st = gComma
				if d.capture {
					if tOwn != -2 && tCur >= 0 {
						ents[int(tCur)*IndexWidth+IndexEnd] = int32(i - start)
					}
					if n < len(own) {
						tOwn, tCur = own[n], cur[n]
						own, cur = own[:n], cur[:n]
					} else { // closing a container past the depth limit
						tOwn, tCur = -2, -1
					}
				}
				i++
				if n == 0 {
					d.pos = i
					return nil
				}
			default: // a control character or non-ASCII byte outside strings
				if !d.capture {
					return d.errorf(ErrNotJSON, i, "unexpected byte %#02x", c)
				}
				if !lax {
					if err := d.badGrammar(i, "unexpected byte %#02x", c); err != nil {
						return err
					}
					lax = true
				}
				i++
			}
		}
		var err error
		if i, err = d.more(i); err != nil {
			d.pos = i
			if inStr {
				return d.truncated(err, "inside a string")
			}
			return d.truncated(err, "inside a record")
		}
	}
}

// badGrammar handles a grammar error at i: within a record it is noted
// (the record is skipped once its end is found) and nil is returned; in
// any other value it is the error returned.
func (d *Decoder) badGrammar(i int, format string, args ...any) error {
	if !d.capture {
		return d.errorf(ErrNotJSON, i, format, args...)
	}
	d.bad = &DecodeError{Err: ErrBadRecord, Reason: fmt.Sprintf(format, args...), Offset: d.base + int64(i)}
	return nil
}

// What the JSON grammar allows next inside a composite value.
const (
	gValue      = iota // a value (after ':' or an array's ',')
	gValueOrEnd        // a value or ']' (after '[')
	gKey               // a key (after an object's ',')
	gKeyOrEnd          // a key or '}' (after '{')
	gColon             // ':' (after a key)
	gComma             // ',' or the close (after a value)
)

// scanScalar scans the number or literal (true, false, null) starting at
// b[i] and returns the index after it and whether it is valid JSON. When it
// runs to the end of b it returns len(b) and true: the caller reads more
// and scans it again.
func scanScalar(b []byte, i int) (int, bool) {
	j := i
	for j < len(b) && scalarByte[b[j]] {
		j++
	}
	if j == len(b) {
		return j, true
	}
	return j, validScalar(b[i:j])
}

// scalarByte marks the bytes a number or literal can hold.
var scalarByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789+-.eEtruefalsn") {
		t[c] = true
	}
	return t
}()

// validScalar reports whether s is a JSON number, true, false or null.
func validScalar(s []byte) bool {
	switch string(s) {
	case "true", "false", "null":
		return true
	}
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// skipStr scans string contents from b[i] for the closing quote. It
// returns the index after it and true, or, when b ends first, the index to
// resume from (len(b), or a backslash whose escape b cuts) and false. It ORs
// the bytes it passes into *hi so callers know whether any were non-ASCII,
// and sets *bad on a control character (below 0x20, which JSON wants
// escaped) or an escape JSON does not have (\q, \u00zz).
func skipStr(b []byte, i int, hi *uint64, bad *bool) (int, bool) {
	h := *hi
	for {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			h |= x
			q := x ^ (lowBits * '"')
			s := x ^ (lowBits * '\\')
			// The lowest set high bit marks the first byte equal to '"' or
			// '\\', or below 0x20 (borrows only run towards later bytes).
			// One &^ x for the three: q, s and x have the same high bits
			// ('"' and '\\' are ASCII), so this is
			// (q-lowBits)&^q | (s-lowBits)&^s | (x-lowBits*0x20)&^x.
			if m := ((q - lowBits) | (s - lowBits) | (x - lowBits*0x20)) &^ x; m&highBits != 0 {
				i += bits.TrailingZeros64(m&highBits) >> 3
				break
			}
			i += 8
		}
		for ; i < len(b); i++ {
			c := b[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			h |= uint64(c)
		}
		if i >= len(b) {
			*hi = h
			return i, false
		}
		switch b[i] {
		case '"':
			*hi = h
			return i + 1, true
		case '\\':
		default: // a control character
			*bad = true
			i++
			continue
		}
		if i+1 >= len(b) {
			*hi = h
			return i, false
		}
		h |= uint64(b[i+1]) // a non-ASCII byte after a backslash is checked too
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if i+6 > len(b) {
				*hi = h
				return i, false
			}
			if hex[b[i+2]]&hex[b[i+3]]&hex[b[i+4]]&hex[b[i+5]] == 0 {
				*bad = true // rescanned from after the u: the four bytes may hold the '"'
				break
			}
			i += 4
		default:
			*bad = true
		}
		i += 2 // an escape: skip the escaped byte, '"' or '\\' included
	}
}

// hex is 1 for the bytes of hexadecimal digits.
var hex = func() (t [256]byte) {
	for _, c := range []byte("0123456789abcdefABCDEF") {
		t[c] = 1
	}
	return t
}()

// more reads more input for a scan at index i and returns i moved to the
// new buffer layout. The retained value (or, with none, buf[i:]) is kept;
// once the retained value is longer than maxRec it is let go (overflow).
func (d *Decoder) more(i int) (int, error) {
	keep := i
	if d.retain {
		if d.w-d.start > d.maxRec {
			d.retain, d.overflow = false, true
		} else {
			keep = d.start
		}
	}
	if d.rerr != nil {
		return i, d.rerr
	}
	if keep > 0 {
		n := copy(d.buf, d.buf[keep:d.w])
		d.w = n
		d.pos -= keep
		d.start -= keep
		d.base += int64(keep)
		i -= keep
		if d.useSB { // every byte moved
			d.sb.n = 0
			d.sb.update(d.buf, 0, d.w)
		}
	}
	if len(d.buf)-d.w < minRead {
		nb := make([]byte, max(2*len(d.buf), d.w+minRead))
		copy(nb, d.buf[:d.w])
		d.buf = nb
	}
	for tries := 0; ; tries++ {
		n, err := d.src.Read(d.buf[d.w:])
		if d.hash != nil && n > 0 {
			d.hash.Write(d.buf[d.w : d.w+n])
		}
		if d.useSB && n > 0 {
			d.sb.update(d.buf, d.w, d.w+n)
		}
		d.w += n
		d.out += int64(n)
		if d.out > d.maxObj {
			d.rerr = &DecodeError{Err: ErrObjectTooLarge, Reason: fmt.Sprintf("more than %d bytes decompressed", d.maxObj), Offset: d.maxObj}
			return i, d.rerr
		}
		if err != nil {
			d.rerr = d.readErr(err)
			if n > 0 {
				return i, nil
			}
			return i, d.rerr
		}
		if n > 0 {
			return i, nil
		}
		if tries == 100 {
			d.rerr = fmt.Errorf("read at byte %d: %w", d.base+int64(d.w), io.ErrNoProgress)
			return i, d.rerr
		}
	}
}

// readErr classifies an error from the decompressed stream.
func (d *Decoder) readErr(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	off := d.base + int64(d.w)
	if d.in.err != nil { // the source failed, not the data
		return fmt.Errorf("read at byte %d: %w", off, d.in.err)
	}
	if d.gz {
		if err == io.ErrUnexpectedEOF {
			return &DecodeError{Err: ErrTruncated, Reason: "gzip stream ends early", Offset: off}
		}
		return &DecodeError{Err: ErrCorruptGzip, Reason: "bad gzip data", Offset: off, Cause: err}
	}
	return fmt.Errorf("read at byte %d: %w", off, err)
}

// truncated turns io.EOF met inside a value into ErrTruncated; other
// errors pass.
func (d *Decoder) truncated(err error, where string) error {
	if err != io.EOF {
		return err
	}
	return &DecodeError{Err: ErrTruncated, Reason: "json ends " + where, Offset: d.base + int64(d.w)}
}

func (d *Decoder) errorf(sentinel error, i int, format string, args ...any) error {
	return &DecodeError{Err: sentinel, Reason: fmt.Sprintf(format, args...), Offset: d.base + int64(i)}
}

// countReader counts bytes read and remembers the first error other than
// io.EOF, so that source failures are not mistaken for corrupt data.
type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}
