package reader_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/trailsweep/trailsweep/internal/s3test"
	"github.com/trailsweep/trailsweep/reader"
)

// TestS3Timeouts: behind a proxy that stops answering chosen requests —
// before the response headers, or halfway through the body — listing and
// reading end within a bounded time: a request stalled once is retried and
// read, one stalled every time fails with ErrTimeout (kind "timeout"), and
// every listed object is either read whole or failed.
func TestS3Timeouts(t *testing.T) {
	srv := startS3(t)
	const timeout = 150 * time.Millisecond
	stalls := []struct {
		name string
		st   *s3test.Stall
	}{ // a listing matches its headers stall first, then its body stall
		{"list headers once", &s3test.Stall{Match: "list-type=2", Times: 1}},
		{"list body once", &s3test.Stall{Match: "list-type=2", Body: true, Times: 1}},
		{"body once", &s3test.Stall{Match: "/a-0104.json.gz", Body: true, Times: 1}},
		{"headers once", &s3test.Stall{Match: "/a-0105.json.gz", Times: 1}},
		{"body always", &s3test.Stall{Match: "/a-0106.json.gz", Body: true, Times: -1}},
		{"headers always", &s3test.Stall{Match: "/a-0107.json.gz", Times: -1}},
	}
	var rules []*s3test.Stall
	for _, s := range stalls {
		rules = append(rules, s.st)
	}
	proxy := srv.Proxy(t, rules...)
	client := s3.New(srv.Client().Options(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(proxy.Endpoint)
		o.HTTPClient = reader.TimeoutHTTPClient(timeout)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	})
	src := reader.Retry(reader.NewS3Client(client, bucket, "AWSLogs/111111111111/CloudTrail/us-east-1/"),
		reader.RetryOptions{Attempts: 3, Base: time.Millisecond})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a hang fails the test, not the run
	defer cancel()
	start := time.Now()
	var objs []reader.Object
	if err := src.List(ctx, reader.Filter{}, func(o reader.Object) error {
		if o.Skip == "" {
			objs = append(objs, o)
		}
		return nil
	}); err != nil {
		t.Fatalf("List through a stalling proxy: %v", err)
	}
	if len(objs) != 6 {
		t.Fatalf("listed %d objects, want 6", len(objs))
	}
	failed := map[string]bool{}
	for _, o := range objs {
		b, err := readAll(ctx, src, o)
		switch {
		case err == nil:
			if !bytes.Equal(b, content(t, o.Key)) {
				t.Errorf("%s: read %d bytes that differ from the object", o.Key, len(b))
			}
		case errors.Is(err, reader.ErrTimeout) && reader.ErrorKind(err) == "timeout" && strings.Contains(err.Error(), "after 3 attempts"):
			failed[o.Key[strings.LastIndex(o.Key, "/"):]] = true
		default:
			t.Errorf("%s: %v (kind %s), want a timeout after 3 attempts", o.Key, err, reader.ErrorKind(err))
		}
	}
	if !failed["/a-0106.json.gz"] || !failed["/a-0107.json.gz"] || len(failed) != 2 {
		t.Errorf("failed %v, want the two objects stalled every time", failed)
	}
	for _, s := range stalls {
		want := s.st.Times
		if want < 0 {
			want = 3
		}
		if got := proxy.Stalled(s.st); got != want {
			t.Errorf("%s: stalled %d requests, want %d", s.name, got, want)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	t.Logf("listed and read through the stalling proxy in %v", time.Since(start).Round(time.Millisecond))
}

func readAll(ctx context.Context, src reader.Source, o reader.Object) ([]byte, error) {
	rc, err := src.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// TestS3ChecksumMismatch: a GET whose body arrives with a flipped byte
// fails the SDK's checksum validation (CRC32, stored at upload): that is a
// transient fault, retried, and the object is then read whole and right —
// the bytes already delivered are taken back, not stitched to the retry.
// A body corrupted every time fails with kind "checksum".
func TestS3ChecksumMismatch(t *testing.T) {
	srv := startS3(t)
	once := &s3test.Stall{Match: "/a-0104.json.gz", Flip: true, Times: 1}
	always := &s3test.Stall{Match: "/a-0105.json.gz", Flip: true, Times: -1}
	proxy := srv.Proxy(t, once, always)
	client := s3.New(srv.Client().Options(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(proxy.Endpoint)
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported
	})
	src := reader.Retry(reader.NewS3Client(client, bucket, ""), reader.RetryOptions{Attempts: 3, Base: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	key := "AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/04/a-0104.json.gz"
	var buf bytes.Buffer
	rc, err := src.Open(ctx, reader.Object{Bucket: bucket, Key: key, URI: "s3://" + bucket + "/" + key})
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(&buf, rc) // as the scan reads an object: into a buffer
	rc.Close()
	if err != nil || !bytes.Equal(buf.Bytes(), content(t, key)) {
		t.Errorf("read %d bytes, err %v (kind %s); want the object whole, after a retry", buf.Len(), err, reader.ErrorKind(err))
	}
	if proxy.Stalled(once) != 1 || src.Retries() != 1 {
		t.Errorf("%d bodies flipped, %d retries; want 1 and 1", proxy.Stalled(once), src.Retries())
	}

	key = "AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/05/a-0105.json.gz"
	buf.Reset()
	rc, err = src.Open(ctx, reader.Object{Bucket: bucket, Key: key, URI: "s3://" + bucket + "/" + key})
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(&buf, rc)
	rc.Close()
	if !errors.Is(err, reader.ErrChecksum) || reader.ErrorKind(err) != "checksum" || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("always corrupted: err %v (kind %s), want a checksum mismatch after 3 attempts", err, reader.ErrorKind(err))
	}
	if !reader.Retryable(err) {
		t.Errorf("a checksum mismatch is not Retryable")
	}
}
