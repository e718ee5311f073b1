package scan

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// DefaultMaxInFlight is the default bound on stored (compressed) bytes
// fetched and not yet decoded: with Concurrency GETs of large objects, the
// fetch buffers, not the workers, would otherwise set the peak memory.
const DefaultMaxInFlight int64 = 48 << 20

// minWeight is the weight of an object of unknown or tiny size.
const minWeight int64 = 64 << 10

// inFlight bounds the bytes held between fetch and decode. An object
// weighs its listed size, at least minWeight and at most the whole bound,
// so one object larger than the bound still goes through, alone.
type inFlight struct {
	sem *semaphore.Weighted
	max int64
}

func newInFlight(max int64) *inFlight {
	if max <= 0 {
		max = DefaultMaxInFlight
	}
	return &inFlight{sem: semaphore.NewWeighted(max), max: max}
}

func (l *inFlight) weight(size int64) int64 {
	return min(max(size, minWeight), l.max)
}

// acquire waits until an object of the given size may be fetched and
// returns its weight, to be given back with release.
func (l *inFlight) acquire(ctx context.Context, size int64) (int64, error) {
	w := l.weight(size)
	if err := l.sem.Acquire(ctx, w); err != nil {
		return 0, context.Cause(ctx)
	}
	return w, nil
}

func (l *inFlight) release(w int64) {
	if w > 0 {
		l.sem.Release(w)
	}
}
