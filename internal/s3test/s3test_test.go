package s3test

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestServerRoundTrip(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "trail")
	want := "hello, world"
	s.Put(t, "trail", "a/b/c.json", []byte(want))

	ctx := context.Background()
	out, err := s.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("trail"), Key: aws.String("a/b/c.json")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}

	lo, err := s.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("trail"), Prefix: aws.String("a/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lo.CommonPrefixes) != 1 || aws.ToString(lo.CommonPrefixes[0].Prefix) != "a/b/" {
		t.Errorf("common prefixes = %v, want [a/b/]", lo.CommonPrefixes)
	}
}

func TestEnv(t *testing.T) {
	s := &Server{AccessKey: "k", SecretKey: "s", Region: "eu-west-3"}
	t.Setenv("AWS_PROFILE", "someone")
	s.Env(t)
	for k, want := range map[string]string{"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "eu-west-3"} {
		if got := os.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if v, ok := os.LookupEnv("AWS_PROFILE"); ok {
		t.Errorf("AWS_PROFILE = %q, want unset", v)
	}
}

// Without the binary, Start skips outside CI.
func TestStartUnavailable(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOPATH", t.TempDir())
	t.Setenv("CI", "")
	skipped := false
	t.Run("start", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Start(t)
		t.Error("Start returned without a server")
	})
	if !skipped {
		t.Error("Start did not skip")
	}
}
