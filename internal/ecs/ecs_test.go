package ecs

import (
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// view resets a new Record with raw and returns the S of each value of name.
func view(t *testing.T, raw string, name string) []string {
	t.Helper()
	r := NewRecord(Options{})
	if err := r.Reset([]byte(raw)); err != nil {
		t.Fatalf("Reset(%s): %v", raw, err)
	}
	return valuesOf(r, name)
}

// valuesOf returns the S of each value of name, nil when absent.
func valuesOf(r *Record, name string) []string {
	var out []string
	for _, v := range r.Values(Lookup(name)) {
		out = append(out, v.S)
	}
	return out
}

type fieldCase struct {
	name  string
	raw   string
	field string
	want  []string // nil: absent
}

func runFieldCases(t *testing.T, cases []fieldCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := view(t, tc.raw, tc.field)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s = %q, want %q", tc.field, got, tc.want)
			}
		})
	}
}

func TestCleanup(t *testing.T) {
	runFieldCases(t, []fieldCase{
		{"empty string", `{"errorCode":""}`, "aws.cloudtrail.error_code", nil},
		{"dash", `{"errorCode":"-"}`, "aws.cloudtrail.error_code", nil},
		{"none", `{"errorCode":"none"}`, "aws.cloudtrail.error_code", nil},
		{"None is kept", `{"errorCode":"None"}`, "aws.cloudtrail.error_code", []string{"None"}},
		{"null", `{"userAgent":null}`, "user_agent.original", nil},
		{"kept", `{"userAgent":"aws-cli/2"}`, "user_agent.original", []string{"aws-cli/2"}},
		{"object emptied recursively", `{"requestParameters":{"a":{"b":[null,"",{}]},"c":"-"}}`, "aws.cloudtrail.request_parameters", nil},
		{"nested cleanup", `{"requestParameters":{"a":[null,"x",""],"b":{},"c":{"d":1,"e":"none"}}}`, "aws.cloudtrail.request_parameters", []string{"{a=[x], c={d=1}}"}},
		{"empty list dropped", `{"requestParameters":{"l":[],"k":"v"}}`, "aws.cloudtrail.request_parameters", []string{"{k=v}"}},
		{"false and zero kept", `{"requestParameters":{"f":false,"z":0}}`, "aws.cloudtrail.request_parameters", []string{"{f=false, z=0}"}},
		{"identity emptied", `{"userIdentity":{"type":"","arn":null}}`, "aws.cloudtrail.user_identity.type", nil},
		{"flattened leaf dropped", `{"requestParameters":{"a":"-","b":"x"}}`, "aws.cloudtrail.flattened.request_parameters.a", nil},
	})
}

func TestOutcome(t *testing.T) {
	runFieldCases(t, []fieldCase{
		{"success", `{"eventName":"GetObject"}`, "event.outcome", []string{"success"}},
		{"errorCode", `{"eventName":"GetObject","errorCode":"AccessDenied"}`, "event.outcome", []string{"failure"}},
		{"errorMessage only", `{"errorMessage":"denied"}`, "event.outcome", []string{"failure"}},
		{"cleaned errorCode", `{"errorCode":""}`, "event.outcome", []string{"success"}},
		{"console login failure", `{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"}}`, "event.outcome", []string{"failure"}},
		{"console login wins over error", `{"eventName":"ConsoleLogin","errorMessage":"x","responseElements":{"ConsoleLogin":"Success"}}`, "event.outcome", []string{"success"}},
		{"console login without response", `{"eventName":"ConsoleLogin","errorMessage":"Failed authentication"}`, "event.outcome", []string{"failure"}},
		{"other event ignores ConsoleLogin key", `{"eventName":"X","errorCode":"E","responseElements":{"ConsoleLogin":"Success"}}`, "event.outcome", []string{"failure"}},
	})
}

