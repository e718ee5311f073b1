// Package reader is where bytes and records come from: sources of CloudTrail
// log objects (S3 and the local filesystem), the CloudTrail key layout and
// path pruning, and a streaming decoder that turns one object (gzip or
// plain; {"Records":[…]}, a bare array, or NDJSON) into raw JSON records.
//
// Data flows from here to scan and report; this package imports neither.
package reader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Object is one listed object.
type Object struct {
	URI    string // s3://bucket/key, or the local file path
	Bucket string // the S3 bucket; "" for local files
	Key    string // the S3 key, or the slash-separated path relative to the source root for local files

	Size         int64
	ETag         string // the S3 ETag as listed; for local files, see Local
	LastModified time.Time

	// Skip, when non-empty, says the object was listed but is not to be
	// read, and why (SkipDigest, SkipInsight, SkipNotLog, SkipSpecial,
	// SkipLoop).
	Skip string
	// Err, when non-nil, says the listing found this entry but could not
	// list or read it (an unreadable folder, a broken link, a device named
	// as the source): the scan counts it as failed with this error and
	// never opens it.
	Err error
}

// Filter restricts a listing. Zero values mean no restriction.
type Filter struct {
	Since, Until time.Time // event time window; the delivery days listed are Since−1 day to Until+1 day
	Accounts     []string  // account IDs; empty = all
	Regions      []string  // region names; empty = all
}

// Source lists and opens log objects.
type Source interface {
	// List calls fn for each object the filter admits, from the calling
	// goroutine only, as the listing proceeds: it never holds the whole key
	// list. The order is not part of the contract (S3 lists folders
	// concurrently); each admitted object comes exactly once. Pruning by
	// account, region and day happens on the key path, before any read.
	// It stops and returns fn's error as soon as fn returns one.
	List(ctx context.Context, f Filter, fn func(Object) error) error
	// Open streams the object's bytes as stored (still compressed).
	Open(ctx context.Context, o Object) (io.ReadCloser, error)
	// String names the source for messages, e.g. "s3://bucket/prefix".
	String() string
}

var (
	_ Source = (*S3)(nil)
	_ Source = (*Local)(nil)
	_ Source = (*Counted)(nil)
)

// Sentinel errors of sources; the CLI maps them to a usage exit code.
var (
	ErrNoSuchBucket  = errors.New("no such bucket")
	ErrNoCredentials = errors.New("no aws credentials")
	// ErrSpecialFile: a local source that is a device, FIFO or socket,
	// refused rather than read without end.
	ErrSpecialFile = errors.New("not a regular file")
)

// Open returns the source named by arg: "s3://bucket[/prefix]" is an S3
// source configured by opts; anything else is a local file or directory,
// and an error wrapping fs.ErrNotExist when it does not exist.
func Open(ctx context.Context, arg string, opts S3Options) (Source, error) {
	if rest, ok := strings.CutPrefix(arg, "s3://"); ok {
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, fmt.Errorf("source %q: missing bucket name", arg)
		}
		return NewS3(ctx, opts, bucket, prefix)
	}
	return NewLocal(arg)
}
