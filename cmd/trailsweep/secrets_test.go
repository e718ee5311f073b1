package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/s3test"
)

// Fake credential material a broken credential_process prints; none of it
// may reach any output.
const (
	leakKeyID  = "ASIAPROCESSLEAK00001"
	leakSecret = "procSecret/LEAKCHECK+wJalrXUtnFEMIK7MDENG"
	leakToken  = "IQoJb3JpZ2luX2VjELEAKCHECKTOKEN//////////wEaCXVzLWVhc3QtMSJH"
)

// credentialProcess writes an AWS config file whose profile "leaky" runs a
// shell script as credential_process, and points the SDK at it. The
// script's first good runs print valid credentials of srv (already
// expired, so the SDK runs the process again for the next request); every
// later run prints bad, which carries the fake secrets above.
func credentialProcess(t *testing.T, good int, srv *s3test.Server, bad string) {
	t.Helper()
	dir := t.TempDir()
	key, secret := "unused", "unused"
	if srv != nil {
		key, secret = srv.AccessKey, srv.SecretKey
	}
	script := filepath.Join(dir, "creds.sh")
	body := fmt.Sprintf(`#!/bin/sh
n=$(cat %[1]s/count 2>/dev/null || echo 0)
n=$((n+1))
echo $n >%[1]s/count
if [ $n -le %[2]d ]; then
	printf '{"Version":1,"AccessKeyId":"%[3]s","SecretAccessKey":"%[4]s","Expiration":"2020-01-01T00:00:00Z"}\n'
	exit 0
fi
cat <<'EOF'
%[5]s
EOF
`, dir, good, key, secret, bad)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[profile leaky]\ncredential_process = "+script+"\nregion = us-east-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"), "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
}

// TestNoSecretsFromCredentialProcess: a credential_process whose output does
// not parse (an extra line after the JSON, an Expiration that is not RFC
// 3339) makes the SDK quote the output in its error; whether that happens
// before the scan (exit 2) or when credentials are refreshed for a GET (the
// object fails, exit 3), no secret, session token or access key id reaches
// stdout, stderr, --summary or --errors, and the error still says what
// went wrong.
func TestNoSecretsFromCredentialProcess(t *testing.T) {
	fastRetries(t)
	creds := func(extra string) string {
		return `{"Version": 1, "AccessKeyId": "` + leakKeyID + `", "SecretAccessKey": "` + leakSecret +
			`", "SessionToken": "` + leakToken + `"` + extra
	}
	extraLine := creds(`, "Expiration": "2099-01-01T00:00:00Z"}` + "\nSecretAccessKey=" + leakSecret + "\n" + leakToken)
	badExpiry := creds(`, "Expiration": "tomorrow"}`)

	tree := manyTree(1, 3)
	cases := []struct {
		name string
		good int    // valid (expired) answers before the bad ones
		bad  string // what the process prints then
		code int
		want []string // in stderr
	}{
		{"extra-line", 0, extraLine, 2, []string{"credentials", "process output", "invalid character"}},
		{"bad-expiration", 0, badExpiry, 2, []string{"credentials", "process output", "tomorrow"}},
		// NewS3 and the listing get good answers; the GET's refresh does not.
		{"refresh-extra-line", 2, extraLine, 3, []string{"process output", "invalid character"}},
		{"refresh-bad-expiration", 2, badExpiry, 3, []string{"process output", "tomorrow"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var srv *s3test.Server
			endpoint := "http://127.0.0.1:1"
			src := "s3://leaky/AWSLogs/"
			if c.good > 0 {
				srv = serveTree(t, "leaky", tree)
				endpoint = srv.Endpoint
				src = "s3://leaky/" + tree.Files[0].Key // one listing, then one GET
			}
			credentialProcess(t, c.good, srv, c.bad)
			dir := t.TempDir()
			summary, errs := filepath.Join(dir, "summary.json"), filepath.Join(dir, "errors.jsonl")
			code, stdout, stderr := cli(t, "scan", src, "--profile", "leaky", "--endpoint-url", endpoint, "--s3-path-style",
				"--retries", "2", "--summary", summary, "--errors", errs, "--out", filepath.Join(dir, "f.jsonl"))
			all := stdout + stderr
			for _, f := range []string{summary, errs} {
				if b, err := os.ReadFile(f); err == nil {
					all += string(b)
				} else if c.code == 3 {
					t.Errorf("%s not written: %v", f, err)
				}
			}
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			for _, s := range []string{leakSecret, leakToken, leakKeyID, "LEAKCHECK", "wJalrXUtnFEMI", "IQoJb3JpZ2lu"} {
				if strings.Contains(all, s) {
					t.Errorf("output holds credential material %q:\n%s", s, all)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			if c.code == 3 {
				lines := readErrors(t, errs)
				if len(lines) != 1 || !strings.Contains(lines[0]["reason"], "process output") {
					t.Errorf("--errors: %v, want one line whose reason names the process output", lines)
				}
			}
		})
	}
}
