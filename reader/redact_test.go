package reader_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/trailsweep/trailsweep/reader"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`get credentials: failed to refresh cached credentials, process provider error: parse failed of process output: {"SecretAccessKey": "s3cr3t"}` + "\nplain-secret\n, error: invalid character 'p' after top-level value",
			`get credentials: failed to refresh cached credentials, process provider error: parse failed of process output: [redacted], error: invalid character 'p' after top-level value`},
		{`parse failed of process output: {"SessionToken": "tok`, `parse failed of process output: [redacted]`},
		{`{"AccessKeyId": "ASIAXXXXXXXXXXXXXXXX", "SecretAccessKey":"a\"b", "Version": 1}`,
			`{"AccessKeyId": [redacted], "SecretAccessKey":[redacted], "Version": 1}`},
		{"aws_secret_access_key = abc/def+ghi\naws_session_token=xyz", "aws_secret_access_key = [redacted]\naws_session_token=[redacted]"},
		{"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request, Signature=deadbeef",
			"Authorization: AWS4-HMAC-SHA256 Credential=[redacted], Signature=[redacted]"},
		{"X-Amz-Security-Token: FwoGZXIvYXdzE", "X-Amz-Security-Token: [redacted]"},
		{"key AKIAIOSFODNN7EXAMPLE is disabled", "key [redacted] is disabled"},
		{"s3 get a/b.json.gz: operation error S3: GetObject, https response error StatusCode: 503, api error SlowDown: Please reduce your request rate.",
			"s3 get a/b.json.gz: operation error S3: GetObject, https response error StatusCode: 503, api error SlowDown: Please reduce your request rate."},
		{"no aws credentials: failed to retrieve credentials: no EC2 IMDS role found", "no aws credentials: failed to retrieve credentials: no EC2 IMDS role found"},
	} {
		if got := reader.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	cause := errors.New(`parse failed of process output: {"SecretAccessKey": "s"}, error: x`)
	err := fmt.Errorf("get: %w", reader.RedactError(cause))
	if got, want := err.Error(), "get: parse failed of process output: [redacted], error: x"; got != want || !errors.Is(err, cause) {
		t.Errorf("RedactError: %q (Is cause: %t), want %q and the cause kept", got, errors.Is(err, cause), want)
	}
}
