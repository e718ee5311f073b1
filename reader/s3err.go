package reader

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Sentinels of listing failures that no retry or other object can repair:
// the CLI maps them, like ErrNoSuchBucket, to a usage exit code.
var (
	// ErrAccessRefused: S3 refused the credentials, or their right to list
	// the bucket (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied,
	// an expired token).
	ErrAccessRefused = errors.New("access refused")
	// ErrUnreachable: the endpoint refused the connection, or its host name
	// does not resolve.
	ErrUnreachable = errors.New("endpoint unreachable")
)

// ListError is a listing of an S3 source that failed for good: the
// credentials were refused or the endpoint cannot be reached. Its message
// is one line naming the bucket and prefix, what happened and what to
// check; it matches ErrAccessRefused or ErrUnreachable with errors.Is.
type ListError struct {
	URI    string // s3://bucket/prefix of the listing that failed
	Kind   error  // ErrAccessRefused or ErrUnreachable
	Reason string // what the server or the network said, redacted
	Hint   string // what to check
	Err    error  // the SDK's error
}

func (e *ListError) Error() string {
	return fmt.Sprintf("cannot list %s: %v: %s; %s", e.URI, e.Kind, e.Reason, e.Hint)
}

func (e *ListError) Unwrap() []error { return []error{e.Kind, e.Err} }

// refusedCodes are the S3 error codes of credentials or a policy that
// refuse a listing.
var refusedCodes = map[string]bool{
	"SignatureDoesNotMatch": true, "InvalidAccessKeyId": true, "AccessDenied": true, "Forbidden": true,
	"ExpiredToken": true, "InvalidToken": true, "TokenRefreshRequired": true, "AllAccessDisabled": true,
	"XAdminUserNotFound": true, // versitygw's answer to an unknown access key id (404)
}

// listError classifies err, returned by a listing of prefix p, as a
// ListError, or returns nil when it is not one of those failures.
func (s *S3) listError(p string, err error) error {
	uri := "s3://" + s.bucket + "/" + p
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	if errors.As(err, &ae) && (refusedCodes[ae.ErrorCode()] || errors.As(err, &re) && re.HTTPStatusCode() == 403) {
		reason := ae.ErrorCode()
		if m := ae.ErrorMessage(); m != "" {
			reason += ": " + m
		}
		return &ListError{URI: uri, Kind: ErrAccessRefused, Reason: Redact(reason), Err: RedactError(err),
			Hint: "check the credentials: --profile (or AWS_PROFILE), `aws sso login` for an SSO profile, " +
				"--no-sign-request for a public bucket, and that they may s3:ListBucket"}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return &ListError{URI: uri, Kind: ErrUnreachable, Reason: fmt.Sprintf("host %s does not resolve", dns.Name), Err: RedactError(err),
			Hint: "check --endpoint-url and the bucket name; an S3-compatible store usually needs --s3-path-style " +
				"(the bucket in the path, not the host name)"}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		host := ""
		var op *net.OpError
		if errors.As(err, &op) && op.Addr != nil {
			host = " by " + op.Addr.String()
		}
		return &ListError{URI: uri, Kind: ErrUnreachable, Reason: "connection refused" + host, Err: RedactError(err),
			Hint: "check --endpoint-url (host and port) and that the store is running"}
	}
	return nil
}
