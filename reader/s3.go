package reader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3Options configure the S3 client as the AWS CLI's global options do.
type S3Options struct {
	Profile   string // shared config profile, like --profile; "" = AWS_PROFILE or default
	Region    string // like --region; "" = the chain's region, else us-east-1
	Endpoint  string // like --endpoint-url, e.g. "http://127.0.0.1:7070"
	PathStyle bool   // address the bucket in the path, not the host name
	NoSign    bool   // like --no-sign-request: anonymous requests, no credentials needed
	// Timeout bounds each phase of every S3 request (listing and GET):
	// connecting, waiting for the response headers, and waiting for body
	// bytes while they are read. A request that times out fails with an
	// error wrapping ErrTimeout, retried like other transient failures.
	// 0 = DefaultS3Timeout.
	Timeout time.Duration
	// ListConcurrency bounds the listing requests in flight at once (see
	// S3.List); 0 = DefaultListConcurrency.
	ListConcurrency int
}

// DefaultListConcurrency is the default bound on an S3 source's listing
// requests in flight.
const DefaultListConcurrency = 32

// S3 is a Source over s3://bucket/prefix.
//
// The prefix may stop at any depth of the layout: the bucket root, a folder
// above AWSLogs/, AWSLogs/, an organization, an account, a kind, a region,
// a year, a month or a day. Organizations, accounts and regions are
// discovered with delimited listings and filtered there; within a region,
// only the delivery days in the filter's window are listed (each day
// prefix directly for windows up to 62 days, otherwise by pruning year,
// month and day folders), and with no window the region is listed
// recursively. Digest and insight objects get the same pruning and are
// emitted with Skip set. Folders under an account other than the three
// CloudTrail kinds (other services' logs) are not listed. A prefix outside
// the layout is listed recursively as-is, reading the files named like logs
// (see Local). A prefix naming one object (it parses as a full layout key,
// or its last element has a dot and no trailing slash) lists the keys that
// begin with it: that key itself is read whatever it is, without
// filtering; the others are classified as above. Any other prefix without
// a trailing slash is taken as a folder.
//
// Like the AWS CLI, S3 follows the bucket to its region: when a listing's
// first page or a GET answers that the bucket lives in another region, the
// client is rebuilt for that region and the request repeated once.
type S3 struct {
	client   atomic.Pointer[s3.Client] // replaced once when the bucket turns out to live in another region
	bucket   string
	prefix   string
	pageSize int32 // ListObjectsV2 MaxKeys; 0 = the service default (1000)
	listConc int   // listing requests in flight at most; 0 = DefaultListConcurrency
}

// shortWindow is the longest window listed day by day without first
// listing year and month folders.
const shortWindow = 62 * day

// NewS3 returns an S3 source for s3://bucket/prefix with a client built by
// config.LoadDefaultConfig (environment, shared config and credentials
// files, SSO, IMDS) and opts applied on top.
//
// Unless opts.NoSign is set, credentials are retrieved once here: when the
// chain finds none (or the profile does not exist), the error wraps
// ErrNoCredentials with the reason. No error of NewS3, List or Open holds
// credential material (see Redact).
func NewS3(ctx context.Context, opts S3Options, bucket, prefix string) (*S3, error) {
	cfg, err := AWSConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.PathStyle
		o.Logger = logging.Nop{}
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	s := NewS3Client(client, bucket, prefix)
	s.listConc = opts.ListConcurrency
	return s, nil
}

// AWSConfig returns the aws.Config NewS3 builds its client from:
// config.LoadDefaultConfig with opts.Profile, opts.Region (us-east-1 when
// the chain has none), opts.NoSign and the timeouts of opts.Timeout
// applied. Unless opts.NoSign is set, credentials are retrieved once: when
// the chain finds none the error wraps ErrNoCredentials. The endpoint is
// not applied (it is per service: see opts.Endpoint). Other AWS clients
// (CloudTrail's ListPublicKeys for verify) use it to share S3's
// credential chain.
func AWSConfig(ctx context.Context, opts S3Options) (aws.Config, error) {
	// The SDK logs warnings to stderr by default; trailsweep reports errors
	// itself, so nothing the SDK would print (request details included)
	// reaches the terminal.
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultS3Timeout
	}
	lo := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{}), config.WithClientLogMode(0)}
	if opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		lo = append(lo, config.WithRegion(opts.Region))
	}
	if opts.NoSign {
		lo = append(lo, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		var pe config.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return aws.Config{}, fmt.Errorf("%w: %w", ErrNoCredentials, RedactError(err))
		}
		return aws.Config{}, fmt.Errorf("aws config: %w", RedactError(err))
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cfg.HTTPClient = newTimeoutClient(cfg.HTTPClient, timeout)
	if !opts.NoSign {
		if cfg.Credentials == nil {
			return aws.Config{}, fmt.Errorf("%w: no credential provider configured", ErrNoCredentials)
		}
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return aws.Config{}, fmt.Errorf("%w: %w", ErrNoCredentials, RedactError(err))
		}
	}
	return cfg, nil
}

