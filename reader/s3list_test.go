package reader_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/trailsweep/trailsweep/internal/s3test"
	"github.com/trailsweep/trailsweep/reader"
)

// orgTree is a layout of many accounts (some under an organization),
// regions and days, with digests, insights and stray files: the keys of
// TestS3ListConcurrent.
func orgTree() []string {
	var keys []string
	days := []string{"2023/12/30", "2023/12/31", "2024/01/01", "2024/01/02", "2024/01/03", "2024/03/15"}
	for a := range 12 {
		acct := fmt.Sprintf("%012d", 100000000000+a)
		base := "AWSLogs/" + acct + "/"
		if a%3 == 0 {
			base = "AWSLogs/o-org" + fmt.Sprint(a%2) + "/" + acct + "/"
		}
		for _, region := range []string{"us-east-1", "eu-west-1", "ap-south-1"} {
			for i, d := range days {
				if (a+i)%5 == 4 {
					continue // a gap
				}
				day := strings.ReplaceAll(d, "/", "")
				keys = append(keys, fmt.Sprintf("%sCloudTrail/%s/%s/%s_CloudTrail_%s_%sT0000Z_x.json.gz", base, region, d, acct, region, day))
				if i == 2 {
					keys = append(keys, fmt.Sprintf("%sCloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_t_%s_%sT0100Z.json.gz", base, region, d, acct, region, region, day))
				}
			}
		}
		if a == 5 {
			keys = append(keys, base+"CloudTrail/us-east-1/2024/01/01/notes.txt",
				base+"CloudTrail-Insight/us-east-1/2024/01/01/i.json.gz", base+"Config/us-east-1/2024/01/01/c.json.gz")
		}
	}
	return append(keys, "other/folder/log.json.gz", "readme.txt")
}

