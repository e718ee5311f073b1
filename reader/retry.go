package reader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// ErrShortBody is a body that ended, without an error, before the object's
// listed size: the connection was cut cleanly mid-object.
var ErrShortBody = errors.New("body shorter than the listed size")

// ErrChanged is an object whose bytes changed between two attempts to read
// it: a retry cannot be stitched to what was already delivered.
var ErrChanged = errors.New("object changed while being read")

// ErrChecksum is a body that failed the AWS SDK's checksum validation (the
// CRC the object was stored with): bytes were corrupted on the way. It is
// transient, but the bytes already delivered are wrong, so a retry reads
// the object again from its start (see Retrying.Open).
var ErrChecksum = errors.New("checksum mismatch")

// RetryOptions configure Retry.
type RetryOptions struct {
	// Attempts is the number of times an object is opened and read before
	// its error is final; 1 disables retries. Default 5.
	Attempts int
	// Base is the first backoff; each further one doubles, up to Max, and
	// each is drawn uniformly from [d/2, d] (jitter). Defaults 200ms and 10s.
	Base, Max time.Duration
}

// Retrying is a Source that retries opening and reading objects; see Retry.
// It is safe for concurrent use.
type Retrying struct {
	Source
	opts    RetryOptions
	retries atomic.Int64
}

var _ Source = (*Retrying)(nil)

// Retry returns s decorated with retries of transient failures: throttling
// (503 SlowDown, 429), other 5xx responses, connection resets and timeouts,
// and a body that ends early (with an error, or cleanly before the object's
// listed size). Listing is not retried here (the S3 client's own retryer
// handles listing requests).
//
// A body that fails mid-read is fetched again from the start: the bytes
// already handed to the caller are read again and discarded, after checking
// that they are the same bytes (CRC-32), so the caller sees each byte of the
// object exactly once, or an error. Any other error (not found, access
// denied, a cancelled context) is returned at once.
func Retry(s Source, opts RetryOptions) *Retrying {
	if opts.Attempts < 1 {
		opts.Attempts = 5
	}
	if opts.Base <= 0 {
		opts.Base = 200 * time.Millisecond
	}
	if opts.Max < opts.Base {
		opts.Max = max(10*time.Second, opts.Base)
	}
	return &Retrying{Source: s, opts: opts}
}

// Retries returns the number of retries made so far (attempts after the first).
func (r *Retrying) Retries() int64 { return r.retries.Load() }

// Open opens o, retrying transient failures; reads of the result are
// retried too (see Retry).
//
// A checksum mismatch (ErrChecksum) cannot be repaired by reading on from
// where the body failed: the body's WriteTo, which io.Copy uses, repairs
// it when it writes to a *bytes.Buffer, by truncating the buffer to where
// the copy began and reading the object again from its start; a mismatch
// met through Read is returned as it is.
func (r *Retrying) Open(ctx context.Context, o Object) (io.ReadCloser, error) {
	b := &retryBody{r: r, ctx: ctx, o: o, crc: crc32.NewIEEE()}
	if err := b.reopen(nil); err != nil {
		return nil, err
	}
	return b, nil
}