// NewS3Client returns an S3 source that uses client (but see S3: a
// client for another region than the bucket's is replaced).
func NewS3Client(client *s3.Client, bucket, prefix string) *S3 {
	s := &S3{bucket: bucket, prefix: strings.TrimLeft(prefix, "/")}
	s.client.Store(client)
	return s
}

// followRegion switches to the bucket's region when err is a response
// naming another one in X-Amz-Bucket-Region (a 301 PermanentRedirect, or
// a 400 for a wrong signing region), and reports whether it did.
func (s *S3) followRegion(err error) bool {
	var re interface{ HTTPResponse() *smithyhttp.Response }
	if !errors.As(err, &re) || re.HTTPResponse() == nil || re.HTTPResponse().Response == nil {
		return false
	}
	region := re.HTTPResponse().Header.Get("X-Amz-Bucket-Region")
	c := s.client.Load()
	if region == "" || region == c.Options().Region {
		return false
	}
	s.client.CompareAndSwap(c, s3.New(c.Options(), func(o *s3.Options) { o.Region = region }))
	return true
}

// String returns "s3://bucket/prefix".
func (s *S3) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// List lists the objects under the prefix that f admits; see S3.
// A missing bucket yields an error wrapping ErrNoSuchBucket; refused
// credentials and an unreachable endpoint a *ListError.
//
// The folders of the layout (organizations, accounts, kinds, regions,
// years, months, days) are independent: List lists up to ListConcurrency
// of them at once, each with its own paginated requests, and calls fn,
// from the calling goroutine only, as their keys arrive, in no particular
// order. Listers wait while fn does (a channel of listBuffer objects
// between them), so at most about ListConcurrency pages of keys are held
// ahead of fn. A folder whose listing still fails after the SDK's retries
// (throttling, 5xx, resets, timeouts) is one Object whose Key is the
// folder's prefix (ending in "/") and whose Err names the prefix and the
// reason; the objects of its pages listed before the failure are listed
// too, and the other folders go on. A missing bucket, refused credentials
// and an unreachable endpoint end the whole listing, cancelling the
// listings in flight.
func (s *S3) List(ctx context.Context, f Filter, fn func(Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan Object, listBuffer)
	l := &lister{s: s, ctx: ctx, w: newWindow(f), out: out}
	l.folders.init(ctx, cancel)
	l.spawn(l.root)
	n := s.listConc
	if n <= 0 {
		n = DefaultListConcurrency
	}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.folders.work()
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	var fnErr error
	for o := range out {
		if fnErr != nil {
			continue // drain: the listers see ctx cancelled and stop
		}
		if err := fn(o); err != nil {
			fnErr = err
			cancel()
		}
	}
	if fnErr != nil {
		return fnErr
	}
	return l.folders.err
}

// listBuffer is how many listed objects wait for List's fn at most.
const listBuffer = 1024

// root starts the walk at the source's prefix.
func (l *lister) root() error {
	p := l.s.prefix
	if p != "" && !strings.HasSuffix(p, "/") {
		if _, ok := ParseKey(p); ok || strings.Contains(path.Base(p), ".") {
			l.exact = p
			return l.all(p, modeLayout)
		}
		p += "/"
	}
	segs, in := layoutSegs(p)
	if !in {
		return l.above(p)
	}
	switch l.w.judge(segs) {
	case filtered:
		return nil
	case offLayout:
		return l.all(p, modeAsIs)
	}
	return l.layout(p, segs)
}

// lister is the state of one List call.
type lister struct {
	s       *S3
	ctx     context.Context
	w       window
	out     chan<- Object
	exact   string // the key named as the prefix, read whatever it is
	folders folders
}

// emit hands o to List's caller, waiting while the caller is busy.
func (l *lister) emit(o Object) error {
	select {
	case l.out <- o:
		return nil
	case <-l.ctx.Done():
		return l.ctx.Err()
	}
}

// spawn queues the listing of a folder.
func (l *lister) spawn(t func() error) { l.folders.push(t) }

// folders runs folder listings on a fixed number of workers (List's
// listing concurrency). Pending listings wait on a stack, so the deepest
// folders are listed first and the stack stays small (the siblings of the
// folders being listed), whatever the size of the tree. The first error
// cancels the rest.
type folders struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	wake   sync.Cond
	stack  []func() error
	busy   int // listings queued or running
	err    error
}

