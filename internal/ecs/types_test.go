package ecs_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/reader"
)

// typeBase is a small well-typed record; typeRecord puts members before
// its eventVersion.
const typeBase = `"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/r"},"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"2025-01-02T03:04:05Z","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","requestParameters":{"eventSource":{"nested":"objects are fine here"}},"resources":[{"ARN":"arn:aws:s3:::b","type":"AWS::S3::Bucket"}]`

// bothRecords returns raw read by a whole parse (Reset) and member by member
// from the splitter's index (ResetMembers), as the scanner reads it, with
// each index selection of indexChoices ("ResetMembers" with the full index,
// "ResetMembers/<choice>" with the others).
func bothRecords(t *testing.T, raw string) map[string]*ecs.Record {
	t.Helper()
	whole := ecs.NewRecord(ecs.Options{})
	if err := whole.Reset([]byte(raw)); err != nil {
		t.Fatalf("Reset(%s): %v", raw, err)
	}
	out := map[string]*ecs.Record{"Reset": whole}
	for _, c := range indexChoices() {
		d, err := reader.NewDecoder(bytes.NewReader([]byte(`{"Records":[`+raw+`]}`)), reader.DecodeOptions{Index: c.paths})
		if err != nil {
			t.Fatal(err)
		}
		split, err := d.Next()
		if err != nil {
			t.Fatalf("split %s: %v", raw, err)
		}
		lazy := ecs.NewRecord(ecs.Options{})
		if err := lazy.ResetMembers(bytes.Clone(split), append([]int32(nil), d.Index()...)); err != nil {
			t.Fatalf("ResetMembers(%s): %v", raw, err)
		}
		name := "ResetMembers"
		if c.paths != nil {
			name += "/" + c.name
		}
		out[name] = lazy
	}
	return out
}

// indexChoice is a selection of the objects the splitter indexes.
type indexChoice struct {
	name  string
	paths *reader.IndexPaths // nil: every object
}

// indexChoices are the selections the tests read records with: a field
// reads the same values whatever the index leaves out (it parses what is
// not indexed).
func indexChoices() []indexChoice {
	identity := reader.NewIndexPaths()
	identity.Add([]string{"userIdentity"})
	issuer := reader.NewIndexPaths()
	issuer.Add([]string{"userIdentity", "sessionContext", "sessionIssuer"})
	issuer.Add([]string{"requestParameters"})
	return []indexChoice{
		{"all", nil},
		{"record only", reader.NewIndexPaths()},
		{"identity deep", identity},
		{"issuer and request", issuer},
	}
}

