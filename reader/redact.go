package reader

import (
	"regexp"
	"strings"
)

// Redacted replaces credential material in error messages.
const Redacted = "[redacted]"

var (
	// secretValue is a key that names credential material, then its value:
	// a quoted JSON key ("SecretAccessKey": "…"), INI or query style
	// (aws_session_token = …, X-Amz-Signature=…, Credential=…) or the
	// security token header.
	secretValue = regexp.MustCompile(`(?i)("[a-z_.-]*` + secretKey + `[a-z_.-]*"\s*:\s*|\b[a-z_.-]*` + secretKey +
		`[a-z_.-]*\s*=\s*|x-amz-security-token:\s*)("(?:[^"\\\n]|\\.)*"?|[^\s"',;&}]+)`)
	// accessKeyID is an AWS access key id anywhere in a message.
	accessKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b`)
)

// secretKey is what the name of a key holding credential material contains.
const secretKey = `(?:secret|token|password|credential|access_?key_?id|signature)`

// processOutput introduces the quoted output of a credential_process in the
// AWS SDK's error when that output does not parse; errorAfter follows it.
const (
	processOutput = "process output: "
	errorAfter    = ", error: "
)

// Redact returns msg with credential material replaced by [redacted]: the
// output of a credential_process that the AWS SDK quotes when it does not
// parse (whatever it holds), the value of any key naming a secret, token,
// password, credential, signature or access key id, and AWS access key
// ids. What went wrong stays readable: "parse failed of process output:
// [redacted], error: invalid character 'x' after top-level value".
func Redact(msg string) string {
	if i := strings.Index(msg, processOutput); i >= 0 {
		start := i + len(processOutput)
		if j := strings.LastIndex(msg[start:], errorAfter); j >= 0 {
			msg = msg[:start] + Redacted + msg[start+j:]
		} else {
			msg = msg[:start] + Redacted
		}
	}
	msg = secretValue.ReplaceAllString(msg, "${1}"+Redacted)
	return accessKeyID.ReplaceAllString(msg, Redacted)
}

// RedactError returns err with its message redacted (see Redact); errors.Is
// and errors.As still see err. It returns nil for nil.
func RedactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	r := Redact(msg)
	if r == msg {
		return err
	}
	return &redactedError{msg: r, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