func (f *folders) init(ctx context.Context, cancel context.CancelFunc) {
	f.ctx, f.cancel = ctx, cancel
	f.wake.L = &f.mu
}

func (f *folders) push(t func() error) {
	f.mu.Lock()
	f.stack = append(f.stack, t)
	f.busy++
	f.mu.Unlock()
	f.wake.Signal()
}

// work runs queued listings until none is queued or running, or one failed.
func (f *folders) work() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		for len(f.stack) == 0 && f.busy > 0 && f.err == nil {
			f.wake.Wait()
		}
		if f.busy == 0 || f.err != nil {
			f.wake.Broadcast()
			return
		}
		t := f.stack[len(f.stack)-1]
		f.stack[len(f.stack)-1] = nil
		f.stack = f.stack[:len(f.stack)-1]
		f.mu.Unlock()
		err := t()
		if err == nil && f.ctx.Err() != nil {
			err = f.ctx.Err()
		}
		f.mu.Lock()
		f.busy--
		if err != nil && f.err == nil {
			f.err = err
			f.cancel()
		}
	}
}

// listMode says how objects of a recursive listing are classified.
type listMode int

const (
	modeLayout listMode = iota // parse keys, drop filtered ones, skip digests, insights and non-log names
	modeAsIs                   // skip non-log names only
)

// above walks folders above AWSLogs/ with delimited listings.
func (l *lister) above(p string) error {
	return l.list(p, true, func(o Object) error {
		o.Skip = nameSkip(o.Key)
		return l.emit(o)
	}, func(cp string) error {
		if path.Base(cp) == "AWSLogs" {
			l.spawn(func() error { return l.layout(cp, nil) })
		} else {
			l.spawn(func() error { return l.above(cp) })
		}
		return nil
	})
}

// layout lists folder p whose segments after AWSLogs/ are segs, already
// admitted by the window.
func (l *lister) layout(p string, segs []string) error {
	depth := len(segs) // 1 account, 2 kind, 3 region, 4 year, 5 month, 6 day
	if depth > 0 && isOrg(segs[0]) {
		depth--
	}
	switch {
	case depth >= 6:
		return l.all(p, modeLayout)
	case depth >= 3 && !l.w.dated():
		return l.all(p, modeLayout)
	case depth >= 3 && l.w.bounded() && l.w.last.Sub(l.w.first) <= shortWindow:
		fixed := segs[len(segs)-(depth-3):] // year and month folders of p, if any
		for d := l.w.first; !d.After(l.w.last); d = d.Add(day) {
			ds := []string{d.Format("2006"), d.Format("01"), d.Format("02")}
			if !slices.Equal(ds[:len(fixed)], fixed) {
				continue
			}
			dp := p + strings.Join(ds[len(fixed):], "/") + "/"
			l.spawn(func() error { return l.all(dp, modeLayout) })
		}
		return nil
	}
	return l.list(p, true, func(o Object) error {
		o.Skip = nameSkip(o.Key)
		return l.emit(o)
	}, func(cp string) error {
		ns := append(segs[:len(segs):len(segs)], path.Base(cp))
		if l.w.judge(ns) != admitted {
			return nil
		}
		l.spawn(func() error { return l.layout(cp, ns) })
		return nil
	})
}

// all lists everything under p recursively.
func (l *lister) all(p string, mode listMode) error {
	return l.list(p, false, func(o Object) error {
		switch {
		case o.Key == l.exact:
		case mode == modeAsIs:
			o.Skip = nameSkip(o.Key)
		default:
			if k, ok := ParseKey(o.Key); ok {
				segs, _ := layoutSegs(path0(o.Key))
				if l.w.judge(segs) != admitted {
					return nil
				}
				o.Skip = k.Skip()
			} else {
				o.Skip = nameSkip(o.Key)
			}
		}
		return l.emit(o)
	}, nil)
}

// list pages lazily through ListObjectsV2 for prefix p, calling obj for
// each object and cp for each common prefix (delimited listings only).
func (l *lister) list(p string, delim bool, obj func(Object) error, cp func(string) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(l.s.bucket), Prefix: aws.String(p)}
	if delim {
		in.Delimiter = aws.String("/")
	}
	if l.s.pageSize > 0 {
		in.MaxKeys = aws.Int32(l.s.pageSize)
	}
	pg := s3.NewListObjectsV2Paginator(l.s.client.Load(), in)
	for first := true; pg.HasMorePages(); first = false {
		page, err := pg.NextPage(l.ctx)
		if err != nil && first && l.s.followRegion(err) {
			pg = s3.NewListObjectsV2Paginator(l.s.client.Load(), in)
			page, err = pg.NextPage(l.ctx)
		}
		if err != nil {
			if isNoSuchBucket(err) {
				return fmt.Errorf("s3 list s3://%s: %w", l.s.bucket, ErrNoSuchBucket)
			}
			if le := l.s.listError(p, err); le != nil {
				return le
			}
			if l.ctx.Err() != nil {
				return l.ctx.Err()
			}
			// Failed after the SDK's retries: the folder is one failed
			// entry, and the other folders go on.
			return l.emit(Object{URI: "s3://" + l.s.bucket + "/" + p, Bucket: l.s.bucket, Key: p,
				Err: fmt.Errorf("s3 list %s: %w", p, RedactError(err))})
		}
		for _, o := range page.Contents {
			if err := obj(l.s.object(o)); err != nil {
				return err
			}
		}
		for _, c := range page.CommonPrefixes {
			if err := cp(aws.ToString(c.Prefix)); err != nil {
				return err
			}
		}
	}
	folderListed(l.ctx)
	return nil
}