// TestMalformed: an object (that cleanup keeps) where CloudTrail writes a
// string, alone or inside an array, makes the record malformed and names
// the field (ECS.md §1); objects anywhere else, arrays of strings, numbers
// and booleans do not.
func TestMalformed(t *testing.T) {
	tests := []struct {
		name, members string
		want          string // MalformedReason; "" for a well-formed record
	}{
		{"well typed", `"eventSource":"s3.amazonaws.com"`, ""},
		{"identity type object", `"userIdentity":{"type":{"a":1}},"eventSource":"s3.amazonaws.com"`, "userIdentity.type is an object"},
		{"event source object", `"eventSource":{"a":"cloudtrail.amazonaws.com"}`, "eventSource is an object"},
		{"object in an array", `"eventSource":["cloudtrail.amazonaws.com",{"a":1}]`, "eventSource holds an object in an array"},
		{"object in a nested array", `"errorCode":[["x"],[{"a":1}]]`, "errorCode holds an object in an array"},
		{"issuer arn object", `"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"arn":{"x":"y"}}}}`, "userIdentity.sessionContext.sessionIssuer.arn is an object"},
		{"issuer user name in array", `"userIdentity":{"sessionContext":{"sessionIssuer":{"userName":[{"x":"y"}]}}}`, "userIdentity.sessionContext.sessionIssuer.userName holds an object in an array"},
		{"invokedBy object", `"userIdentity":{"type":"AWSService","invokedBy":{"s":"lambda"}}`, "userIdentity.invokedBy is an object"},
		{"vpc endpoint object", `"vpcEndpointId":{"id":"vpce-1"}`, "vpcEndpointId is an object"},
		{"event time object", `"eventTime":{"t":1}`, "eventTime is an object"},
		{"event category object", `"eventCategory":{"c":"Management"}`, "eventCategory is an object"},
		{"key with escapes", `"event\u0053ource":{"a":1}`, "eventSource is an object"},
		{"duplicate key, second an object", `"eventSource":"s3.amazonaws.com","eventSource":{"a":1}`, "eventSource is an object"},
		{"white space before the value", `"eventSource" :  {"a":1}`, "eventSource is an object"},
		{"identity type object, the last member", `"userIdentity":{"principalId":"p","type":{"a":1}}`, "userIdentity.type is an object"},
		{"identity type with white space", `"userIdentity":{"arn":"a", "type" : {"a":1}}`, "userIdentity.type is an object"},
		{"identity access key in array", `"userIdentity":{"accessKeyId":["AKIA",[{"k":"v"}]]}`, "userIdentity.accessKeyId holds an object in an array"},
		// Near misses.
		{"identity field name below another member", `"userIdentity":{"type":"Root","onBehalfOf":{"type":{"a":1},"userName":["x"]}}`, ""},
		{"issuer field name in attributes", `"userIdentity":{"sessionContext":{"attributes":{"arn":{"a":1}},"sessionIssuer":{"arn":"x"}}}`, ""},
		{"array of strings", `"eventSource":["x","cloudtrail.amazonaws.com"]`, ""},
		{"brace inside a string element", `"eventSource":["{not an object}"]`, ""},
		{"number", `"errorCode":123`, ""},
		{"boolean", `"userAgent":true`, ""},
		{"empty object, cleaned away", `"eventSource":{}`, ""},
		{"object of nulls, cleaned away", `"errorMessage":{"a":null,"b":"-","c":[]}`, ""},
		{"empty object in an array, cleaned away", `"eventSource":["x",{}]`, ""},
		{"object under requestParameters", `"requestParameters":{"eventName":{"a":1}},"eventSource":"s3.amazonaws.com"`, ""},
		{"field of the same name elsewhere", `"additionalEventData":{"userIdentity":{"type":{"a":1}}},"tlsDetails":{"eventSource":{"a":1}}`, ""},
		{"identity attribute object", `"userIdentity":{"type":"AssumedRole","sessionContext":{"attributes":{"creationDate":{"a":1}},"webIdFederationData":{"x":{"y":1}}}}`, ""},
		{"identity other member object", `"userIdentity":{"type":"Root","onBehalfOf":{"userId":"u"}}`, ""},
		{"session issuer itself an array", `"userIdentity":{"sessionContext":{"sessionIssuer":[{"type":{"a":1}}]}}`, ""},
		{"user identity an array", `"userIdentity":[{"type":{"a":1}}]`, ""},
		{"type at the wrong level", `"type":{"a":1},"sessionIssuer":{"type":{"a":1}}`, ""},
	}
	for _, tt := range tests {
		raw := `{` + tt.members + `,` + typeBase + `}`
		if tt.name == "identity type object, the last member" || tt.name == "identity field name below another member" {
			raw = `{` + typeBase + `,` + tt.members + `}` // userIdentity the record's last member
		}
		for how, r := range bothRecords(t, raw) {
			for range 2 { // the second call answers from the record's cache
				err := r.Malformed()
				if got := ecs.MalformedReason(err); got != tt.want {
					t.Errorf("%s, %s: Malformed() = %v, want reason %q", tt.name, how, err, tt.want)
				}
				if (err != nil) != errors.Is(err, ecs.ErrMalformed) {
					t.Errorf("%s, %s: %v does not wrap ErrMalformed", tt.name, how, err)
				}
				if err != nil && err.Error() != "malformed record: "+tt.want {
					t.Errorf("%s, %s: Error() = %q", tt.name, how, err.Error())
				}
			}
			if r.Err() != nil {
				t.Errorf("%s, %s: Err() = %v", tt.name, how, r.Err())
			}
		}
	}
}

// TestMalformedNextRecord: a record's verdict does not leak into the next
// record read into the same Record, and a failed reset is not malformed.
func TestMalformedNextRecord(t *testing.T) {
	r := ecs.NewRecord(ecs.Options{})
	for _, tt := range []struct {
		raw  string
		want bool
	}{
		{`{"eventSource":{"a":1}}`, true},
		{`{"eventSource":"s3.amazonaws.com"}`, false},
		{`{"userIdentity":{"type":{"a":1}}}`, true},
		{`[1]`, false}, // Reset fails: nothing to evaluate, nothing malformed
	} {
		_ = r.Reset([]byte(tt.raw))
		if got := r.Malformed() != nil; got != tt.want {
			t.Errorf("%s: malformed %v, want %v", tt.raw, got, tt.want)
		}
	}
	if ecs.MalformedReason(errors.New("other")) != "" {
		t.Error("MalformedReason of another error is not empty")
	}
}

