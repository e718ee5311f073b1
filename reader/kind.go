package reader

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ErrorKind names the kind of an object's failure, for machines: one of
// corrupt_gzip, truncated, not_json, not_cloudtrail, record_too_large,
// object_too_large, invalid_utf8, changed, throttled, server_error,
// connection, timeout, checksum, short_body, not_found, access_denied,
// special_file, interrupted, or other.
func ErrorKind(err error) string {
	sentinels := []struct {
		err  error
		kind string
	}{
		{ErrCorruptGzip, "corrupt_gzip"},
		{ErrTruncated, "truncated"},
		{ErrNotJSON, "not_json"},
		{ErrNotCloudTrail, "not_cloudtrail"},
		{ErrRecordTooLarge, "record_too_large"},
		{ErrObjectTooLarge, "object_too_large"},
		{ErrInvalidUTF8, "invalid_utf8"},
		{ErrChanged, "changed"},
		{ErrSpecialFile, "special_file"},
		{ErrTimeout, "timeout"},
		{ErrChecksum, "checksum"},
		{ErrShortBody, "short_body"},
		{io.ErrUnexpectedEOF, "short_body"},
		{fs.ErrNotExist, "not_found"},
		{fs.ErrPermission, "access_denied"},
		{context.Canceled, "interrupted"},
		{context.DeadlineExceeded, "interrupted"},
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.kind
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests":
			return "throttled"
		case "NoSuchKey", "NotFound":
			return "not_found"
		case "AccessDenied", "Forbidden", "KMS.AccessDeniedException":
			return "access_denied"
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch s := re.HTTPStatusCode(); {
		case s == 503 || s == 429:
			return "throttled"
		case s >= 500:
			return "server_error"
		case s == 404:
			return "not_found"
		case s == 403:
			return "access_denied"
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout" // connecting
	}
	if Retryable(err) {
		return "connection"
	}
	return "other"
}