// Retryable reports whether err is a transient failure worth another
// attempt: what the AWS SDK's standard retryer retries (throttling, 5xx,
// connection errors, timeouts), plus a body cut short, an S3 request that
// timed out (ErrTimeout) and a body that failed its checksum (ErrChecksum).
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, ErrShortBody) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrChecksum) {
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// retryBody is an object body that reopens itself on transient failures.
type retryBody struct {
	r       *Retrying
	ctx     context.Context
	o       Object
	rc      io.ReadCloser
	attempt int   // attempts made
	off     int64 // bytes delivered to the caller
	crc     interface {
		io.Writer
		Sum32() uint32
	}
}

// reopen makes the next attempt after cause (nil for the first): it waits
// the backoff, opens the object again and skips what was already
// delivered. It returns the final error when attempts run out.
func (b *retryBody) reopen(cause error) error {
	for {
		if cause != nil {
			if !Retryable(cause) || b.attempt >= b.r.opts.Attempts {
				return afterAttempts(cause, b.attempt)
			}
			b.r.retries.Add(1)
			if err := sleep(b.ctx, b.r.backoff(b.attempt)); err != nil {
				return err
			}
		}
		b.attempt++
		rc, err := b.r.Source.Open(b.ctx, b.o)
		if err != nil {
			cause = err
			continue
		}
		if b.off > 0 {
			h := crc32.NewIEEE()
			n, err := io.CopyN(h, rc, b.off)
			if err == io.EOF && n < b.off {
				err = fmt.Errorf("%w: %d of %d bytes already read", ErrShortBody, n, b.off)
			}
			if err != nil {
				rc.Close()
				cause = err
				continue
			}
			if h.Sum32() != b.crc.Sum32() {
				rc.Close()
				return fmt.Errorf("%s: %w", b.o.URI, ErrChanged)
			}
		}
		b.rc = rc
		return nil
	}
}

func (b *retryBody) Read(p []byte) (int, error) {
	for {
		n, err := b.rc.Read(p)
		if n > 0 {
			b.off += int64(n)
			_, _ = b.crc.Write(p[:n])
		}
		if errors.Is(err, ErrChecksum) {
			// Reading on cannot repair bytes already delivered: see WriteTo.
			err = afterAttempts(err, b.attempt)
			b.rc.Close()
			b.rc = errReader{err}
			return n, err
		}
		if err == io.EOF && b.o.Size > 0 && b.off < b.o.Size {
			err = fmt.Errorf("%s: %w: %d of %d bytes", b.o.URI, ErrShortBody, b.off, b.o.Size)
		}
		if err == nil || err == io.EOF || n > 0 {
			if err != nil && err != io.EOF && n > 0 {
				// Deliver the bytes now; the error recurs on the next Read
				// only if the stream stays broken, so retry then.
				err = b.retry(err)
			}
			return n, err
		}
		if err = b.retry(err); err != nil {
			return 0, err
		}
	}
}

// retry replaces the broken stream after err, or returns the final error.
func (b *retryBody) retry(err error) error {
	b.rc.Close()
	b.rc = eofReader{}
	if err := b.reopen(err); err != nil {
		b.rc = errReader{err}
		return err
	}
	return nil
}

// WriteTo copies the body to w. When w is a *bytes.Buffer, a checksum
// mismatch is retried from the object's start: w is truncated to its length
// before the copy and the object opened again, within the same attempts.
func (b *retryBody) WriteTo(w io.Writer) (int64, error) {
	buf, ok := w.(*bytes.Buffer)
	start := 0
	if ok {
		start = buf.Len()
	}
	for {
		n, err := io.Copy(w, struct{ io.Reader }{b})
		if err == nil || !ok || !errors.Is(err, ErrChecksum) || b.attempt >= b.r.opts.Attempts {
			return n, err
		}
		buf.Truncate(start)
		b.off = 0
		b.crc = crc32.NewIEEE()
		if err := b.reopen(err); err != nil {
			b.rc = errReader{err}
			return 0, err
		}
	}
}

func (b *retryBody) Close() error { return b.rc.Close() }

// backoff is the wait before attempt n+1: Base·2^(n−1), at most Max, with
// jitter drawn from [d/2, d].
func (r *Retrying) backoff(n int) time.Duration {
	d := r.opts.Base
	for i := 1; i < n && d < r.opts.Max; i++ {
		d *= 2
	}
	d = min(d, r.opts.Max)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// attemptsError is a final error after more than one attempt; its message
// says how many, once.
type attemptsError struct {
	err error
	n   int
}

func (e *attemptsError) Error() string { return fmt.Sprintf("%v (after %d attempts)", e.err, e.n) }
func (e *attemptsError) Unwrap() error { return e.err }

// afterAttempts returns err saying it came after n attempts, when n > 1
// and err does not already say so (a final error read again, or met again
// by a later retry, keeps the count it was given).
func afterAttempts(err error, n int) error {
	var ae *attemptsError
	if n <= 1 || errors.As(err, &ae) {
		return err
	}
	return &attemptsError{err: err, n: n}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
func (eofReader) Close() error             { return nil }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
func (e errReader) Close() error             { return nil }