// TestKeywordTypes: the §1 fields read as keyword fields: an array is a
// multi-valued field, a number or boolean its text (numbers as
// Elasticsearch indexes them once the pipeline has parsed the record:
// integers as written, others as Java's Double.toString).
func TestKeywordTypes(t *testing.T) {
	tests := []struct {
		members, field string
		want           []string
	}{
		{`"eventSource":["x","cloudtrail.amazonaws.com"]`, "event.provider", []string{"x", "cloudtrail.amazonaws.com"}},
		{`"eventSource":["x",["y",null,""],"-"]`, "event.provider", []string{"x", "y"}},
		{`"eventSource":"cloudtrail.amazonaws.com"`, "event.provider", []string{"cloudtrail.amazonaws.com"}},
		{`"errorCode":123`, "aws.cloudtrail.error_code", []string{"123"}},
		{`"errorCode":-7`, "aws.cloudtrail.error_code", []string{"-7"}},
		{`"errorCode":12345678901234567890`, "aws.cloudtrail.error_code", []string{"12345678901234567890"}},
		{`"errorCode":1.50`, "aws.cloudtrail.error_code", []string{"1.5"}},
		{`"errorCode":1e3`, "aws.cloudtrail.error_code", []string{"1000.0"}},
		{`"errorCode":[1,true,"x"]`, "aws.cloudtrail.error_code", []string{"1", "true", "x"}},
		{`"userAgent":false`, "user_agent.original", []string{"false"}},
		{`"recipientAccountId":111122223333`, "aws.cloudtrail.recipient_account_id", []string{"111122223333"}},
		{`"eventVersion":1.08`, "aws.cloudtrail.event_version", []string{"1.08"}},
		{`"eventCategory":["Management","Data"]`, "aws.cloudtrail.event_category", []string{"Management", "Data"}},
		{`"awsRegion":["us-east-1","eu-west-1"]`, "cloud.region", []string{"us-east-1", "eu-west-1"}},
		{`"userIdentity":{"type":["Root","IAMUser"]}`, "aws.cloudtrail.user_identity.type", []string{"Root", "IAMUser"}},
		{`"userIdentity":{"type":true}`, "aws.cloudtrail.user_identity.type", []string{"true"}},
		{`"userIdentity":{"accessKeyId":["AKIA1","AKIA2"]}`, "aws.cloudtrail.user_identity.access_key_id", []string{"AKIA1", "AKIA2"}},
		{`"userIdentity":{"sessionContext":{"sessionIssuer":{"type":7}}}`, "aws.cloudtrail.user_identity.session_context.session_issuer.type", []string{"7"}},
		// Fields the view derives from §1 fields follow their elements too.
		{`"eventSource":["iam.amazonaws.com","s3.amazonaws.com"]`, "cloud.service.name", []string{"iam", "s3"}},
		{`"sourceIPAddress":["ec2.amazonaws.com","198.51.100.7"]`, "source.ip", []string{"198.51.100.7"}},
		{`"sourceIPAddress":["ec2.amazonaws.com","198.51.100.7"]`, "source.address", []string{"ec2.amazonaws.com", "198.51.100.7"}},
		{`"userIdentity":{"principalId":["P1","P2"]}`, "user.id", []string{"P1", "P2"}},
		{`"userIdentity":{"principalId":5}`, "user.id", []string{"5"}},
		{`"userIdentity":{"accountId":["1","2"]}`, "cloud.account.id", []string{"1", "2"}},
	}
	for _, tt := range tests {
		raw := `{` + tt.members + `,"eventTime":"2025-01-02T03:04:05Z"}`
		f := ecs.Lookup(tt.field)
		for how, r := range bothRecords(t, raw) {
			if err := r.Malformed(); err != nil {
				t.Errorf("%s, %s: Malformed() = %v", tt.members, how, err)
			}
			var got []string
			for _, v := range r.Values(f) {
				got = append(got, v.S)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s, %s: %s = %q, want %q", tt.members, how, tt.field, got, tt.want)
			}
		}
	}
}

// FuzzMalformed: a record read member by member (the scanner's way) is
// malformed exactly when the whole parse says so, for the same field.
func FuzzMalformed(f *testing.F) {
	for _, s := range []string{
		`{"eventSource":{"a":1}}`, `{"eventSource":["x",{"a":1}]}`, `{"eventSource":["x",{}]}`,
		`{"userIdentity":{"type":{"a":1}}}`, `{"userIdentity":{"sessionContext":{"sessionIssuer":{"arn":[[{"a":1}]]}}}}`,
		`{"event\u0053ource":{"a":1}}`, `{ "errorCode" : { "a" : 1 } }`, `{"eventSource":"x","eventSource":{"a":1}}`,
		`{"userIdentity":{"type":"Root","onBehalfOf":{"type":{"a":1}}}}`, `{"requestParameters":{"eventSource":{"a":1}}}`,
		`{"userIdentity":{"type":"a"},"userIdentity":{"arn":{"b":2}}}`, `{"errorMessage":{"a":null}}`,
	} {
		f.Add(s)
	}
	whole, lazy := ecs.NewRecord(ecs.Options{}), ecs.NewRecord(ecs.Options{})
	choices := indexChoices()
	f.Fuzz(func(t *testing.T, raw string) {
		if whole.Reset([]byte(raw)) != nil {
			return
		}
		for _, c := range choices {
			d, err := reader.NewDecoder(bytes.NewReader([]byte(`{"Records":[`+raw+`]}`)), reader.DecodeOptions{Index: c.paths})
			if err != nil {
				t.Fatal(err)
			}
			split, err := d.Next()
			if err != nil || string(split) != raw {
				return // not one record as the splitter reads it (white space around it, a value fastjson alone takes)
			}
			if err := lazy.ResetMembers(split, d.Index()); err != nil {
				t.Fatalf("ResetMembers(%q): %v", raw, err)
			}
			a, b := ecs.MalformedReason(lazy.Malformed()), ecs.MalformedReason(whole.Malformed())
			if a != b {
				t.Fatalf("%q, index %s: member by member %q, whole %q", raw, c.name, a, b)
			}
		}
	})
}
