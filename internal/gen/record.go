// Package gen writes CloudTrail log trees for tests, the demo and benchmarks:
// records built from templates, gzip-compressed deterministically, stored
// under keys in CloudTrail's S3 layout.
package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Identity is a CloudTrail userIdentity.
type Identity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

// SessionContext is userIdentity.sessionContext.
type SessionContext struct {
	SessionIssuer *SessionIssuer    `json:"sessionIssuer,omitempty"`
	Attributes    map[string]string `json:"attributes,omitempty"`
}

// SessionIssuer is userIdentity.sessionContext.sessionIssuer.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// Record is one CloudTrail record, fields in CloudTrail's usual order.
type Record struct {
	EventVersion        string          `json:"eventVersion"`
	UserIdentity        Identity        `json:"userIdentity"`
	EventTime           string          `json:"eventTime"`
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	AWSRegion           string          `json:"awsRegion"`
	SourceIPAddress     string          `json:"sourceIPAddress"`
	UserAgent           string          `json:"userAgent"`
	ErrorCode           string          `json:"errorCode,omitempty"`
	ErrorMessage        string          `json:"errorMessage,omitempty"`
	RequestParameters   json.RawMessage `json:"requestParameters"`
	ResponseElements    json.RawMessage `json:"responseElements"`
	AdditionalEventData json.RawMessage `json:"additionalEventData,omitempty"`
	RequestID           string          `json:"requestID"`
	EventID             string          `json:"eventID"`
	ReadOnly            bool            `json:"readOnly"`
	EventType           string          `json:"eventType"`
	ManagementEvent     bool            `json:"managementEvent"`
	RecipientAccountID  string          `json:"recipientAccountId"`
	EventCategory       string          `json:"eventCategory"`
}

// IAMUser returns the identity of an IAM user with an access key.
func IAMUser(account, name, key string) Identity {
	return Identity{
		Type: "IAMUser", PrincipalID: "AIDA" + pad(name, 17), AccountID: account, AccessKeyID: key,
		ARN: "arn:aws:iam::" + account + ":user/" + name, UserName: name,
	}
}

// AssumedRole returns the identity of a session of role, named session.
func AssumedRole(account, role, session, key string) Identity {
	roleID := "AROA" + pad(role, 17)
	return Identity{
		Type: "AssumedRole", PrincipalID: roleID + ":" + session, AccountID: account, AccessKeyID: key,
		ARN: "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session,
		SessionContext: &SessionContext{
			SessionIssuer: &SessionIssuer{Type: "Role", PrincipalID: roleID, ARN: "arn:aws:iam::" + account + ":role/" + role, AccountID: account, UserName: role},
			Attributes:    map[string]string{"creationDate": "2026-11-20T08:00:00Z", "mfaAuthenticated": "false"},
		},
	}
}

// pad makes an uppercase alphanumeric id of n characters from s.
func pad(s string, n int) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	h := uint32(2166136261)
	for i := range b {
		for _, c := range []byte(s) {
			h = (h ^ uint32(c)) * 16777619
		}
		h = (h ^ uint32(i)) * 16777619
		b[i] = alnum[h%32]
	}
	return string(b)
}

// Event fills in the fields every record has.
func Event(id Identity, t time.Time, region, source, name string, req, resp string) Record {
	if req == "" {
		req = "null"
	}
	if resp == "" {
		resp = "null"
	}
	seed := fmt.Sprintf("%s%s%s%d", source, name, id.ARN, t.UnixNano())
	return Record{
		EventVersion: "1.09", UserIdentity: id, EventTime: t.UTC().Format(time.RFC3339),
		EventSource: source, EventName: name, AWSRegion: region,
		SourceIPAddress: "198.51.100.23", UserAgent: "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
		RequestParameters: json.RawMessage(req), ResponseElements: json.RawMessage(resp),
		RequestID: uuid(seed + "req"), EventID: uuid(seed + "evt"),
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: id.AccountID, EventCategory: "Management",
	}
}

// uuid derives a stable, well-formed UUID from s.
func uuid(s string) string {
	const hex = "0123456789abcdef"
	var b [32]byte
	h := uint64(14695981039346656037)
	for i := range b {
		for _, c := range []byte(s) {
			h = (h ^ uint64(c)) * 1099511628211
		}
		h = (h ^ uint64(i)) * 1099511628211
		b[i] = hex[h>>60]
	}
	return fmt.Sprintf("%s-%s-4%s-8%s-%s", b[0:8], b[8:12], b[13:16], b[17:20], b[20:32])
}

// LogKey is the S3 key of a CloudTrail log file delivered at t.
func LogKey(org, account, region string, t time.Time, unique string) string {
	p := "AWSLogs/"
	if org != "" {
		p += org + "/"
	}
	t = t.UTC()
	return fmt.Sprintf("%s%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		p, account, region, t.Format("2006/01/02"), account, region, t.Format("20060102T1504Z"), unique)
}

// Gzip compresses b deterministically (no name, no modification time).
func Gzip(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return out.Bytes()
}

// LogFile is the body of a log file holding recs: {"Records":[…]}.
func LogFile(recs ...Record) []byte {
	b, err := json.Marshal(struct {
		Records []Record `json:"Records"`
	}{recs})
	if err != nil {
		panic(err) // records are built from literals: a failure is a bug here
	}
	return b
}

// File is one object of a tree: its key and stored bytes.
type File struct {
	Key  string
	Body []byte
}

// WriteTree writes files under dir, creating folders as needed.
func WriteTree(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Body, 0o644); err != nil {
			return err
		}
	}
	return nil
}
