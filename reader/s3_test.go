package reader_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"github.com/trailsweep/trailsweep/internal/s3test"
	"github.com/trailsweep/trailsweep/reader"
)

const bucket = "trails"

// startS3 serves the fixture tree from a fresh server.
func startS3(t *testing.T) *s3test.Server {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, bucket)
	for _, k := range tree {
		srv.Put(t, bucket, k, content(t, k))
	}
	return srv
}

func TestS3Pruning(t *testing.T) {
	srv := startS3(t)
	for _, pageSize := range []int32{0, 2} {
		for _, c := range pruneCases {
			t.Run(c.name+"/page="+string(rune('0'+pageSize)), func(t *testing.T) {
				src := reader.NewS3Client(srv.Client(), bucket, c.prefix)
				reader.SetPageSize(src, pageSize)
				checkPruning(t, src, "", c)
			})
		}
	}
}

// NewS3 builds its client from the default chain (here: the environment)
// and the options, as the CLI does.
func TestS3Open(t *testing.T) {
	srv := startS3(t)
	srv.Env(t)
	ctx := context.Background()
	opts := reader.S3Options{Endpoint: srv.Endpoint, PathStyle: true}
	src, err := reader.Open(ctx, "s3://"+bucket+"/AWSLogs/o-org1/", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := src.String(), "s3://"+bucket+"/AWSLogs/o-org1/"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	checkPruning(t, src, "", pruneCases[5])

	if _, err := reader.Open(ctx, "s3:///x", opts); err == nil {
		t.Error("Open(s3:///x) succeeded, want an error for the missing bucket name")
	}
}

func TestS3NoSuchBucket(t *testing.T) {
	srv := startS3(t)
	src := reader.NewS3Client(srv.Client(), "no-such-bucket", "AWSLogs/")
	err := src.List(context.Background(), reader.Filter{}, func(reader.Object) error { return nil })
	if !errors.Is(err, reader.ErrNoSuchBucket) {
		t.Fatalf("List error = %v, want ErrNoSuchBucket", err)
	}
	if !strings.Contains(err.Error(), "no-such-bucket") {
		t.Errorf("error %q does not name the bucket", err)
	}
}

func TestS3OpenMissingKey(t *testing.T) {
	srv := startS3(t)
	src := reader.NewS3Client(srv.Client(), bucket, "")
	key := "AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/09/gone.json.gz"
	_, err := src.Open(context.Background(), reader.Object{Bucket: bucket, Key: key})
	if err == nil || !strings.Contains(err.Error(), "s3 get "+key) {
		t.Errorf("Open error = %v, want one naming the key", err)
	}
}

func TestS3ListStops(t *testing.T) {
	srv := startS3(t)
	src := reader.NewS3Client(srv.Client(), bucket, "")
	reader.SetPageSize(src, 2)
	n := 0
	err := src.List(context.Background(), reader.Filter{}, func(reader.Object) error {
		n++
		if n == 3 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || n != 3 {
		t.Errorf("List = %v after %d objects, want %v after 3", err, n, errStop)
	}
}

func TestS3NoCredentials(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	_, err := reader.NewS3(ctx, reader.S3Options{Region: "us-east-1"}, bucket, "")
	if !errors.Is(err, reader.ErrNoCredentials) {
		t.Errorf("NewS3 error = %v, want ErrNoCredentials", err)
	}
	_, err = reader.NewS3(ctx, reader.S3Options{Profile: "nobody"}, bucket, "")
	if !errors.Is(err, reader.ErrNoCredentials) {
		t.Errorf("NewS3 with a missing profile: error = %v, want ErrNoCredentials", err)
	}
	if _, err := reader.NewS3(ctx, reader.S3Options{NoSign: true}, bucket, ""); err != nil {
		t.Errorf("NewS3 without signing: %v", err)
	}
}

// recordLists returns a client for srv that records the listings it makes,
// as "prefix" (recursive) or "prefix/" + "|" (delimited). The lister lists
// folders concurrently: the record is taken under a lock.
func recordLists(srv *s3test.Server, lists *[]string) *s3.Client {
	var mu sync.Mutex
	return s3.New(srv.Client().Options(), func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordLists",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if p, ok := in.Parameters.(*s3.ListObjectsV2Input); ok {
						l := aws.ToString(p.Prefix)
						if aws.ToString(p.Delimiter) != "" {
							l += "|"
						}
						mu.Lock()
						*lists = append(*lists, l)
						mu.Unlock()
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	})
}

// Pruning happens on the path: folders outside the filter are never listed,
// and within a region only the window's day prefixes are.
func TestS3ListsOnlyWindow(t *testing.T) {
	srv := startS3(t)
	var lists []string
	src := reader.NewS3Client(recordLists(srv, &lists), bucket, "")
	f := reader.Filter{Since: window.Since, Until: window.Until, Accounts: []string{"111111111111"}, Regions: []string{"us-east-1"}}
	if err := src.List(context.Background(), f, func(reader.Object) error { return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"|",
		"AWSLogs/|",
		"AWSLogs/111111111111/|",
		"AWSLogs/111111111111/CloudTrail-Digest/|",
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/05/",
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/06/",
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/07/",
		"AWSLogs/111111111111/CloudTrail-Insight/|",
		"AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2024/01/05/",
		"AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2024/01/06/",
		"AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2024/01/07/",
		"AWSLogs/111111111111/CloudTrail/|",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/05/",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/07/",
		"AWSLogs/o-org1/|",
		"backup/|",
		"backup/AWSLogs/|",
		"other/|",
	}
	slices.Sort(lists)
	slices.Sort(want)
	if !equal(lists, want) {
		t.Errorf("listings:\n got %q\nwant %q", lists, want)
	}
}
