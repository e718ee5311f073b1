package reader

import (
	"context"
	"errors"
	"io"
	"sync"
)

// ErrReadOnce is a second Open of a Stream: its bytes were consumed.
var ErrReadOnce = errors.New("a stream can be read only once")

// Stream is a Source of one object read from a reader, such as standard
// input ("-"). The filter's key-path pruning does not apply to it (it has no
// key path); its records are still filtered on eventTime. It can be opened
// once: a retry of a failed read fails with ErrReadOnce.
type Stream struct {
	name string
	mu   sync.Mutex
	r    io.Reader
}

var _ Source = (*Stream)(nil)

// NewStream returns a Source of the one object r holds, named name.
func NewStream(name string, r io.Reader) *Stream { return &Stream{name: name, r: r} }

// List emits the one object, named as the stream.
func (s *Stream) List(ctx context.Context, _ Filter, fn func(Object) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(Object{URI: s.name, Key: s.name})
}

// Open returns the stream's bytes the first time, ErrReadOnce after.
func (s *Stream) Open(context.Context, Object) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return nil, ErrReadOnce
	}
	r := s.r
	s.r = nil
	return io.NopCloser(r), nil
}

// String returns the stream's name.
func (s *Stream) String() string { return s.name }