// TestS3ListConcurrent: listing folders concurrently, through a proxy that
// delays every listing request, lists exactly what a sequential listing
// and the local source over the same tree list, for every depth and
// filter; and the listing requests in flight reach the configured bound,
// never more.
func TestS3ListConcurrent(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, bucket)
	keys := orgTree()
	dir := t.TempDir()
	// Uploads through a transport of our own, whose idle connections are
	// closed once done: versitygw's graceful stop waits for them.
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	put := s3.New(s3.Options{
		BaseEndpoint: aws.String(srv.Endpoint), Region: srv.Region, UsePathStyle: true, HTTPClient: &http.Client{Transport: tr},
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, k := range keys {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content(t, k), 0o644); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := put.PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(string(content(t, k)))})
			if err != nil {
				t.Errorf("put %s: %v", k, err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	proxy := srv.Proxy(t)
	proxy.ListDelay = time.Millisecond
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(proxy.Endpoint), Region: srv.Region, UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})

	short := reader.Filter{Since: ts("2024-01-01T10:00:00Z"), Until: ts("2024-01-01T12:00:00Z")}
	long := reader.Filter{Since: ts("2023-12-31T00:00:00Z"), Until: ts("2024-03-15T12:00:00Z")} // > 62 days: folders pruned
	filters := map[string]reader.Filter{
		"all":      {},
		"short":    short,
		"long":     long,
		"since":    {Since: ts("2024-01-02T00:00:00Z")},
		"accounts": {Accounts: []string{"100000000003", "100000000005", "100000000010"}},
		"regions":  {Regions: []string{"eu-west-1"}},
		"both":     {Since: long.Since, Until: long.Until, Accounts: []string{"100000000000", "100000000007"}, Regions: []string{"us-east-1", "ap-south-1"}},
	}
	prefixes := []string{"", "AWSLogs/o-org0/", "AWSLogs/100000000005/", "AWSLogs/100000000005/CloudTrail/",
		"AWSLogs/100000000005/CloudTrail/us-east-1/", "AWSLogs/o-org1/100000000003/CloudTrail/eu-west-1/2024/",
		"AWSLogs/100000000005/CloudTrail/us-east-1/2024/01/", "AWSLogs/100000000005/CloudTrail/us-east-1/2024/01/01/"}
	list := func(t *testing.T, src reader.Source, root string, f reader.Filter) []string {
		t.Helper()
		var got []string
		if err := src.List(context.Background(), f, func(o reader.Object) error {
			got = append(got, listed(root, o))
			return nil
		}); err != nil {
			t.Fatalf("List %s: %v", src, err)
		}
		slices.Sort(got)
		return got
	}
	for _, prefix := range prefixes {
		for name, f := range filters {
			if strings.Count(prefix, "/") > 2 && name != "all" && name != "short" && name != "long" {
				continue // deep prefixes: the account and region filters were judged above them
			}
			t.Run(prefix+"/"+name, func(t *testing.T) {
				t.Parallel()
				seq := reader.NewS3Client(client, bucket, prefix)
				reader.SetListConcurrency(seq, 1)
				conc := reader.NewS3Client(client, bucket, prefix)
				reader.SetListConcurrency(conc, 8)
				reader.SetPageSize(conc, 3)
				local, err := reader.NewLocal(filepath.Join(dir, filepath.FromSlash(prefix)))
				if err != nil {
					t.Fatal(err)
				}
				want := list(t, seq, "", f)
				if got := list(t, conc, "", f); !slices.Equal(got, want) {
					t.Errorf("concurrent listing differs from the sequential one: %s", diff(got, want))
				}
				if got := list(t, local, prefix, f); !slices.Equal(got, want) {
					t.Errorf("local listing differs from the sequential S3 one: %s", diff(got, want))
				}
				if prefix == "" && name == "all" && len(want) != len(keys)-1 { // all but Config/
					t.Errorf("listed %d objects, want all %d but the Config/ one", len(want), len(keys))
				}
			})
		}
	}

	// The survey (what the source holds, for coverage) lists folders
	// concurrently too, and finds what the local survey of the same tree
	// finds.
	t.Run("survey", func(t *testing.T) {
		p := srv.Proxy(t)
		p.ListDelay = 20 * time.Millisecond
		c := s3.New(s3.Options{
			BaseEndpoint: aws.String(p.Endpoint), Region: srv.Region, UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
		})
		for _, prefix := range []string{"", "AWSLogs/o-org0/", "AWSLogs/100000000005/CloudTrail/"} {
			src := reader.NewS3Client(c, bucket, prefix)
			reader.SetListConcurrency(src, 6)
			got, err := src.Survey(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			local, err := reader.NewLocal(filepath.Join(dir, filepath.FromSlash(prefix)))
			if err != nil {
				t.Fatal(err)
			}
			want, err := local.Survey(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) || len(got.Days) == 0 {
				t.Errorf("%q: S3 survey %v, local %v", prefix, got, want)
			}
		}
		if _, most := p.Listings(); most != 6 {
			t.Errorf("survey listings in flight at most: %d, want the bound, 6", most)
		}
	})

	t.Run("bound", func(t *testing.T) {
		p := srv.Proxy(t)
		p.ListDelay = 20 * time.Millisecond
		c := s3.New(s3.Options{
			BaseEndpoint: aws.String(p.Endpoint), Region: srv.Region, UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
		})
		src := reader.NewS3Client(c, bucket, "")
		reader.SetListConcurrency(src, 6)
		n := 0
		trace := &reader.ListTrace{}
		if err := src.List(reader.WithListTrace(context.Background(), trace), reader.Filter{}, func(reader.Object) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		total, most := p.Listings()
		t.Logf("%d objects, %d listing requests, %d at most in flight", n, total, most)
		if most != 6 {
			t.Errorf("listing requests in flight at most: %d, want the bound, 6", most)
		}
		// Every folder fits one page here: one request a folder listed.
		if got := trace.Folders(); got != int64(total) {
			t.Errorf("the trace counted %d folders listed, want one a listing request, %d", got, total)
		}
	})
}

// TestS3ListFailures: listing faults injected by a proxy (503 SlowDown, a
// reset connection, a stalled request) are retried, and a folder whose
// listing still fails after the retries is one failed entry naming its
// prefix and the reason, while every other folder is listed whole. List
// stops early when fn fails.
func TestS3ListFailures(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, bucket)
	var keys []string
	for _, k := range orgTree() {
		if strings.Contains(k, "100000000004") || strings.Contains(k, "100000000001") {
			srv.Put(t, bucket, k, content(t, k))
			keys = append(keys, k)
		}
	}
	const (
		stalled   = "AWSLogs/100000000004/CloudTrail/eu-west-1/"
		throttled = "AWSLogs/100000000001/CloudTrail/ap-south-1/"
	)
	match := func(p string) string { return strings.ReplaceAll(p, "/", "%2F") }
	// The first stall that matches a request applies; those caught once
	// are retried and listed whole.
	stalls := []struct {
		name string
		*s3test.Stall
	}{
		{"stalled every time", &s3test.Stall{Match: match(stalled), Times: -1}},
		{"503 every time", &s3test.Stall{Match: match(throttled), Status: http.StatusServiceUnavailable, Times: -1}},
		{"503 twice", &s3test.Stall{Match: match("AWSLogs/100000000001/CloudTrail/us-east-1/"), Status: http.StatusServiceUnavailable, Times: 2}},
		{"500 once", &s3test.Stall{Match: match("AWSLogs/100000000004/CloudTrail/us-east-1/"), Status: http.StatusInternalServerError, Times: 1}},
		{"reset once", &s3test.Stall{Match: match("AWSLogs/100000000004/CloudTrail/ap-south-1/"), Reset: true, Times: 1}},
		{"the account folder reset once", &s3test.Stall{Match: match("AWSLogs/100000000001/"), Reset: true, Times: 1}},
		{"the first listing 503 once", &s3test.Stall{Match: "list-type=2", Status: http.StatusServiceUnavailable, Times: 1}},
	}
	var all []*s3test.Stall
	for _, st := range stalls {
		all = append(all, st.Stall)
	}
	proxy := srv.Proxy(t, all...)
	srv.Env(t)
	src, err := reader.NewS3(context.Background(), reader.S3Options{Endpoint: proxy.Endpoint, PathStyle: true, Timeout: 150 * time.Millisecond}, bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	failed := map[string]error{}
	err = src.List(context.Background(), reader.Filter{}, func(o reader.Object) error {
		if o.Err != nil {
			failed[o.Key] = o.Err
			if o.URI != "s3://"+bucket+"/"+o.Key {
				t.Errorf("failed entry %s: URI %s", o.Key, o.URI)
			}
			return nil
		}
		got = append(got, o.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List = %v, want the failed folders as entries", err)
	}
	if len(failed) != 2 {
		t.Errorf("failed entries %v, want %s and %s", failed, stalled, throttled)
	}
	if e := failed[stalled]; e == nil || !strings.Contains(e.Error(), stalled) || !errors.Is(e, reader.ErrTimeout) {
		t.Errorf("%s: %v, want a timeout naming the folder", stalled, e)
	}
	if e := failed[throttled]; e == nil || !strings.Contains(e.Error(), throttled) || reader.ErrorKind(e) != "throttled" {
		t.Errorf("%s: %v, want a throttled error naming the folder", throttled, e)
	}
	var want []string
	for _, k := range keys {
		if !strings.HasPrefix(k, stalled) && !strings.HasPrefix(k, throttled) {
			want = append(want, k)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the other folders' objects: %s", diff(got, want))
	}
	for _, st := range stalls {
		n := proxy.Stalled(st.Stall)
		switch {
		case st.Times < 0 && n < 2:
			t.Errorf("%s: the failing listing was tried %d times, want it retried", st.name, n)
		case st.Times > 0 && n != st.Times:
			t.Errorf("%s: %d requests caught, want %d (the fault was not injected)", st.name, n, st.Times)
		}
	}

	stop := errors.New("stop")
	calls := 0
	err = reader.NewS3Client(srv.Client(), bucket, "").List(context.Background(), reader.Filter{}, func(reader.Object) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("List = %v after %d calls, want fn's error after 1", err, calls)
	}
}

// diff names what got has and want has not, and the reverse.
func diff(got, want []string) string {
	var extra, missing []string
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	return fmt.Sprintf("%d listed, want %d; extra %q; missing %q", len(got), len(want), extra, missing)
}