func TestServiceActor(t *testing.T) {
	const svcRole = `"sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig","userName":"AWSServiceRoleForConfig"}}`
	tests := []struct {
		name                    string
		raw                     string
		service, userName, user []string
	}{
		{"AWSService invokedBy", `{"userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}}`,
			[]string{"ec2.amazonaws.com"}, nil, nil},
		{"service role, invokedBy", `{"userIdentity":{"type":"AssumedRole","principalId":"P:s","invokedBy":"config.amazonaws.com",` + svcRole + `}}`,
			[]string{"config.amazonaws.com"}, nil, nil},
		{"service role, name from path", `{"userIdentity":{"type":"AssumedRole","principalId":"P:s",` + svcRole + `}}`,
			[]string{"config.amazonaws.com"}, nil, nil},
		{"ordinary role", `{"userIdentity":{"type":"AssumedRole","principalId":"P:s","invokedBy":"x.amazonaws.com","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/Admin","userName":"Admin"}}}}`,
			nil, []string{"Admin"}, []string{"P:s"}},
		{"AWSService without a name", `{"userIdentity":{"type":"AWSService","principalId":"P"}}`,
			nil, nil, []string{"P"}},
		{"service role path without service segment", `{"userIdentity":{"type":"AssumedRole","principalId":"P:s","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/aws-service-role/Bare","userName":"Bare"}}}}`,
			nil, []string{"Bare"}, []string{"P:s"}},
		{"IAMUser invokedBy is not a service actor", `{"userIdentity":{"type":"IAMUser","userName":"alice","principalId":"AID","invokedBy":"signin.amazonaws.com"}}`,
			nil, []string{"alice"}, []string{"AID"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRecord(Options{})
			if err := r.Reset([]byte(tc.raw)); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				field string
				want  []string
			}{{"service.name", tc.service}, {"user.name", tc.userName}, {"user.id", tc.user}} {
				if got := valuesOf(r, c.field); !slices.Equal(got, c.want) {
					t.Errorf("%s = %q, want %q", c.field, got, c.want)
				}
			}
		})
	}
}

func TestUserFields(t *testing.T) {
	runFieldCases(t, []fieldCase{
		{"iam user", `{"userIdentity":{"type":"IAMUser","userName":"alice"}}`, "user.name", []string{"alice"}},
		{"assumed role takes issuer", `{"userIdentity":{"type":"AssumedRole","userName":"u","sessionContext":{"sessionIssuer":{"userName":"RoleName"}}}}`, "user.name", []string{"RoleName"}},
		{"federated user takes issuer", `{"userIdentity":{"type":"FederatedUser","sessionContext":{"sessionIssuer":{"userName":"Fed"}}}}`, "user.name", []string{"Fed"}},
		{"iam user keeps own name", `{"userIdentity":{"type":"IAMUser","userName":"alice","sessionContext":{"sessionIssuer":{"userName":"Other"}}}}`, "user.name", []string{"alice"}},
		{"session name not user.name", `{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/sess"}}`, "user.name", nil},
		{"user authentication", `{"eventName":"UserAuthentication","userIdentity":{"type":"Unknown"},"additionalEventData":{"UserName":"bob","CredentialType":"PASSWORD"}}`, "user.name", []string{"bob"}},
		{"moved out of string", `{"eventName":"UserAuthentication","additionalEventData":{"UserName":"bob","CredentialType":"PASSWORD"}}`, "aws.cloudtrail.additional_eventdata", []string{"{CredentialType=PASSWORD}"}},
		{"moved out of flattened", `{"eventName":"UserAuthentication","additionalEventData":{"UserName":"bob","CredentialType":"PASSWORD"}}`, "aws.cloudtrail.flattened.additional_eventdata.UserName", nil},
		// 13 raw keys with UserName, 12 left: the move keeps capacity 32
		// (checked against java.util.HashMap); 16 would put q before a.
		{"moved keeps capacity", `{"eventName":"UserAuthentication","additionalEventData":{"UserName":"bob","q":1,"a":1,"k0":1,"k1":1,"k2":1,"k3":1,"k4":1,"k5":1,"k6":1,"k7":1,"k8":1,"k9":1}}`, "aws.cloudtrail.additional_eventdata", []string{"{a=1, k0=1, k1=1, k2=1, k3=1, k4=1, k5=1, k6=1, k7=1, k8=1, k9=1, q=1}"}},
		{"emptied prints braces", `{"eventName":"UserAuthentication","additionalEventData":{"UserName":"bob"}}`, "aws.cloudtrail.additional_eventdata", []string{"{}"}},
		{"not moved when named", `{"eventName":"UserAuthentication","userIdentity":{"userName":"al"},"additionalEventData":{"UserName":"bob"}}`, "aws.cloudtrail.additional_eventdata", []string{"{UserName=bob}"}},
		{"not moved for other events", `{"eventName":"CredentialChallenge","additionalEventData":{"UserName":"bob"}}`, "user.name", nil},
		{"principal id", `{"userIdentity":{"type":"IAMUser","principalId":"AIDA"}}`, "user.id", []string{"AIDA"}},
		{"identity center user", `{"userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1"}}}`, "user.id", []string{"u-1"}},
		{"onBehalfOf only for identity center", `{"userIdentity":{"type":"Unknown","onBehalfOf":{"userId":"u-1"}}}`, "user.id", nil},
	})
}

