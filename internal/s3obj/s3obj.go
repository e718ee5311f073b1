// Package s3obj writes whole objects to S3 and reads back the objects of a
// prefix: the findings parts and stage files of a sharded hunt.
//
// An Upload is an io.Writer into one object that exists only once Commit
// has completed it: bytes are sent in parts of bounded size as they come
// (a multipart upload), Commit completes the upload, and Abort (or a failed
// Commit) aborts it, so an interrupted writer never leaves an object,
// partial or whole, under the key. Writing a key again replaces the object.
package s3obj

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// PartSize is the size of each part of an Upload but the last: S3's
// smallest (5 MiB) rounded up, so an Upload holds at most 8 MiB.
const PartSize = 8 << 20

// ErrClosed is returned by Write after Commit or Abort.
var ErrClosed = errors.New("upload closed")

// Upload writes one S3 object; see the package documentation. It is not
// safe for concurrent use.
type Upload struct {
	ctx         context.Context
	client      *s3.Client
	bucket, key string
	partSize    int

	buf   []byte
	id    string // the multipart upload, once the first part is full
	parts []types.CompletedPart
	err   error
	done  bool
}

// Create starts writing s3://bucket/key with client. Nothing is sent
// before the first part is full; an object smaller than a part is sent
// whole, with one PutObject, by Commit.
func Create(ctx context.Context, client *s3.Client, bucket, key string) *Upload {
	return &Upload{ctx: ctx, client: client, bucket: bucket, key: key, partSize: PartSize}
}

// URI returns "s3://bucket/key".
func (u *Upload) URI() string { return "s3://" + u.bucket + "/" + u.key }

// Write buffers p, sending each part as it fills. After an error every
// Write fails with it.
func (u *Upload) Write(p []byte) (int, error) {
	if u.done {
		return 0, ErrClosed
	}
	if u.err != nil {
		return 0, u.err
	}
	n := len(p)
	for len(p) > 0 {
		if u.buf == nil {
			u.buf = make([]byte, 0, u.partSize)
		}
		k := min(len(p), u.partSize-len(u.buf))
		u.buf = append(u.buf, p[:k]...)
		p = p[k:]
		if len(u.buf) == u.partSize {
			if u.err = u.sendPart(); u.err != nil {
				return n - len(p), u.err
			}
		}
	}
	return n, nil
}

// sendPart sends the buffer as the next part, starting the multipart
// upload on the first.
func (u *Upload) sendPart() error {
	if u.id == "" {
		out, err := u.client.CreateMultipartUpload(u.ctx, &s3.CreateMultipartUploadInput{
			Bucket: &u.bucket, Key: &u.key, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
		})
		if err != nil {
			return fmt.Errorf("s3 upload %s: %w", u.URI(), err)
		}
		u.id = aws.ToString(out.UploadId)
	}
	n := int32(len(u.parts) + 1)
	out, err := u.client.UploadPart(u.ctx, &s3.UploadPartInput{
		Bucket: &u.bucket, Key: &u.key, UploadId: &u.id, PartNumber: &n,
		Body: bytes.NewReader(u.buf), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return fmt.Errorf("s3 upload %s part %d: %w", u.URI(), n, err)
	}
	u.parts = append(u.parts, types.CompletedPart{ETag: out.ETag, PartNumber: &n, ChecksumCRC32: out.ChecksumCRC32})
	u.buf = u.buf[:0]
	return nil
}

// Commit sends what is buffered and completes the object. On any error
// the upload is aborted and no object is written (an earlier one under
// the key stays).
func (u *Upload) Commit() error {
	if u.done {
		if u.err != nil {
			return u.err
		}
		return ErrClosed
	}
	err := u.err
	if err == nil && u.id == "" {
		_, err = u.client.PutObject(u.ctx, &s3.PutObjectInput{Bucket: &u.bucket, Key: &u.key,
			Body: bytes.NewReader(u.buf), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			err = fmt.Errorf("s3 put %s: %w", u.URI(), err)
		}
	} else if err == nil {
		if len(u.buf) > 0 {
			err = u.sendPart()
		}
		if err == nil {
			_, err = u.client.CompleteMultipartUpload(u.ctx, &s3.CompleteMultipartUploadInput{
				Bucket: &u.bucket, Key: &u.key, UploadId: &u.id,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts},
			})
			if err != nil {
				err = fmt.Errorf("s3 upload %s: complete: %w", u.URI(), err)
			}
		}
	}
	if err != nil {
		_ = u.abort()
	}
	u.done, u.err, u.buf = true, err, nil
	return err
}

// Abort discards the upload: parts already sent are deleted and no object
// is written. Abort after Commit does nothing.
func (u *Upload) Abort() error {
	if u.done {
		return nil
	}
	u.done, u.buf = true, nil
	if u.err == nil {
		u.err = ErrClosed
	}
	return u.abort()
}

func (u *Upload) abort() error {
	if u.id == "" {
		return nil
	}
	// Also when the scan's context is cancelled (SIGINT): parts left
	// behind are billed until a lifecycle rule removes them.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), 30*time.Second)
	defer cancel()
	_, err := u.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &u.bucket, Key: &u.key, UploadId: &u.id})
	if err != nil {
		return fmt.Errorf("s3 upload %s: abort: %w", u.URI(), err)
	}
	return nil
}

// Prefix is a folder of objects, s3://bucket/prefix/.
type Prefix struct {
	client         *s3.Client
	bucket, prefix string // prefix is "" or ends in "/"
}

// NewPrefix returns the folder s3://bucket/prefix/ (a slash is added to a
// prefix without one).
func NewPrefix(client *s3.Client, bucket, prefix string) *Prefix {
	prefix = strings.TrimLeft(prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Prefix{client: client, bucket: bucket, prefix: prefix}
}

// String returns "s3://bucket/prefix/".
func (p *Prefix) String() string { return "s3://" + p.bucket + "/" + p.prefix }

// Create starts writing the object name in the folder.
func (p *Prefix) Create(ctx context.Context, name string) *Upload {
	return Create(ctx, p.client, p.bucket, p.prefix+name)
}

// Names lists the names of the objects directly in the folder, in key order.
func (p *Prefix) Names(ctx context.Context) ([]string, error) {
	var names []string
	pg := s3.NewListObjectsV2Paginator(p.client, &s3.ListObjectsV2Input{Bucket: &p.bucket, Prefix: &p.prefix, Delimiter: aws.String("/")})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3 list %s: %w", p, err)
		}
		for _, o := range out.Contents {
			names = append(names, strings.TrimPrefix(aws.ToString(o.Key), p.prefix))
		}
	}
	return names, nil
}

// Open reads the object name in the folder.
func (p *Prefix) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	out, err := p.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &p.bucket, Key: aws.String(p.prefix + name)})
	if err != nil {
		return nil, fmt.Errorf("s3 get %s%s: %w", p, name, err)
	}
	return out.Body, nil
}
