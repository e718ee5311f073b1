package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// TestSourceRefused: a source that cannot be listed at all — credentials
// the server refuses, an endpoint that refuses connections, a virtual-host
// name that does not resolve — exits 2 with one line naming the bucket and
// prefix and what to check: no summary, no "INCOMPLETE: interrupted"
// (before, each exited 3 after an empty summary saying the scan was
// interrupted).
func TestSourceRefused(t *testing.T) {
	srv := serveTree(t, "org-trail", gen.Sample())
	cases := []struct {
		name      string
		env       map[string]string
		endpoint  string
		pathStyle bool
		want      []string
	}{
		{"wrong secret", map[string]string{"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, srv.Endpoint, true,
			[]string{"access refused: SignatureDoesNotMatch", "--profile", "aws sso login", "--no-sign-request"}},
		{"unknown key id", map[string]string{"AWS_ACCESS_KEY_ID": "nosuchkeyid"}, srv.Endpoint, true,
			// versitygw answers an unknown key id with XAdminUserNotFound, AWS with InvalidAccessKeyId
			[]string{"access refused: XAdminUserNotFound", "--profile", "aws sso login", "--no-sign-request"}},
		{"connection refused", nil, closedEndpoint(t), true,
			[]string{"endpoint unreachable: connection refused", "--endpoint-url"}},
		{"name does not resolve", nil, "http://nowhere.invalid:9", false,
			[]string{"endpoint unreachable: host org-trail.nowhere.invalid does not resolve", "--s3-path-style"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			if strings.Contains(c.endpoint, ".invalid") {
				noDNS(t)
			}
			args := []string{"scan", "s3://org-trail/AWSLogs/", "--endpoint-url", c.endpoint, "--region", srv.Region, "--retries", "2", "--s3-timeout", "5s"}
			if c.pathStyle {
				args = append(args, "--s3-path-style")
			}
			start := time.Now()
			code, stdout, stderr := cli(t, args...)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v to give up", d)
			}
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			prefix := "trailsweep: cannot list s3://org-trail/AWSLogs/: "
			if !strings.HasPrefix(stderr, prefix) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line starting %q:\n%s", prefix, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			for _, bad := range []string{"INCOMPLETE", "interrupted", "summary", "attempts"} {
				if strings.Contains(stderr, bad) {
					t.Errorf("stderr says %q:\n%s", bad, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
		})
	}
}

// closedEndpoint returns the URL of a loopback port nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// noDNS makes name resolution fail in the process, so that a test of a
// name that does not resolve sends no query: the Go resolver, with a DNS
// server that cannot be dialled (names in /etc/hosts still resolve).
func noDNS(t *testing.T) {
	old := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in tests")
	}}
	t.Cleanup(func() { net.DefaultResolver = old })
}