func TestSourceIP(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want []string
	}{
		{"216.160.83.56", []string{"216.160.83.56"}},
		{"::1", []string{"::1"}},
		{"2001:db8::1", []string{"2001:db8::1"}},
		{"fe80::1%eth0", nil},
		{"ec2.amazonaws.com", nil},
		{"AWS Internal", nil},
		{"1.2.3.4.5", nil},
		{"-", nil},
	} {
		raw := `{"sourceIPAddress":"` + tc.addr + `"}`
		if got := view(t, raw, "source.ip"); !slices.Equal(got, tc.want) {
			t.Errorf("source.ip of %q = %q, want %q", tc.addr, got, tc.want)
		}
		wantAddr := []string{tc.addr}
		if tc.addr == "-" {
			wantAddr = nil
		}
		if got := view(t, raw, "source.address"); !slices.Equal(got, wantAddr) {
			t.Errorf("source.address of %q = %q, want %q", tc.addr, got, wantAddr)
		}
	}
}

func TestJavaHash(t *testing.T) {
	// Values printed by Java's String.hashCode.
	for _, tc := range []struct {
		s    string
		want int32
	}{
		{"", 0},
		{"hello", 99162322},
		{"Aa", 2112},
		{"BB", 2112},
		{"polygenelubricants", -2147483648},
		{"\U0001F600", 1772899},
		{"requestParameters", 1722935769},
	} {
		if got := javaHash([]byte(tc.s)); got != tc.want {
			t.Errorf("javaHash(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestHashMapString(t *testing.T) {
	// Expected strings were checked against java.util.HashMap.toString.
	runFieldCases(t, []fieldCase{
		// 'p' (112) lands in bucket 0, 'q' (113) and 'a' (97) share bucket 1 in insertion order.
		{"bucket order", `{"requestParameters":{"q":"vq","a":"va","p":"vp"}}`, "aws.cloudtrail.request_parameters", []string{"{p=vp, q=vq, a=va}"}},
		// 31 raw keys, 22 left: capacity 64, as the raw keys' puts left it
		// (ECS.md §4; checked against java.util.HashMap). Counting the keys left
		// (capacity 32) would give {a=1, A=1, …, P=1, q=1, Q=1, R=1, S=1, T=1}.
		{"resize after cleanup", `{"requestParameters":{"q":1,"x1":null,"a":1,"Q":1,"x2":"","A":1,"B":1,"x3":"-","C":1,"D":1,"E":1,"x4":"none","F":1,"G":1,"H":1,"x5":{},"I":1,"J":1,"K":1,"x6":[],"L":1,"M":1,"N":1,"x7":{"y":null},"O":1,"P":1,"x8":[null,""],"R":1,"S":1,"x9":{"z":[{}]},"T":1}}`,
			"aws.cloudtrail.request_parameters", []string{"{A=1, B=1, C=1, D=1, E=1, F=1, G=1, H=1, I=1, J=1, K=1, L=1, M=1, N=1, O=1, P=1, Q=1, R=1, S=1, T=1, a=1, q=1}"}},
		{"strings raw", `{"requestParameters":{"policy":"{\"Version\": \"2012\"}"}}`, "aws.cloudtrail.request_parameters", []string{`{policy={"Version": "2012"}}`}},
		{"lists and nesting", `{"responseElements":{"items":[{"group":"all"}],"n":[1,2.5]}}`, "aws.cloudtrail.response_elements", []string{"{items=[{group=all}], n=[1, 2.5]}"}},
		{"numbers", `{"requestParameters":{"i":3600,"d":1e10,"f":0.001,"s":0.0001,"w":1.0}}`, "aws.cloudtrail.request_parameters", []string{"{s=1.0E-4, d=1.0E10, f=0.001, w=1.0, i=3600}"}},
		{"duplicate key keeps first place, last value", `{"requestParameters":{"q":1,"a":2,"q":3}}`, "aws.cloudtrail.request_parameters", []string{"{q=3, a=2}"}},
		{"service event details", `{"serviceEventDetails":{"k":"v"}}`, "aws.cloudtrail.service_event_details", []string{"{k=v}"}},
		{"scalar object field", `{"requestParameters":"plain"}`, "aws.cloudtrail.request_parameters", []string{"plain"}},
	})
}

func TestJavaNumber(t *testing.T) {
	// Expected texts are Java's Double.toString (shortest repr, JDK 19+) and
	// Integer/Long/BigInteger.toString of the values Jackson parses.
	for _, tc := range []struct{ raw, want string }{
		{"3600", "3600"},
		{"-5", "-5"},
		{"-0", "0"},
		{"12345678901234567890", "12345678901234567890"},
		{"1e10", "1.0E10"},
		{"0.001", "0.001"},
		{"1e-4", "1.0E-4"},
		{"1234567", "1234567"},
		{"1234567.0", "1234567.0"},
		{"1e7", "1.0E7"},
		{"9999999.0", "9999999.0"},
		{"0.1", "0.1"},
		{"1E2", "100.0"},
		{"1.5", "1.5"},
		{"-2.5", "-2.5"},
		{"123.456", "123.456"},
		{"1e-5", "1.0E-5"},
		{"123450000.0", "1.2345E8"},
		{"4.9e-324", "4.9E-324"},
		{"1.7976931348623157e308", "1.7976931348623157E308"},
		{"9223372036854775808.0", "9.223372036854776E18"},
		{"0.0", "0.0"},
		{"-0.0", "-0.0"},
		{"2e-3", "0.002"},
		{"0.0009999", "9.999E-4"},
		{"12345.678901234567", "12345.678901234567"},
		{"1e21", "1.0E21"},
		{"1.1e-3", "0.0011"},
		{"1e999", "Infinity"},
	} {
		if got := string(appendJavaNumber(nil, tc.raw)); got != tc.want {
			t.Errorf("java text of %s = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestJavaCapacity(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{0, 16}, {12, 16}, {13, 32}, {22, 32}, {24, 32}, {25, 64}, {31, 64}, {49, 128}} {
		if got := javaCapacity(tc.n); got != tc.want {
			t.Errorf("javaCapacity(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestFlattened(t *testing.T) {
	const raw = `{"requestParameters":{"items":[{"group":"all"},{"group":"x","n":[1,2]},{"group":""}],"a.b":"dot","a":{"b":"nested","c":{"d":true}},"t":true,"m":[[1.5,"y"]]}}`
	runFieldCases(t, []fieldCase{
		{"across arrays", raw, "aws.cloudtrail.flattened.request_parameters.items.group", []string{"all", "x"}},
		{"array of scalars", raw, "aws.cloudtrail.flattened.request_parameters.items.n", []string{"1", "2"}},
		{"dotted key and nested path", raw, "aws.cloudtrail.flattened.request_parameters.a.b", []string{"dot", "nested"}},
		{"boolean as string", raw, "aws.cloudtrail.flattened.request_parameters.t", []string{"true"}},
		{"deep", raw, "aws.cloudtrail.flattened.request_parameters.a.c.d", []string{"true"}},
		{"nested arrays", raw, "aws.cloudtrail.flattened.request_parameters.m", []string{"1.5", "y"}},
		{"object has no leaf", raw, "aws.cloudtrail.flattened.request_parameters.items", nil},
		{"missing", raw, "aws.cloudtrail.flattened.request_parameters.nope", nil},
		{"root holds every leaf", raw, "aws.cloudtrail.flattened.request_parameters", []string{"all", "x", "1", "2", "dot", "nested", "true", "true", "1.5", "y"}},
		{"other object", `{"responseElements":{"k":"v"}}`, "aws.cloudtrail.flattened.response_elements.k", []string{"v"}},
		{"additional event data", `{"additionalEventData":{"bytesTransferredIn":0}}`, "aws.cloudtrail.flattened.additional_eventdata.bytesTransferredIn", []string{"0"}},
		{"service event details", `{"serviceEventDetails":{"s":{"t":"u"}}}`, "aws.cloudtrail.flattened.service_event_details.s.t", []string{"u"}},
	})
}

func TestFlattenedTooLong(t *testing.T) {
	long := strings.Repeat("x", maxFlattened)
	r := NewRecord(Options{})
	if err := r.Reset([]byte(`{"requestParameters":{"k":"` + long + `","s":"short"}}`)); err != nil {
		t.Fatal(err)
	}
	if got := valuesOf(r, "aws.cloudtrail.flattened.request_parameters.s"); got != nil {
		t.Errorf("flattened leaf of an object printing %d+ chars = %q, want absent", maxFlattened, got)
	}
	if got := valuesOf(r, "aws.cloudtrail.request_parameters"); len(got) != 1 || len(got[0]) <= maxFlattened {
		t.Errorf("request_parameters should stay present and whole, got %d values", len(got))
	}
	if err := r.Reset([]byte(`{"requestParameters":{"s":"short"}}`)); err != nil {
		t.Fatal(err)
	}
	if got := valuesOf(r, "aws.cloudtrail.flattened.request_parameters.s"); !slices.Equal(got, []string{"short"}) {
		t.Errorf("after Reset, flattened leaf = %q, want [short]", got)
	}
}

func TestDirectFields(t *testing.T) {
	const raw = `{"eventVersion":"1.08","eventTime":"2024-10-10T12:55:43.023139433Z","eventSource":"lambda.amazonaws.com",
	"eventName":"CreateUser","awsRegion":"us-east-1","recipientAccountId":"222","readOnly":false,"managementEvent":true,
	"sharedEventID":"sh-1","vpcEndpointId":"vpce-1","apiVersion":"2015","sessionCredentialFromConsole":"true",
	"userIdentity":{"type":"IAMUser","accountId":"111","sessionContext":{"attributes":{"mfaAuthenticated":"false","creationDate":"2024-01-01T02:00:00+02:00"},
	"sessionIssuer":{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::111:role/R","accountId":"111"}}},
	"tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE","clientProvidedHostHeader":"h.example"},
	"resources":[{"ARN":"arn:1","accountId":"111","type":"T"},{"ARN":"arn:1","accountId":"111","type":"T"},{"ARN":"arn:2","type":"T"}]}`
	runFieldCases(t, []fieldCase{
		{"timestamp", raw, "@timestamp", []string{"2024-10-10T12:55:43.023Z"}},
		{"creation date to UTC", raw, "aws.cloudtrail.user_identity.session_context.creation_date", []string{"2024-01-01T00:00:00.000Z"}},
		{"dataset", raw, "event.dataset", []string{"aws.cloudtrail"}},
		{"data stream", raw, "data_stream.dataset", []string{"aws.cloudtrail"}},
		{"kind", raw, "event.kind", []string{"event"}},
		{"provider", raw, "cloud.provider", []string{"aws"}},
		{"service name", raw, "cloud.service.name", []string{"lambda"}},
		{"account from identity", raw, "cloud.account.id", []string{"111"}},
		{"account from recipient", `{"recipientAccountId":"222"}`, "cloud.account.id", []string{"222"}},
		{"anonymous account", `{"userIdentity":{"accountId":"anonymous"},"recipientAccountId":"222"}`, "cloud.account.id", []string{"anonymous"}},
		{"read only", raw, "aws.cloudtrail.read_only", []string{"false"}},
		{"management event string", raw, "aws.cloudtrail.management_event", []string{"true"}},
		{"shared event id", raw, "aws.cloudtrail.shared_event_id", []string{"sh-1"}},
		{"mfa", raw, "aws.cloudtrail.user_identity.session_context.mfa_authenticated", []string{"false"}},
		{"issuer arn", raw, "aws.cloudtrail.user_identity.session_context.session_issuer.arn", []string{"arn:aws:iam::111:role/R"}},
		{"tls protocol", raw, "tls.version_protocol", []string{"tls"}},
		{"tls version", raw, "tls.version", []string{"1.2"}},
		{"tls cipher", raw, "tls.cipher", []string{"ECDHE"}},
		{"tls host", raw, "tls.client.server_name", []string{"h.example"}},
		{"resources deduplicated", raw, "aws.cloudtrail.resources.arn", []string{"arn:1", "arn:2"}},
		{"resources account", raw, "aws.cloudtrail.resources.account_id", []string{"111"}},
		{"category", raw, "event.category", []string{"iam"}},
		{"type", raw, "event.type", []string{"user", "creation"}},
		{"uncategorized type", `{"eventName":"Nope"}`, "event.type", []string{"info"}},
		{"uncategorized category", `{"eventName":"Nope"}`, "event.category", nil},
		{"bad time", `{"eventTime":"yesterday"}`, "@timestamp", nil},
		{"unknown field", raw, "source.geo.country_iso_code", nil},
	})
}

func TestReadOnlyIsBool(t *testing.T) {
	r := NewRecord(Options{})
	if err := r.Reset([]byte(`{"readOnly":true}`)); err != nil {
		t.Fatal(err)
	}
	got := r.Values(Lookup("aws.cloudtrail.read_only"))
	if len(got) != 1 || got[0].Kind != KindBool || !got[0].B || got[0].S != "true" {
		t.Errorf("read_only = %+v, want one KindBool true", got)
	}
}

func TestConsoleLogin(t *testing.T) {
	const raw = `{"eventName":"ConsoleLogin","additionalEventData":{"MobileVersion":"No","MFAUsed":"Yes","LoginTo":"https://console"}}`
	r := NewRecord(Options{})
	if err := r.Reset([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		kind  Kind
		want  string
	}{
		{"aws.cloudtrail.console_login.additional_eventdata.mobile_version", KindBool, "false"},
		{"aws.cloudtrail.console_login.additional_eventdata.mfa_used", KindBool, "true"},
		{"aws.cloudtrail.console_login.additional_eventdata.login_to", KindString, "https://console"},
	} {
		got := r.Values(Lookup(tc.field))
		if len(got) != 1 || got[0].Kind != tc.kind || got[0].S != tc.want {
			t.Errorf("%s = %+v, want one %v %q", tc.field, got, tc.kind, tc.want)
		}
	}
	if got := view(t, `{"eventName":"Other","additionalEventData":{"MFAUsed":"Yes"}}`, "aws.cloudtrail.console_login.additional_eventdata.mfa_used"); got != nil {
		t.Errorf("mfa_used outside ConsoleLogin = %q, want absent", got)
	}
}

func TestIngested(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	r := NewRecord(Options{Ingested: at})
	if err := r.Reset([]byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if got, want := valuesOf(r, "event.ingested"), []string{"2026-01-02T02:04:05Z"}; !slices.Equal(got, want) {
		t.Errorf("event.ingested = %q, want %q", got, want)
	}
	if got := view(t, `{}`, "event.ingested"); got != nil {
		t.Errorf("event.ingested without Options.Ingested = %q, want absent", got)
	}
}

func TestRawAccessors(t *testing.T) {
	const raw = `{"eventTime":"2024-09-11T11:29:33+02:00","eventName":"","userIdentity":{"type":"IAMUser","arn":"arn:x","n":5},
	"requestParameters" : { "a" : [1, 2.50, "x\"y\u00e9\n"], "b": null },"responseElements":null}`
	r := NewRecord(Options{})
	if err := r.Reset([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"userIdentity", "arn"}, "arn:x"},
		{[]string{"userIdentity", "type"}, "IAMUser"},
		{[]string{"userIdentity", "n"}, ""},
		{[]string{"userIdentity", "missing"}, ""},
		{[]string{"userIdentity"}, ""},
		{[]string{"eventName"}, ""},
	} {
		if got := r.Str(tc.path...); got != tc.want {
			t.Errorf("Str(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	if got, want := r.JSON("requestParameters"), `{"a":[1,2.50,"x\"yé\n"],"b":null}`; got != want {
		t.Errorf("JSON(requestParameters) = %s, want %s", got, want)
	}
	for _, key := range []string{"responseElements", "missing"} {
		if got := r.JSON(key); got != "" {
			t.Errorf("JSON(%s) = %q, want empty", key, got)
		}
	}
	got, ok := r.EventTime()
	if want := time.Date(2024, 9, 11, 9, 29, 33, 0, time.UTC); !ok || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("EventTime() = %v, %v; want %v in UTC", got, ok, want)
	}
	if string(r.Raw()) != raw {
		t.Errorf("Raw() does not return the bytes given to Reset")
	}
	if err := r.Reset([]byte(`{"eventTime":"11 Sep 2024"}`)); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.EventTime(); ok {
		t.Errorf("EventTime() of a non-RFC 3339 time reported ok")
	}
}

func TestResetErrors(t *testing.T) {
	r := NewRecord(Options{})
	for _, raw := range []string{``, `[1]`, `"x"`, `{"a":1} trailing`, `{"a":`, `null`} {
		if err := r.Reset([]byte(`{"eventName":"X"}`)); err != nil {
			t.Fatal(err)
		}
		err := r.Reset([]byte(raw))
		if err == nil {
			t.Errorf("Reset(%q) succeeded, want an error", raw)
			continue
		}
		if got := r.Values(Lookup("event.action")); got != nil {
			t.Errorf("after failed Reset(%q), event.action = %+v, want absent", raw, got)
		}
		if r.Raw() != nil || r.Str("eventName") != "" {
			t.Errorf("after failed Reset(%q), raw accessors still see the previous record", raw)
		}
	}
	if err := r.Reset([]byte(`[1]`)); !errors.Is(err, ErrNotObject) {
		t.Errorf("Reset([1]) = %v, want ErrNotObject", err)
	}
}

func TestCacheFollowsReset(t *testing.T) {
	r := NewRecord(Options{})
	action := Lookup("event.action")
	params := Lookup("aws.cloudtrail.request_parameters")
	for _, name := range []string{"A", "B", "A"} {
		if err := r.Reset([]byte(`{"eventName":"` + name + `","requestParameters":{"n":"` + name + `"}}`)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // the second read comes from the cache
			if got := valuesOf(r, action.Name); !slices.Equal(got, []string{name}) {
				t.Errorf("event.action = %q, want [%s]", got, name)
			}
			if got := r.Values(params); len(got) != 1 || got[0].S != "{n="+name+"}" {
				t.Errorf("request_parameters = %+v, want {n=%s}", got, name)
			}
		}
	}
	late := Lookup("aws.cloudtrail.flattened.request_parameters.n") // registered after the Record grew its cache
	if got := r.Values(late); len(got) != 1 || got[0].S != "A" {
		t.Errorf("late field = %+v, want [A]", got)
	}
}

func TestLookupNamesKnown(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) {
		t.Errorf("Names() is not sorted")
	}
	for _, want := range append(slices.Clone(coreFields), "data_stream.dataset", "event.dataset", "aws.cloudtrail.user_identity.arn", "service.name", "event.category") {
		if !slices.Contains(names, want) {
			t.Errorf("Names() lacks %s", want)
		}
	}
	for _, n := range names {
		if !Known(n) {
			t.Errorf("Known(%q) = false for a name from Names()", n)
		}
		if strings.HasPrefix(n, "aws.cloudtrail.flattened") {
			t.Errorf("Names() holds flattened path %s", n)
		}
	}
	for name, want := range map[string]bool{
		"aws.cloudtrail.flattened.request_parameters.userData":  true,
		"aws.cloudtrail.flattened.service_event_details":        true,
		"aws.cloudtrail.flattened.request_parametersX":          false,
		"aws.cloudtrail.flattened.request_parameters.":          false,
		"aws.cloudtrail.flattened.other.x":                      false,
		"source.geo.country_iso_code":                           false,
		"event.acton":                                           false,
		"aws.cloudtrail.flattened.additional_eventdata.a.b.c.d": true,
	} {
		if got := Known(name); got != want {
			t.Errorf("Known(%q) = %v, want %v", name, got, want)
		}
	}
	if first, again := Lookup("event.action"), Lookup("event.action"); first != again {
		t.Errorf("Lookup returns different fields for one name")
	}
	if a, b := Lookup("event.action"), Lookup("event.provider"); a == b || a.Name != "event.action" {
		t.Errorf("Lookup(event.action) = %+v, Lookup(event.provider) = %+v", a, b)
	}
	var zero Field
	r := NewRecord(Options{})
	_ = r.Reset([]byte(`{"eventName":"X"}`))
	if got := r.Values(zero); got != nil {
		t.Errorf("Values(Field{}) = %+v, want nil", got)
	}
}

func TestLookupConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	fields := make([][]Field, 8)
	for g := range fields {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := NewRecord(Options{})
			_ = r.Reset([]byte(`{"eventName":"X","requestParameters":{"k0":"v"}}`))
			for i := 0; i < 50; i++ {
				f := Lookup("aws.cloudtrail.flattened.request_parameters.k" + strings.Repeat("0", i%5))
				fields[g] = append(fields[g], f)
				r.Values(f)
			}
		}()
	}
	wg.Wait()
	for g := 1; g < len(fields); g++ {
		if !slices.Equal(fields[g], fields[0]) {
			t.Fatalf("goroutine %d resolved different fields than goroutine 0", g)
		}
	}
}

func TestLargeAndDeep(t *testing.T) {
	// A wide map takes the indexed duplicate check; every key must survive once.
	var b strings.Builder
	b.WriteString(`{"requestParameters":{`)
	const n = 20000
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	b.WriteString(`,"k7":"last"}}`) // a duplicate: first place, last value
	r := NewRecord(Options{})
	if err := r.Reset([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	s := valuesOf(r, "aws.cloudtrail.request_parameters")
	if len(s) != 1 || strings.Count(s[0], "=") != n || !strings.Contains(s[0], "k7=last") || strings.Contains(s[0], "k7=7") {
		t.Errorf("wide map printed wrongly (%d values)", len(s))
	}

	// Deep nesting up to fastjson's limit prints every level.
	const depth = 250
	raw := `{"requestParameters":` + strings.Repeat(`{"a":`, depth) + `"x"` + strings.Repeat(`}`, depth) + `}`
	if err := r.Reset([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("{a=", depth) + "x" + strings.Repeat("}", depth)
	if got := valuesOf(r, "aws.cloudtrail.request_parameters"); !slices.Equal(got, []string{want}) {
		t.Errorf("deep map printed wrongly")
	}
	path := "aws.cloudtrail.flattened.request_parameters." + strings.TrimSuffix(strings.Repeat("a.", depth), ".")
	if got := valuesOf(r, path); !slices.Equal(got, []string{"x"}) {
		t.Errorf("deep flattened leaf = %q, want [x]", got)
	}
}
