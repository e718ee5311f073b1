package reader

import (
	"context"
	"sync/atomic"
)

// ListTrace counts how far a listing has gone, for a progress display: the
// folders listed so far (an S3 folder once its last page has come, a local
// folder once read). A source finds the trace in the context given to
// List, whatever decorators lie between (see WithListTrace); without one it
// counts nothing. The keys found are the objects List hands over.
type ListTrace struct{ folders atomic.Int64 }

// Folders returns the number of folders listed so far.
func (t *ListTrace) Folders() int64 { return t.folders.Load() }

type listTraceKey struct{}

// WithListTrace returns a copy of ctx that carries t to the listings made
// with it.
func WithListTrace(ctx context.Context, t *ListTrace) context.Context {
	return context.WithValue(ctx, listTraceKey{}, t)
}

// folderListed counts one folder listed in ctx's trace, if it has one.
func folderListed(ctx context.Context) {
	if t, _ := ctx.Value(listTraceKey{}).(*ListTrace); t != nil {
		t.folders.Add(1)
	}
}
