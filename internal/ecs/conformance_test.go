package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// coreFields are the fields ECS.md marks core, compared on every document:
// equal values (as sets), absent when the expected document has none.
// data_stream.dataset and event.dataset are core too but set by the data
// stream, not the pipeline, so the documents never hold them; they are
// checked against their constant instead.
var coreFields = []string{
	"@timestamp",
	"event.action",
	"event.provider",
	"event.id",
	"event.outcome",
	"cloud.region",
	"cloud.account.id",
	"source.address",
	"source.ip",
	"user_agent.original",
	"user.name",
	"user.id",
	"aws.cloudtrail.error_code",
	"aws.cloudtrail.error_message",
	"aws.cloudtrail.event_version",
	"aws.cloudtrail.event_type",
	"aws.cloudtrail.event_category",
	"aws.cloudtrail.api_version",
	"aws.cloudtrail.request_id",
	"aws.cloudtrail.recipient_account_id",
	"aws.cloudtrail.shared_event_id",
	"aws.cloudtrail.vpc_endpoint_id",
	"aws.cloudtrail.user_identity.type",
	"aws.cloudtrail.user_identity.arn",
	"aws.cloudtrail.user_identity.access_key_id",
	"aws.cloudtrail.user_identity.invoked_by",
	"aws.cloudtrail.user_identity.session_context.session_issuer.type",
	"aws.cloudtrail.user_identity.session_context.session_issuer.principal_id",
	"aws.cloudtrail.user_identity.session_context.session_issuer.arn",
	"aws.cloudtrail.user_identity.session_context.session_issuer.account_id",
	// The four Java HashMap strings, byte for byte.
	"aws.cloudtrail.request_parameters",
	"aws.cloudtrail.response_elements",
	"aws.cloudtrail.additional_eventdata",
	"aws.cloudtrail.service_event_details",
}

// presentFields are other fields of the view compared whenever the expected
// document holds them (pipeline versions differ on whether they are written).
var presentFields = []string{
	"event.kind",
	"event.category",
	"event.type",
	"cloud.provider",
	"cloud.service.name",
	"service.name",
	"aws.cloudtrail.read_only",
	"aws.cloudtrail.management_event",
	"aws.cloudtrail.session_credential_from_console",
	"aws.cloudtrail.user_identity.session_context.mfa_authenticated",
	"aws.cloudtrail.user_identity.session_context.creation_date",
	"aws.cloudtrail.resources.arn",
	"aws.cloudtrail.resources.account_id",
	"aws.cloudtrail.resources.type",
	"tls.version_protocol",
	"tls.version",
	"tls.cipher",
	"tls.client.server_name",
	"aws.cloudtrail.console_login.additional_eventdata.mobile_version",
	"aws.cloudtrail.console_login.additional_eventdata.mfa_used",
	"aws.cloudtrail.console_login.additional_eventdata.login_to",
	// ECS.md §3b; related.* drift between pipeline versions (see drift).
	"user.target.name",
	"user.target.id",
	"user.changes.name",
	"group.name",
	"group.id",
	"user.email",
	"related.user",
	"related.ip",
	"related.hosts",
}

