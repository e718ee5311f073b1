// Package s3test runs a real S3 server for tests: versitygw
// (github.com/versity/versitygw, v1.8.0) with its posix backend over a
// temporary directory.
//
// Install it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// Start finds it on PATH or in $GOPATH/bin. The posix backend keeps object
// metadata in user extended attributes; the temporary directory must be on
// a filesystem that supports them (ext4, xfs, btrfs and tmpfs do). Set
// S3TEST_DIR to put the server's tree elsewhere when TMPDIR does not.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Fixed test credentials and region of every Server.
const (
	AccessKey = "trailsweeptest"
	SecretKey = "trailsweep-test-secret-key"
	Region    = "us-east-1"
)

// Server is a running versitygw.
type Server struct {
	Endpoint  string // "http://127.0.0.1:PORT"; use path-style addressing
	Region    string
	AccessKey string
	SecretKey string
	Root      string // the directory whose subdirectories are the buckets

	client *s3.Client
}

// Start starts a server for the test and stops it when the test ends.
// When the server cannot start, the test fails if CI=true and is skipped
// otherwise, with the reason. With -short (make test-short) it is skipped
// without trying: the caller asked for the tests that need no S3 server.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test needs an S3 server (versitygw)")
	}
	bin, err := binary()
	if err != nil {
		unavailable(t, err)
	}
	root := t.TempDir()
	if dir := os.Getenv("S3TEST_DIR"); dir != "" {
		if root, err = os.MkdirTemp(dir, "s3test-"); err != nil {
			unavailable(t, err)
		}
		t.Cleanup(func() { os.RemoveAll(root) })
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken before the server binds it
		s, err := start(t, bin, root)
		if err == nil {
			return s
		}
		lastErr = err
	}
	unavailable(t, lastErr)
	return nil
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("s3test: cannot start versitygw: %v", err)
	}
	t.Skipf("s3test: cannot start versitygw (install: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0): %v", err)
}

// binary finds versitygw on PATH or in GOPATH/bin.
func binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found on PATH or in GOPATH/bin")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects the server's output for error messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t testing.TB, bin, root string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var out syncBuffer
	cmd := exec.Command(bin, "--port", addr, "--access", AccessKey, "--secret", SecretKey,
		"--region", Region, "--quiet", "posix", root)
	cmd.Stdout, cmd.Stderr = &out, &out
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	endpoint := "http://" + addr
	probe := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("versitygw exited: %v: %s", err, out.String())
		default:
		}
		resp, err := probe.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			break // any HTTP answer (403 without credentials) means it serves
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("versitygw did not answer on %s: %v: %s", addr, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(stop)

	s := &Server{Endpoint: endpoint, Region: Region, AccessKey: AccessKey, SecretKey: SecretKey, Root: root}
	s.client = s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	return s, nil
}

// Client returns a path-style client with the server's credentials.
func (s *Server) Client() *s3.Client { return s.client }

// CreateBucket creates a bucket or fails the test.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
}

// Put stores an object or fails the test.
func (s *Server) Put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	_, err := s.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("s3test: put s3://%s/%s: %v", bucket, key, err)
	}
}

// PutMeta stores an object with user metadata (sent as x-amz-meta-NAME)
// or fails the test.
func (s *Server) PutMeta(t testing.TB, bucket, key string, body []byte, meta map[string]string) {
	t.Helper()
	_, err := s.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta,
	})
	if err != nil {
		t.Fatalf("s3test: put s3://%s/%s: %v", bucket, key, err)
	}
}

// Env points the AWS SDK's default chain at the server's credentials for
// the rest of the test, for code that builds its own client (the CLI run
// in-process): it sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_REGION, clears AWS_PROFILE and AWS_SESSION_TOKEN, points the shared
// config and credentials files at a missing file, and disables IMDS. The
// endpoint is not set: pass s.Endpoint (and path-style) explicitly.
func (s *Server) Env(t testing.TB) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           s.AccessKey,
		"AWS_SECRET_ACCESS_KEY":       s.SecretKey,
		"AWS_REGION":                  s.Region,
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k) // t.Setenv above restores the old value at the end
	}
}
