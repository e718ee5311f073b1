package reader_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailsweep/trailsweep/reader"
)

// script is a Source serving one object whose n-th open behaves as told.
type script struct {
	body  []byte
	opens atomic.Int64
	step  func(n int, body []byte) (io.ReadCloser, error)
}

func (s *script) List(context.Context, reader.Filter, func(reader.Object) error) error { return nil }
func (s *script) String() string                                                       { return "script" }
func (s *script) Open(_ context.Context, _ reader.Object) (io.ReadCloser, error) {
	return s.step(int(s.opens.Add(1)), s.body)
}

// brokenAfter delivers n bytes of body, then fails with err.
type brokenAfter struct {
	r   io.Reader
	err error
}

func (b *brokenAfter) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, b.err
	}
	return n, err
}
func (b *brokenAfter) Close() error { return nil }

func cut(body []byte, n int, err error) io.ReadCloser {
	return &brokenAfter{r: bytes.NewReader(body[:n]), err: err}
}

var reset = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}

func TestRetry(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	whole := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	for _, c := range []struct {
		name     string
		attempts int
		step     func(n int, body []byte) (io.ReadCloser, error)
		opens    int64
		wantErr  error // nil: the whole body, exactly once
	}{
		{"reset mid-body", 5, func(n int, b []byte) (io.ReadCloser, error) {
			if n == 1 {
				return cut(b, 1000, reset), nil
			}
			return whole()
		}, 2, nil},
		{"clean short body", 5, func(n int, b []byte) (io.ReadCloser, error) {
			if n < 3 {
				return cut(b, 5000*n, io.EOF), nil
			}
			return whole()
		}, 3, nil},
		{"unexpected EOF, then reset while skipping", 5, func(n int, b []byte) (io.ReadCloser, error) {
			switch n {
			case 1:
				return cut(b, 30000, io.ErrUnexpectedEOF), nil
			case 2:
				return cut(b, 100, reset), nil
			}
			return whole()
		}, 3, nil},
		{"reset at open", 5, func(n int, _ []byte) (io.ReadCloser, error) {
			if n < 4 {
				return nil, reset
			}
			return whole()
		}, 4, nil},
		{"attempts run out", 3, func(int, []byte) (io.ReadCloser, error) { return nil, reset }, 3, syscall.ECONNRESET},
		{"not retryable", 5, func(int, []byte) (io.ReadCloser, error) { return nil, fs.ErrNotExist }, 1, fs.ErrNotExist},
		{"object changed", 5, func(n int, b []byte) (io.ReadCloser, error) {
			if n == 1 {
				return cut(b, 1000, reset), nil
			}
			other := bytes.Clone(b)
			other[10] = 'X'
			return io.NopCloser(bytes.NewReader(other)), nil
		}, 2, reader.ErrChanged},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &script{body: body, step: c.step}
			r := reader.Retry(src, reader.RetryOptions{Attempts: c.attempts, Base: time.Microsecond})
			o := reader.Object{URI: "mem://x", Size: int64(len(body))}
			var got []byte
			rc, err := r.Open(context.Background(), o)
			if err == nil {
				got, err = io.ReadAll(rc)
				rc.Close()
			}
			if c.wantErr == nil && (err != nil || !bytes.Equal(got, body)) {
				t.Fatalf("err %v, %d bytes; want the %d bytes once", err, len(got), len(body))
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Fatalf("err %v, want %v", err, c.wantErr)
			}
			if n := src.opens.Load(); n != c.opens {
				t.Errorf("%d opens, want %d", n, c.opens)
			}
			if r.Retries() != c.opens-1 {
				t.Errorf("%d retries counted, want %d", r.Retries(), c.opens-1)
			}
		})
	}
}

func TestRetryStopsOnCancel(t *testing.T) {
	src := &script{step: func(int, []byte) (io.ReadCloser, error) { return nil, reset }}
	r := reader.Retry(src, reader.RetryOptions{Attempts: 10, Base: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	start := time.Now()
	if _, err := r.Open(ctx, reader.Object{URI: "mem://x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the backoff did not end with the context")
	}
}

// TestRetryRealS3Errors: the S3 client's own errors for a 503 SlowDown and
// a 500 are retried and classified; a 403 is not retried.
func TestRetryRealS3Errors(t *testing.T) {
	var hits atomic.Int64
	status := http.StatusServiceUnavailable
	code := "SlowDown"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>m</Message></Error>`, code)
	}))
	defer srv.Close()
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: aws.AnonymousCredentials{}})
	src := reader.Retry(reader.NewS3Client(client, "b", ""), reader.RetryOptions{Attempts: 3, Base: time.Microsecond})
	for _, c := range []struct {
		status     int
		code, kind string
		retried    bool
	}{
		{503, "SlowDown", "throttled", true},
		{500, "InternalError", "server_error", true},
		{403, "AccessDenied", "access_denied", false},
	} {
		status, code = c.status, c.code
		hits.Store(0)
		_, err := src.Open(context.Background(), reader.Object{URI: "s3://b/k", Bucket: "b", Key: "k"})
		if err == nil {
			t.Fatalf("%d: no error", c.status)
		}
		if k := reader.ErrorKind(err); k != c.kind {
			t.Errorf("%d: kind %q, want %q (%v)", c.status, k, c.kind, err)
		}
		want := int64(1)
		if c.retried {
			want = 3 // the decorator's attempts; the SDK's retryer makes no more for GETs
		}
		if hits.Load() != want {
			t.Errorf("%d: %d requests, want %d", c.status, hits.Load(), want)
		}
	}
}

func TestFaultsReproducible(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 1000)
	run := func() map[string]int64 {
		src := &script{body: body, step: func(_ int, b []byte) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
		f := reader.Faults(src, reader.FaultOptions{Throttle: 0.1, Reset: 0.1, Truncate: 0.1, Seed: 7})
		for i := range 300 {
			rc, err := f.Open(context.Background(), reader.Object{URI: fmt.Sprint("mem://", i), Size: 1000})
			if err == nil {
				_, _ = io.ReadAll(rc)
			}
		}
		return f.Injected()
	}
	a, b := run(), run()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("two runs with one seed injected %v and %v", a, b)
	}
	for k, n := range a {
		if n < 10 || n > 60 {
			t.Errorf("%s: %d faults over 300 opens at 10%%", k, n)
		}
	}
}
