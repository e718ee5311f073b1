package reader

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// FaultOptions are the rates (0 to 1) of each fault Faults injects per
// attempt to read an object, and the seed that makes them reproducible.
type FaultOptions struct {
	Throttle float64 // Open fails with an S3 503 SlowDown response error
	Reset    float64 // the connection is reset: at Open or part-way through the body
	Truncate float64 // the body ends half-way: with io.ErrUnexpectedEOF, or cleanly (a short body)
	Seed     uint64
}

// Fault kinds, as counted by Faulty.Injected.
const (
	FaultThrottle = "throttle"
	FaultReset    = "reset"
	FaultTruncate = "truncate"
)

// Faulty is a Source that injects faults into Open and reads, for tests of
// retries; see Faults. It is safe for concurrent use.
type Faulty struct {
	Source
	opts FaultOptions

	mu       sync.Mutex
	attempts map[string]int // opens so far, by URI

	throttles, resets, truncates atomic.Int64
}

var _ Source = (*Faulty)(nil)

// Faults returns s decorated with injected faults. Whether the n-th open
// of an object fails, and how, depends only on the seed, the object's URI
// and n, not on timing or the order of calls, so a run is reproducible at
// any concurrency.
func Faults(s Source, opts FaultOptions) *Faulty {
	return &Faulty{Source: s, opts: opts, attempts: map[string]int{}}
}

// Injected returns the number of faults injected so far, by kind.
func (f *Faulty) Injected() map[string]int64 {
	return map[string]int64{
		FaultThrottle: f.throttles.Load(), FaultReset: f.resets.Load(), FaultTruncate: f.truncates.Load(),
	}
}

// roll returns a reproducible number in [0, 1) for the n-th open of uri.
func (f *Faulty) roll(uri string, n int, salt string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%d|%s", f.opts.Seed, uri, n, salt)
	return float64(h.Sum64()>>11) / (1 << 53)
}

// Open opens o through the wrapped source, or fails as drawn.
func (f *Faulty) Open(ctx context.Context, o Object) (io.ReadCloser, error) {
	f.mu.Lock()
	f.attempts[o.URI]++
	n := f.attempts[o.URI]
	f.mu.Unlock()

	r := f.roll(o.URI, n, "kind")
	at := f.roll(o.URI, n, "where")
	switch {
	case r < f.opts.Throttle:
		f.throttles.Add(1)
		return nil, fmt.Errorf("s3 get %s: %w", o.Key, slowDown())
	case r < f.opts.Throttle+f.opts.Reset:
		f.resets.Add(1)
		if at < 0.5 {
			return nil, fmt.Errorf("s3 get %s: %w", o.Key, connReset())
		}
		rc, err := f.Source.Open(ctx, o)
		if err != nil {
			return nil, err
		}
		return &cutBody{ReadCloser: rc, left: o.Size / 2, err: connReset()}, nil
	case r < f.opts.Throttle+f.opts.Reset+f.opts.Truncate:
		f.truncates.Add(1)
		rc, err := f.Source.Open(ctx, o)
		if err != nil {
			return nil, err
		}
		end := io.ErrUnexpectedEOF
		if at < 0.5 {
			end = io.EOF // a clean end before the listed size
		}
		return &cutBody{ReadCloser: rc, left: o.Size / 2, err: end}, nil
	}
	return f.Source.Open(ctx, o)
}

// slowDown is the error the S3 client returns for a 503 SlowDown response.
func slowDown() error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}}},
		Err:      &smithy.GenericAPIError{Code: "SlowDown", Message: "Please reduce your request rate.", Fault: smithy.FaultServer},
	}}
}

// connReset is the error a read of a reset TCP connection returns.
func connReset() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
}

// cutBody delivers left bytes, then fails with err.
type cutBody struct {
	io.ReadCloser
	left int64
	err  error
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	return n, err
}
