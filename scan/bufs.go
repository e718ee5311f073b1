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

// payloadChunks keeps the chunks of results' payloads (worker.payloads)
// for the next objects: at most payloadKeep chunks of payloadChunk bytes
// (2 MiB)
// (a larger one, for a payload of its own, is not kept).
var payloadChunks = chunkList{keep: payloadKeep}

const (
	payloadChunk = 64 << 10
	payloadKeep  = 32
)

// A chunkList keeps byte slices of payloadChunk bytes for reuse, at most keep.
type chunkList struct {
	mu   sync.Mutex
	free [][]byte
	keep int
}

// get returns an empty chunk of payloadChunk bytes.
func (l *chunkList) get() []byte {
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		c := l.free[n-1]
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return c
	}
	l.mu.Unlock()
	return make([]byte, 0, payloadChunk)
}

// put keeps c for a later get, unless it is not a chunk of payloadChunk
// bytes or the list is full.
func (l *chunkList) put(c []byte) {
	if cap(c) != payloadChunk {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.free) < l.keep {
		l.free = append(l.free, c[:0])
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