// drift lists values where an expected document was produced by a
// pipeline version that disagrees with ECS.md; the view follows ECS.md and
// the test checks the ECS.md value instead (nil: absent). It applies to core
// and present fields alike.
var drift = map[string]map[string]struct {
	want   []string
	reason string
}{
	"test-get-bucket-policy-json.log-expected.json": {
		"user.name":    {nil, "AssumedRole on a service-linked role invoked by config.amazonaws.com is a service actor (ECS.md §3): no user.name; this document predates the service-actor rule"},
		"user.id":      {nil, "service actor: no user.id (ECS.md §3)"},
		"related.user": {[]string{"AWSConfig-Describe"}, "ECS.md §3b: the session name, and no user.id or user.name for a service actor (§3); this document predates both"},
	},
	"test-open-control-channel-instance-arn-json.log-expected.json": {
		"user.id":      {[]string{"PRINCIPALID:i-021987ab2dbf04585"}, "ECS.md §3: user.id is userIdentity.principalId; this document's pipeline writes the session issuer ARN"},
		"related.user": {[]string{"i-021987ab2dbf04585", "PRINCIPALID:i-021987ab2dbf04585", "ec2-instance-role"}, "ECS.md §3b: session name, user.id, user.name; this document's related.user also holds its user.id, the session issuer ARN (see user.id)"},
	},
	"test-update-assume-role-policy-json.log-expected.json": {
		"user.name":    {[]string{"test@elastic.co"}, "ECS.md §3: user.name is userIdentity.userName verbatim; this document's pipeline split the e-mail into user.name/user.domain"},
		"related.user": {[]string{"PRINCIPALID", "test@elastic.co"}, "ECS.md §3b: user.id and user.name (unsplit, §3); this document's pipeline holds the split name and no user.id"},
	},
	"test-create-access-key-json.log-expected.json": {
		"related.user": {[]string{"Bob", "EXAMPLE_ID", "Alice"}, "ECS.md §3b: related.user holds user.id too; this document's pipeline did not add it"},
	},
	"test-tls-details-json.log-expected.json": {
		"related.user": {[]string{"Alice", "EXAMPLE_ID"}, "ECS.md §3b: related.user holds user.id too; this document's pipeline did not add it"},
	},
	"test-stop-configuration-recorder.log-expected.json": {
		"related.user": {[]string{"AIDA2IBR2EZTJMPOR52WV", "testcloudtrail@elastic.co"}, "ECS.md §3b: related.user holds user.id too; this document's pipeline did not add it"},
	},
}

func TestConformance(t *testing.T) {
	dir := gen.SharedDir(t, "conformance", "elastic-pipeline")
	files, err := filepath.Glob(filepath.Join(dir, "*-expected.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *-expected.json in %s (err %v)", dir, err)
	}
	r := NewRecord(Options{})
	docs := 0
	usedDrift := map[string]bool{}
	for _, file := range files {
		base := filepath.Base(file)
		t.Run(strings.TrimSuffix(base, ".log-expected.json"), func(t *testing.T) {
			minimal := false
			if cfg, err := os.ReadFile(strings.TrimSuffix(file, "-expected.json") + "-config.yml"); err == nil {
				minimal = bytes.Contains(cfg, []byte("retain: minimal"))
			}
			var exp struct{ Expected []map[string]any }
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&exp); err != nil {
				t.Fatalf("decode %s: %v", base, err)
			}
			for i, doc := range exp.Expected {
				flat := map[string]any{}
				flatten(flat, "", doc)
				original, ok := flat["event.original"].(string)
				if !ok {
					continue // a document the pipeline built from an empty line
				}
				docs++
				if err := r.Reset([]byte(original)); err != nil {
					t.Fatalf("doc %d: Reset: %v", i, err)
				}
				for _, name := range []string{"data_stream.dataset", "event.dataset"} {
					if got := texts(r.Values(Lookup(name))); !slices.Equal(got, []string{"aws.cloudtrail"}) {
						t.Errorf("doc %d: %s = %q, want [aws.cloudtrail]", i, name, got)
					}
				}
				for _, name := range coreFields {
					want, present := expectedTexts(flat, name)
					if d, ok := drift[base][name]; ok {
						usedDrift[base+" "+name] = true
						t.Logf("doc %d: %s: expected %q, checking %q instead: %s", i, name, want, d.want, d.reason)
						want, present = d.want, d.want != nil
					}
					if minimal && !present {
						continue // retain: minimal drops fields the pipeline wrote
					}
					compareField(t, i, r, name, want)
				}
				for _, name := range presentFields {
					want, present := expectedTexts(flat, name)
					if !present {
						continue
					}
					if d, ok := drift[base][name]; ok {
						usedDrift[base+" "+name] = true
						t.Logf("doc %d: %s: expected %q, checking %q instead: %s", i, name, want, d.want, d.reason)
						want = d.want
					}
					compareField(t, i, r, name, want)
				}
				compareFlattened(t, i, r, doc, minimal)
			}
		})
	}
	if docs < len(files) {
		t.Errorf("checked %d documents in %d files; every file should hold one", docs, len(files))
	}
	for base, fields := range drift {
		for name := range fields {
			if !usedDrift[base+" "+name] {
				t.Errorf("drift %s %s was never checked: no such document or field", base, name)
			}
		}
	}
}