func (s *S3) object(o types.Object) Object {
	key := aws.ToString(o.Key)
	return Object{
		URI:          "s3://" + s.bucket + "/" + key,
		Bucket:       s.bucket,
		Key:          key,
		Size:         aws.ToInt64(o.Size),
		ETag:         strings.Trim(aws.ToString(o.ETag), `"`),
		LastModified: aws.ToTime(o.LastModified).In(time.UTC),
	}
}

func isNoSuchBucket(err error) bool {
	var nsb *types.NoSuchBucket
	if errors.As(err, &nsb) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket"
}

// Open GETs the object and streams its body; nothing is buffered beyond
// what the HTTP client reads ahead. Errors, including read errors of the
// body, name the key.
func (s *S3) Open(ctx context.Context, o Object) (io.ReadCloser, error) {
	bucket := o.Bucket
	if bucket == "" {
		bucket = s.bucket
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key)}
	out, err := s.client.Load().GetObject(ctx, in, getAttempts)
	if err != nil && s.followRegion(err) {
		out, err = s.client.Load().GetObject(ctx, in, getAttempts)
	}
	if err != nil {
		if isNoSuchBucket(err) {
			return nil, fmt.Errorf("s3 get %s: %w", o.Key, ErrNoSuchBucket)
		}
		// A GET is one attempt (getAttempts): the SDK's "exceeded maximum
		// number of attempts, 1" would contradict Retry's count.
		var me *retry.MaxAttemptsError
		if errors.As(err, &me) {
			err = me.Err
		}
		return nil, fmt.Errorf("s3 get %s: %w", o.Key, RedactError(err))
	}
	return &body{ReadCloser: out.Body, key: o.Key}, nil
}

// getAttempts makes a GET a single attempt: retries of GETs, including of
// their bodies, are Retry's, so that --retries is the one limit and a body
// cut short is retried like a failed request. Listing requests keep the
// SDK's standard retryer.
func getAttempts(o *s3.Options) { o.RetryMaxAttempts = 1 }

// body names the key in read errors.
type body struct {
	io.ReadCloser
	key string
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		if isChecksumMismatch(err) {
			err = checksumError{err}
		}
		err = fmt.Errorf("s3 get %s: %w", b.key, err)
	}
	return n, err
}

// isChecksumMismatch reports whether err is the AWS SDK's response checksum
// validation failure. Its type is unexported (in an internal package of the
// SDK), so its message identifies it.
func isChecksumMismatch(err error) bool {
	return strings.Contains(err.Error(), "checksum did not match")
}

// checksumError is the SDK's checksum validation failure, as ErrChecksum.
type checksumError struct{ err error }

func (e checksumError) Error() string        { return e.err.Error() }
func (e checksumError) Unwrap() error        { return e.err }
func (e checksumError) Is(target error) bool { return target == ErrChecksum }

// Metadata returns the object's user metadata (x-amz-meta-*), names
// lowercased without the prefix: where CloudTrail puts a digest's
// signature. A missing object yields an error ErrorKind calls not_found.
func (s *S3) Metadata(ctx context.Context, o Object) (map[string]string, error) {
	bucket := o.Bucket
	if bucket == "" {
		bucket = s.bucket
	}
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key)}
	out, err := s.client.Load().HeadObject(ctx, in)
	if err != nil && s.followRegion(err) {
		out, err = s.client.Load().HeadObject(ctx, in)
	}
	if err != nil {
		return nil, fmt.Errorf("s3 head %s: %w", o.Key, RedactError(err))
	}
	md := make(map[string]string, len(out.Metadata))
	for k, v := range out.Metadata {
		md[strings.ToLower(k)] = v
	}
	return md, nil
}

// Client returns the S3 client the source uses, for writing beside it
// with the same credentials, region and endpoint.
func (s *S3) Client() *s3.Client { return s.client.Load() }
