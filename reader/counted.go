package reader

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
)

// Counted is a Source that counts what is opened and read through it. It
// is safe for concurrent use.
type Counted struct {
	Source
	opens atomic.Int64
	bytes atomic.Int64
	mu    sync.Mutex
	keys  []string
}

// WithCounts returns s decorated with counters.
func WithCounts(s Source) *Counted { return &Counted{Source: s} }

// Open opens o through the wrapped source and counts it, even when the
// open fails; bytes read from the result are counted too.
func (c *Counted) Open(ctx context.Context, o Object) (io.ReadCloser, error) {
	c.opens.Add(1)
	c.mu.Lock()
	c.keys = append(c.keys, o.Key)
	c.mu.Unlock()
	rc, err := c.Source.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	return &countingReadCloser{ReadCloser: rc, n: &c.bytes}, nil
}

// Opens returns the number of Open calls.
func (c *Counted) Opens() int64 { return c.opens.Load() }

// OpenedKeys returns the keys passed to Open, in call order, repeats included.
func (c *Counted) OpenedKeys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.keys...)
}

// BytesRead returns the number of bytes read from opened objects.
func (c *Counted) BytesRead() int64 { return c.bytes.Load() }

type countingReadCloser struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r *countingReadCloser) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}
