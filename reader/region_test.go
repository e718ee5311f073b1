package reader_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/trailsweep/trailsweep/reader"
)

// A bucket in another region than the client's is followed there.
func TestS3FollowsBucketRegion(t *testing.T) {
	const key = "AWSLogs/111111111111/CloudTrail/eu-west-1/2024/01/06/x.json.gz"
	var mu sync.Mutex
	var regions []string // signing region of each request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization") // ... Credential=AKID/DATE/REGION/s3/aws4_request, ...
		region := ""
		if _, after, ok := strings.Cut(auth, "Credential="); ok {
			if parts := strings.Split(after, "/"); len(parts) > 2 {
				region = parts[2]
			}
		}
		mu.Lock()
		regions = append(regions, region)
		mu.Unlock()
		if region != "eu-west-1" {
			w.Header().Set("X-Amz-Bucket-Region", "eu-west-1")
			w.WriteHeader(http.StatusMovedPermanently)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>use the right endpoint</Message></Error>`)
			return
		}
		if r.URL.Query().Get("list-type") == "2" {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>`+key+`</Key><Size>4</Size><ETag>"e"</ETag></Contents></ListBucketResult>`)
			return
		}
		io.WriteString(w, "body")
	}))
	defer srv.Close()

	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(srv.URL),
		Region:       "us-east-1",
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	src := reader.NewS3Client(client, "b", key)
	var keys []string
	if err := src.List(context.Background(), reader.Filter{}, func(o reader.Object) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(keys) != 1 || keys[0] != key {
		t.Errorf("listed %q, want [%q]", keys, key)
	}
	rc, err := src.Open(context.Background(), reader.Object{Key: key})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "body" {
		t.Errorf("body = %q, want %q", body, "body")
	}
	if want := []string{"us-east-1", "eu-west-1", "eu-west-1"}; strings.Join(regions, " ") != strings.Join(want, " ") {
		t.Errorf("signing regions = %q, want %q", regions, want)
	}
}
