package reader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// DefaultS3Timeout is the connect, first-byte and idle-body timeout of S3
// requests when S3Options.Timeout is zero.
const DefaultS3Timeout = 30 * time.Second

// ErrTimeout is an S3 request that got no response headers, or no body
// bytes for a while, within its timeout. It is transient: Retryable.
var ErrTimeout = errors.New("s3 timeout")

// timeoutError is a timed-out request. It reports Timeout and Temporary, so
// that the SDK's retryer retries it too (listing requests).
type timeoutError struct {
	what string
	d    time.Duration
}

func (e *timeoutError) Error() string        { return fmt.Sprintf("timeout: %s %v", e.what, e.d) }
func (e *timeoutError) Timeout() bool        { return true }
func (e *timeoutError) Temporary() bool      { return true }
func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }

// httpDoer is the SDK's HTTP client interface.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// timeoutClient is an HTTP client whose requests time out: connecting (the
// dialer's timeout), waiting for the response headers from the start of
// the request, and waiting for body bytes while the caller reads (time
// spent between reads, when the caller is busy, does not count). A timeout
// cancels the request, closing its connection, and the request or read
// returns an error wrapping ErrTimeout.
type timeoutClient struct {
	c httpDoer
	d time.Duration
}

// newTimeoutClient returns c with timeouts d; nil c is the SDK's default
// client. The dial and TLS handshake timeouts are set when c is the SDK's
// BuildableClient (as config.LoadDefaultConfig makes it, with a custom CA
// bundle for instance).
func newTimeoutClient(c httpDoer, d time.Duration) *timeoutClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	if b, ok := c.(*awshttp.BuildableClient); ok {
		c = b.WithDialerOptions(func(nd *net.Dialer) { nd.Timeout = d }).
			WithTransportOptions(func(tr *http.Transport) { tr.TLSHandshakeTimeout = d })
	}
	return &timeoutClient{c: c, d: d}
}

func (c *timeoutClient) Do(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	fired := new(atomic.Bool)
	t := time.AfterFunc(c.d, func() { fired.Store(true); cancel() })
	resp, err := c.c.Do(req.WithContext(ctx))
	t.Stop()
	if fired.Load() {
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		return nil, &timeoutError{"no response within", c.d}
	}
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &idleBody{rc: resp.Body, t: t, d: c.d, fired: fired, cancel: cancel}
	return resp, nil
}

// idleBody is a response body whose reads time out after d without data.
type idleBody struct {
	rc     io.ReadCloser
	t      *time.Timer // cancels the request and sets fired
	d      time.Duration
	fired  *atomic.Bool
	cancel context.CancelFunc
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.fired.Load() {
		return 0, &timeoutError{"no body data for", b.d}
	}
	b.t.Reset(b.d)
	n, err := b.rc.Read(p)
	b.t.Stop()
	if b.fired.Load() {
		return n, &timeoutError{"no body data for", b.d}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.t.Stop()
	err := b.rc.Close()
	b.cancel()
	return err
}
