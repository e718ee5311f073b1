package scan

import (
	"bytes"
	"sync"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/report"
)

// bufs keeps the buffers objects are fetched into for the next objects.
// Unlike a sync.Pool it survives garbage collections, which otherwise drop
// the pooled buffers every other cycle and make the fetchers allocate (and
// the collector run) again; it keeps at most bufsKeep bytes of them, so
// that a few huge objects do not stay resident.
var bufs bufList

const bufsKeep = 4 << 20

type bufList struct {
	mu    sync.Mutex
	free  []*bytes.Buffer
	bytes int
}

// Get returns an empty buffer.
func (l *bufList) Get() *bytes.Buffer {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free = l.free[:n-1]
		l.bytes -= b.Cap()
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

// Put gives b back for reuse, or to the collector when the list is full.
func (l *bufList) Put(b *bytes.Buffer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bytes+b.Cap() > bufsKeep {
		return
	}
	l.free = append(l.free, b)
	l.bytes += b.Cap()
}

// A sliceList keeps the backing arrays of results' findings and events for
// the next objects, as bufs does buffers: the writer hands them back once
// it has copied what it keeps (writers and the Aggregator copy findings and
// events by value). It holds at most sliceKeep slices of at most
// sliceKeepCap elements, cleared so that they keep no old strings alive.
type sliceList[T any] struct {
	mu   sync.Mutex
	free [][]T
}

const (
	sliceKeep    = 2
	sliceKeepCap = 1024
)

var (
	findingSlices sliceList[report.Finding]
	eventSlices   sliceList[rule.Event]
)

// payloadBufs keeps the buffers of results' payloads (worker.payloads)
// for the next objects, as sliceList does, up to payloadKeep of at most
// payloadKeepCap bytes: one per result the pipeline holds at once.
var payloadBufs = byteList{keep: payloadKeep, maxCap: payloadKeepCap}

const (
	payloadKeep    = 8
	payloadKeepCap = 1 << 20
)

// A byteList keeps byte slices for reuse: at most keep, each of at most
// maxCap bytes.
type byteList struct {
	mu     sync.Mutex
	free   [][]byte
	keep   int
	maxCap int
}

// get returns an empty slice, nil when none is kept.
func (l *byteList) get() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free = l.free[:n-1]
		return b
	}
	return nil
}

// put keeps b for a later get, unless it is nil, too large or the list full.
func (l *byteList) put(b []byte) {
	if cap(b) == 0 || cap(b) > l.maxCap {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.free) < l.keep {
		l.free = append(l.free, b[:0])
	}
}

func (l *sliceList[T]) get() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		s := l.free[n-1]
		l.free = l.free[:n-1]
		return s
	}
	return nil
}

func (l *sliceList[T]) put(s []T) {
	if cap(s) == 0 || cap(s) > sliceKeepCap {
		return
	}
	clear(s)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.free) < sliceKeep {
		l.free = append(l.free, s[:0])
	}
}
