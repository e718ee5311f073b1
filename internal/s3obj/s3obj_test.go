package s3obj

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailsweep/trailsweep/internal/s3test"
)

// keys lists the bucket's objects and its multipart uploads in progress.
func keys(t *testing.T, c *s3.Client, bucket string) (objects []string, uploads int) {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		objects = append(objects, aws.ToString(o.Key))
	}
	mu, err := c.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	return objects, len(mu.Uploads)
}

// TestUpload: an object exists only once Commit completes it, whole (one
// PutObject or several parts); Abort, before or after parts were sent,
// leaves no object and no upload; writing a key again replaces it.
func TestUpload(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "out")
	c := srv.Client()
	ctx := context.Background()
	p := NewPrefix(c, "out", "hunt")
	body := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i*7)
		}
		return b
	}
	get := func(name string) []byte {
		r, err := p.Open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const part = 5 << 20 // S3's smallest part but the last
	for _, c := range []struct {
		name string
		size int
	}{{"small", 1000}, {"parts", 2*part + 123}, {"exact", 2 * part}} {
		t.Run(c.name, func(t *testing.T) {
			want := body(c.size, 1)
			u := p.Create(ctx, c.name)
			u.partSize = part
			for b := want; len(b) > 0; {
				k := min(len(b), 300_000)
				if _, err := u.Write(b[:k]); err != nil {
					t.Fatal(err)
				}
				b = b[k:]
			}
			if objs, _ := keys(t, srv.Client(), "out"); len(objs) != 0 && c.name == "small" {
				t.Fatalf("before Commit: %v", objs)
			}
			if err := u.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := get(c.name); !bytes.Equal(got, want) {
				t.Fatalf("read back %d bytes, want %d", len(got), len(want))
			}
			// Again, other bytes: replaced, not added.
			want = body(c.size/2+1, 9)
			u = p.Create(ctx, c.name)
			u.partSize = part
			u.Write(want)
			if err := u.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := get(c.name); !bytes.Equal(got, want) {
				t.Fatalf("rewritten: read back %d bytes, want %d", len(got), len(want))
			}
		})
	}
	before, _ := keys(t, c, "out")
	for _, n := range []int{10, 2*part + 1} {
		u := p.Create(ctx, "aborted")
		u.partSize = part
		if _, err := u.Write(body(n, 3)); err != nil {
			t.Fatal(err)
		}
		if n > part && u.id == "" {
			t.Fatal("no multipart upload in flight")
		}
		if err := u.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := u.Commit(); err == nil {
			t.Fatal("Commit after Abort succeeded")
		}
		if _, err := u.Write([]byte("x")); !errors.Is(err, ErrClosed) {
			t.Fatalf("Write after Abort: %v", err)
		}
	}
	after, uploads := keys(t, c, "out")
	if len(after) != len(before) || uploads != 0 {
		t.Fatalf("after Abort: objects %v (before %v), %d uploads in progress", after, before, uploads)
	}
	names, err := p.Names(ctx)
	if err != nil || len(names) != 3 {
		t.Fatalf("Names = %v, %v; want small, parts, exact", names, err)
	}
}