// compareField checks that the view's values of name equal want as sets.
func compareField(t *testing.T, doc int, r *Record, name string, want []string) {
	t.Helper()
	got := texts(r.Values(Lookup(name)))
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("doc %d: %s = %q, want %q", doc, name, got, want)
	}
}

// compareFlattened checks every leaf of the expected flattened objects, and
// (unless the document was reduced by retain: minimal) that the view has no
// other leaf.
func compareFlattened(t *testing.T, doc int, r *Record, expDoc map[string]any, minimal bool) {
	t.Helper()
	var flat map[string]any
	if aws, ok := expDoc["aws"].(map[string]any); ok {
		if ct, ok := aws["cloudtrail"].(map[string]any); ok {
			flat, _ = ct["flattened"].(map[string]any)
		}
	}
	for _, root := range flattenedRoots {
		obj := strings.TrimPrefix(root, "aws.cloudtrail.flattened.")
		want := map[string][]string{}
		var all []string
		if v, ok := flat[obj]; ok {
			leafTexts(want, "", v)
		}
		for path, vals := range want {
			compareField(t, doc, r, root+"."+path, vals)
			all = append(all, vals...)
		}
		if !minimal {
			compareField(t, doc, r, root, all)
		}
	}
}

// leafTexts collects the scalar leaves of an expected flattened object by dotted path.
func leafTexts(dst map[string][]string, path string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			leafTexts(dst, p, c)
		}
	case []any:
		for _, e := range v {
			leafTexts(dst, path, e)
		}
	default:
		dst[path] = append(dst[path], fmt.Sprint(v))
	}
}

// flatten flattens an expected document to dotted names; lists of maps (resources)
// become one name per key, like the view's aws.cloudtrail.resources.<key>.
func flatten(dst map[string]any, prefix string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			flatten(dst, prefix+k+".", c)
		}
	case []any:
		name := strings.TrimSuffix(prefix, ".")
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				flatten(dst, prefix, m)
				continue
			}
			list, _ := dst[name].([]any)
			dst[name] = append(list, e)
		}
	default:
		name := strings.TrimSuffix(prefix, ".")
		if old, ok := dst[name]; ok { // a key seen in an earlier list element
			list, ok := old.([]any)
			if !ok {
				list = []any{old}
			}
			dst[name] = append(list, v)
			return
		}
		dst[name] = v
	}
}

// expectedTexts returns the expected values of name as strings.
func expectedTexts(flat map[string]any, name string) ([]string, bool) {
	v, ok := flat[name]
	if !ok {
		return nil, false
	}
	if list, ok := v.([]any); ok {
		out := make([]string, len(list))
		for i, e := range list {
			out[i] = fmt.Sprint(e)
		}
		return out, true
	}
	return []string{fmt.Sprint(v)}, true
}

// texts returns the S of each value.
func texts(vals []Value) []string {
	out := []string{}
	for _, v := range vals {
		out = append(out, v.S)
	}
	return out
}

// TestJavaMapCases checks the object strings of our own conformance-style
// cases, testdata/javamap/*.json: a raw record and the text the pipeline's
// java.util.HashMap prints for some fields, derived from Java (see each
// file's note).
func TestJavaMapCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "javamap", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/javamap/*.json (%v)", err)
	}
	r := NewRecord(Options{})
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Record json.RawMessage
				Fields map[string]string
			}
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
			if err := r.Reset(c.Record); err != nil {
				t.Fatalf("Reset: %v", err)
			}
			for name, want := range c.Fields {
				got := texts(r.Values(Lookup(name)))
				if len(got) != 1 || got[0] != want {
					t.Errorf("%s =\n%q\nwant\n%q", name, got, want)
				}
			}
		})
	}
}
