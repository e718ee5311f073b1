package kql

import (
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// fakeDoc is a Doc keyed by field name.
type fakeDoc map[string][]ecs.Value

func (d fakeDoc) Values(f ecs.Field) []ecs.Value { return d[f.Name] }

func str(ss ...string) []ecs.Value {
	vs := make([]ecs.Value, len(ss))
	for i, s := range ss {
		vs[i] = ecs.Value{Kind: ecs.KindString, S: s}
	}
	return vs
}

func num(f float64) []ecs.Value {
	return []ecs.Value{{Kind: ecs.KindNumber, N: f, S: strconv.FormatFloat(f, 'f', -1, 64)}}
}

func boolean(b bool) []ecs.Value {
	return []ecs.Value{{Kind: ecs.KindBool, B: b, S: strconv.FormatBool(b)}}
}

// withFieldNames makes wildcard field names expand over names for the
// rest of the test.
func withFieldNames(t *testing.T, names ...string) {
	t.Helper()
	old := fieldNames
	fieldNames = func() []string { return names }
	t.Cleanup(func() { fieldNames = old })
}

var seedDoc = fakeDoc{
	"data_stream.dataset": str("aws.cloudtrail"),
	"event.provider":      str("lambda.amazonaws.com"),
	"event.action":        str("CreateEventSourceMapping20150331"),
	"event.outcome":       str("success"),
}

const seedQuery = `data_stream.dataset: "aws.cloudtrail" and event.provider: "lambda.amazonaws.com" and event.action: CreateEventSourceMapping* and event.outcome: "success"`

var matchTests = []struct {
	name  string
	query string
	doc   fakeDoc
	want  bool
}{
	// The seed rule.
	{"seed", seedQuery, seedDoc, true},
	{"seed wrong outcome", seedQuery, fakeDoc{"data_stream.dataset": str("aws.cloudtrail"), "event.provider": str("lambda.amazonaws.com"), "event.action": str("CreateEventSourceMapping"), "event.outcome": str("failure")}, false},
	{"empty query", ``, fakeDoc{}, true},

	// Exact, case-sensitive equality.
	{"exact", `a: foo`, fakeDoc{"a": str("foo")}, true},
	{"exact quoted", `a: "foo bar"`, fakeDoc{"a": str("foo bar")}, true},
	{"exact is case-sensitive", `a: foo`, fakeDoc{"a": str("Foo")}, false},
	{"exact is whole value", `a: foo`, fakeDoc{"a": str("foobar")}, false},
	{"missing field", `a: foo`, fakeDoc{}, false},
	{"keywords ignore case", `a: x OR a: y`, fakeDoc{"a": str("y")}, true},

	// Wildcards.
	{"prefix wildcard", `a: AKIA*`, fakeDoc{"a": str("AKIAXYZ")}, true},
	{"prefix wildcard no", `a: AKIA*`, fakeDoc{"a": str("ASIAXYZ")}, false},
	{"wildcard is case-sensitive", `a: *terraform*`, fakeDoc{"a": str("Terraform/1.5")}, false},
	{"contains wildcard", `a: *Terraform* or a: *terraform*`, fakeDoc{"a": str("APN/1.0 HashiCorp/1.0 Terraform/1.5")}, true},
	{"suffix wildcard", `a: *.amazonaws.com`, fakeDoc{"a": str("s3.amazonaws.com")}, true},
	{"infix wildcards in order", `a: *includeManagementEvents*false*`, fakeDoc{"a": str(`{"includeManagementEvents":false}`)}, true},
	{"infix wildcards out of order", `a: *includeManagementEvents*false*`, fakeDoc{"a": str(`{"x":false,"includeManagementEvents":true}`)}, false},
	{"wildcard matches empty run", `a: ab*cd`, fakeDoc{"a": str("abcd")}, true},
	{"wildcard overlap", `a: ab*ba`, fakeDoc{"a": str("aba")}, false},
	{"question mark is literal", `a: a?c`, fakeDoc{"a": str("abc")}, false},
	{"question mark matches itself", `a: a?c`, fakeDoc{"a": str("a?c")}, true},
	{"quoted star is literal", `a: "a*"`, fakeDoc{"a": str("ab")}, false},
	{"quoted star matches itself", `a: "a*"`, fakeDoc{"a": str("a*")}, true},
	{"whitespace in unquoted literal", `user_agent.original: *S3 Browser*`, fakeDoc{"user_agent.original": str("S3 Browser 9.5.5 https://s3browser.com")}, true},
	{"escaped colon", `user.id: *\:i-*`, fakeDoc{"user.id": str("AROAEXAMPLE:i-0123456789abcdef0")}, true},
	{"escaped colon no", `user.id: *\:i-*`, fakeDoc{"user.id": str("AROAEXAMPLE:alice")}, false},
	{"escaped colons prefix", `related.entity: arn\:aws\:iam\:\:aws\:policy*`, fakeDoc{"related.entity": str("arn:aws:iam::aws:policy/AdministratorAccess")}, true},
	{"wildcard on number", `a: 44*`, fakeDoc{"a": num(443)}, true},

	// Multi-valued fields: any value.
	{"multi-valued any", `a: b`, fakeDoc{"a": str("x", "b", "y")}, true},
	{"multi-valued none", `a: b`, fakeDoc{"a": str("x", "y")}, false},
	{"multi-valued list and", `a: (x and y)`, fakeDoc{"a": str("x", "y")}, true},
	{"multi-valued not any", `not a: b`, fakeDoc{"a": str("x", "b")}, false},

	// Exists.
	{"exists", `source.ip: *`, fakeDoc{"source.ip": str("1.2.3.4")}, true},
	{"exists missing", `source.ip: *`, fakeDoc{}, false},
	{"exists empty", `source.ip: *`, fakeDoc{"source.ip": {}}, false},
	{"not exists missing", `not source.ip: *`, fakeDoc{}, true},
	{"exists in list", `a: (* and not x)`, fakeDoc{"a": str("y")}, true},
	{"exists in list missing", `a: (* and not x)`, fakeDoc{}, false},

	// not.
	{"not on missing", `not aws.cloudtrail.user_identity.type: "AWSService"`, fakeDoc{}, true},
	{"not on other", `not aws.cloudtrail.user_identity.type: "AWSService"`, fakeDoc{"aws.cloudtrail.user_identity.type": str("IAMUser")}, true},
	{"not on equal", `not aws.cloudtrail.user_identity.type: "AWSService"`, fakeDoc{"aws.cloudtrail.user_identity.type": str("AWSService")}, false},
	{"not binds tighter than and", `not a: x and b: y`, fakeDoc{"b": str("y")}, true},
	{"and binds tighter than or", `a: x or b: y and c: z`, fakeDoc{"a": str("x")}, true},
	{"and binds tighter than or 2", `(a: x or b: y) and c: z`, fakeDoc{"a": str("x")}, false},

	// Value lists.
	{"list or", `event.action: (CreateUser or DeleteUser)`, fakeDoc{"event.action": str("DeleteUser")}, true},
	{"list or none", `event.action: (CreateUser or DeleteUser)`, fakeDoc{"event.action": str("GetUser")}, false},
	{"list and not", `a: (* and not (Amazon* or AMAZON*))`, fakeDoc{"a": str("AmazonSSM")}, false},
	{"list and not 2", `a: (* and not (Amazon* or AMAZON*))`, fakeDoc{"a": str("aws-cli/2")}, true},
	{"list escaped", `user.name:(system\:serviceaccount\:* and not system\:serviceaccount\:kube-system\:aws-load-balancer-controller)`, fakeDoc{"user.name": str("system:serviceaccount:default:x")}, true},
	{"list escaped excluded", `user.name:(system\:serviceaccount\:* and not system\:serviceaccount\:kube-system\:aws-load-balancer-controller)`, fakeDoc{"user.name": str("system:serviceaccount:kube-system:aws-load-balancer-controller")}, false},

	// Booleans.
	{"true on bool", `a: true`, fakeDoc{"a": boolean(true)}, true},
	{"true on false", `a: true`, fakeDoc{"a": boolean(false)}, false},
	{"false on bool", `a: false`, fakeDoc{"a": boolean(false)}, true},
	{"true on string", `a: true`, fakeDoc{"a": str("true")}, true},
	{"true on other string", `a: true`, fakeDoc{"a": str("True")}, false},
	{"quoted true on bool", `a: "true"`, fakeDoc{"a": boolean(true)}, true},
	{"bool not on number", `a: true`, fakeDoc{"a": num(1)}, false},

	// Numbers.
	{"number on number", `a: 443`, fakeDoc{"a": num(443)}, true},
	{"number on number numerically", `a: 443.0`, fakeDoc{"a": num(443)}, true},
	{"number on other number", `a: 443`, fakeDoc{"a": num(80)}, false},
	{"number on string", `a: 443`, fakeDoc{"a": str("443")}, true},
	{"number on string is textual", `a: 443.0`, fakeDoc{"a": str("443")}, false},
	{"text on number", `a: abc`, fakeDoc{"a": num(1)}, false},

	// null.
	{"null is the string null", `a: null`, fakeDoc{"a": str("null")}, true},
	{"null on missing", `a: null`, fakeDoc{}, false},

	// IP addresses and CIDR.
	{"cidr inside", `source.ip: 10.0.0.0/8`, fakeDoc{"source.ip": str("10.1.2.3")}, true},
	{"cidr outside", `source.ip: 10.0.0.0/8`, fakeDoc{"source.ip": str("11.1.2.3")}, false},
	{"cidr v6", `source.ip: "2001:db8::/32"`, fakeDoc{"source.ip": str("2001:db8::1")}, true},
	{"cidr mapped v4", `source.ip: 192.168.0.0/16`, fakeDoc{"source.ip": str("::ffff:192.168.1.1")}, true},
	{"cidr not an ip", `source.ip: 10.0.0.0/8`, fakeDoc{"source.ip": str("AWS Internal")}, false},
	{"ip equality normalised", `source.ip: "2001:db8:0:0::1"`, fakeDoc{"source.ip": str("2001:db8::1")}, true},
	{"slash on keyword is text", `a: "10.0.0.0/8"`, fakeDoc{"a": str("10.1.2.3")}, false},

	// Ranges.
	{"range number", `a > 5`, fakeDoc{"a": num(6)}, true},
	{"range number equal", `a > 5`, fakeDoc{"a": num(5)}, false},
	{"range number ge", `a >= 5`, fakeDoc{"a": num(5)}, true},
	{"range number lt", `a < 10`, fakeDoc{"a": num(9)}, true},
	{"range numeric not lexical", `a < 10`, fakeDoc{"a": num(9.5)}, true},
	{"range string lexical", `a < 10`, fakeDoc{"a": str("9")}, false},
	{"range string le", `a <= "m"`, fakeDoc{"a": str("apple")}, true},
	{"range multi-valued", `a > 5`, fakeDoc{"a": append(num(1), num(7)...)}, true},
	{"range date", `@timestamp >= "2023-07-10"`, fakeDoc{"@timestamp": str("2023-07-10T12:00:00Z")}, true},
	{"range date chronological", `@timestamp < "2023-07-10T12:00:00+02:00"`, fakeDoc{"@timestamp": str("2023-07-10T10:30:00Z")}, false},
	{"range date chronological 2", `@timestamp < "2023-07-10T12:00:00+02:00"`, fakeDoc{"@timestamp": str("2023-07-10T09:59:59.5Z")}, true},
	{"range missing", `a > 5`, fakeDoc{}, false},

	// Nested queries: fields relative to the path.
	{"nested", `aws.cloudtrail: { user_identity.type: Root and event_type: AwsConsoleSignIn }`, fakeDoc{"aws.cloudtrail.user_identity.type": str("Root"), "aws.cloudtrail.event_type": str("AwsConsoleSignIn")}, true},
	{"nested no", `aws.cloudtrail: { user_identity.type: Root }`, fakeDoc{"user_identity.type": str("Root")}, false},
	{"nested twice", `a: { b: { c: d } }`, fakeDoc{"a.b.c": str("d")}, true},

	// Unquoted escapes.
	{"escaped newline", `a: x\nnot`, fakeDoc{"a": str("x\nnot")}, true},
	{"escaped keyword", `a: x \or y`, fakeDoc{"a": str("x or y")}, true},
	{"unicode escape", `a: caf\u00e9`, fakeDoc{"a": str("café")}, true},
	{"quoted escapes", `a: "say \"hi\"\t\\"`, fakeDoc{"a": str("say \"hi\"\t\\")}, true},
}

func TestMatch(t *testing.T) {
	for _, tt := range matchTests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.query)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.query, err)
			}
			m, err := Compile(n)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.query, err)
			}
			if got := m.Match(tt.doc); got != tt.want {
				t.Errorf("%q on %v = %v, want %v", tt.query, tt.doc, got, tt.want)
			}
		})
	}
}

func TestMatchWildcardFields(t *testing.T) {
	withFieldNames(t, "aws.cloudtrail.user_identity.arn", "aws.cloudtrail.user_identity.type", "event.action", "user.name")
	tests := []struct {
		query string
		doc   fakeDoc
		want  bool
	}{
		{`aws.cloudtrail.user_identity.*: Root`, fakeDoc{"aws.cloudtrail.user_identity.type": str("Root")}, true},
		{`aws.cloudtrail.user_identity.*: Root`, fakeDoc{"user.name": str("Root")}, false},
		{`*.name: alice`, fakeDoc{"user.name": str("alice")}, true},
		{`not aws.*: Root`, fakeDoc{"aws.cloudtrail.user_identity.arn": str("Root")}, false},
		{`not aws.*: Root`, fakeDoc{"event.action": str("Root")}, true},
		{`nomatch.*: x`, fakeDoc{"nomatch.a": str("x")}, false},
		{`nomatch.*: *`, fakeDoc{"nomatch.a": str("x")}, false},
		{`user.*: *`, fakeDoc{"user.name": str("x")}, true},
		{`*: *`, fakeDoc{}, true},
		{`*: Root`, fakeDoc{"aws.cloudtrail.user_identity.type": str("Root")}, true},
		{`"user.*": x`, fakeDoc{"user.*": str("x")}, true},
		{`*name: x`, fakeDoc{"user.name": str("x")}, true},
		{`user: { na*: x }`, fakeDoc{"user.name": str("x")}, true},
		{`event.* > "M"`, fakeDoc{"event.action": str("PutObject")}, true},
	}
	for _, tt := range tests {
		m, err := Compile(mustParse(t, tt.query))
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.query, err)
			continue
		}
		if got := m.Match(tt.doc); got != tt.want {
			t.Errorf("%q on %v = %v, want %v", tt.query, tt.doc, got, tt.want)
		}
	}
}

func mustParse(t testing.TB, q string) Node {
	t.Helper()
	n, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	return n
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		query string
		want  string
	}{
		{`foo`, `1:1: field-less term foo: name the field to search (field: value)`},
		{`a: b or "x y"`, `1:9: field-less term "x y": name the field to search (field: value)`},
		{"a: b and\n  not (c: d or e)", `2:16: field-less term e: name the field to search (field: value)`},
		{`a: { b }`, `1:6: field-less term b: name the field to search (field: value)`},
		{`source.ip: "10.0.0.0/33"`, `1:12: source.ip: invalid CIDR "10.0.0.0/33"`},
		{`@timestamp > now-1d`, `1:14: range on date field @timestamp: "now-1d" is not a timestamp`},
	}
	for _, tt := range tests {
		_, err := Compile(mustParse(t, tt.query))
		if err == nil {
			t.Errorf("Compile(%q) succeeded", tt.query)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Compile(%q) error\n got %s\nwant %s", tt.query, got, tt.want)
		}
	}
	if _, err := Compile(mustParse(t, `foo`)); !errors.Is(err, ErrFieldless) {
		t.Errorf("Compile(foo) error %v is not ErrFieldless", err)
	}
}

func TestFields(t *testing.T) {
	withFieldNames(t, "user.id", "user.name")
	tests := []struct {
		query string
		want  []string
	}{
		{``, nil},
		{seedQuery, []string{"data_stream.dataset", "event.provider", "event.action", "event.outcome"}},
		{`a: x or not (b: y and a: z) or c: *`, []string{"a", "b", "c"}},
		{`a: (x or y) and a > 3`, []string{"a"}},
		{`user.*: x and user.name: y`, []string{"user.id", "user.name"}},
		{`p: { q: x }`, []string{"p.q"}},
	}
	for _, tt := range tests {
		m, err := Compile(mustParse(t, tt.query))
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.query, err)
			continue
		}
		var got []string
		for _, f := range m.Fields() {
			got = append(got, f.Name)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Fields(%q) = %q, want %q", tt.query, got, tt.want)
		}
	}
}

func TestConstraint(t *testing.T) {
	withFieldNames(t, "event.action", "event.provider")
	type c = query.Constraint
	tests := []struct {
		query  string
		field  string
		want   query.Constraint
		wantOK bool
	}{
		{seedQuery, "event.action", c{Prefixes: []string{"CreateEventSourceMapping"}}, true},
		{seedQuery, "event.provider", c{Exact: []string{"lambda.amazonaws.com"}}, true},
		{seedQuery, "event.outcome", c{Exact: []string{"success"}}, true},
		{seedQuery, "user.name", c{}, false},
		{`event.action: (CreateUser or DeleteUser or Put*)`, "event.action", c{Exact: []string{"CreateUser", "DeleteUser"}, Prefixes: []string{"Put"}}, true},
		{`event.action: A or event.action: B`, "event.action", c{Exact: []string{"A", "B"}}, true},
		{`event.action: A or event.provider: B`, "event.action", c{}, false},
		{`event.action: A or event.action: A`, "event.action", c{Exact: []string{"A"}}, true},
		{`not event.action: A`, "event.action", c{}, false},
		{`event.action: (* and not A)`, "event.action", c{}, false},
		{`event.action: (A and not B)`, "event.action", c{Exact: []string{"A"}}, true},
		{`event.action: *Create*`, "event.action", c{}, false},
		{`event.action: Create*Mapping`, "event.action", c{Prefixes: []string{"Create"}}, true},
		{`event.action: *`, "event.action", c{}, false},
		{`event.action: "Put*"`, "event.action", c{Exact: []string{"Put*"}}, true},
		{`event.action: (A or B) and event.action: C`, "event.action", c{Exact: []string{"C"}}, true},
		{`event.action: true`, "event.action", c{}, false},
		{`event.action: 12`, "event.action", c{}, false},
		{`event.action > B`, "event.action", c{}, false},
		{`event.*: A`, "event.action", c{}, false},
		{`nothing.*: A`, "event.action", c{}, true},
		{`event: { action: A }`, "event.action", c{Exact: []string{"A"}}, true},
		{``, "event.action", c{}, false},
		{`(event.action: A and x: y) or (event.action: B* and not z: w)`, "event.action", c{Exact: []string{"A"}, Prefixes: []string{"B"}}, true},
	}
	for _, tt := range tests {
		m, err := Compile(mustParse(t, tt.query))
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.query, err)
			continue
		}
		got, ok := m.Constraint(tt.field)
		if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Constraint(%q, %s) = %+v, %v; want %+v, %v", tt.query, tt.field, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestConstraintSound checks on the match test cases that a document the
// query matches satisfies the constraints it reports.
func TestConstraintSound(t *testing.T) {
	for _, tt := range matchTests {
		m, err := Compile(mustParse(t, tt.query))
		if err != nil || !m.Match(tt.doc) {
			continue
		}
		for _, f := range m.Fields() {
			c, ok := m.Constraint(f.Name)
			if ok && !satisfies(tt.doc[f.Name], c) {
				t.Errorf("%s: %q matches %v but Constraint(%s) = %+v", tt.name, tt.query, tt.doc, f.Name, c)
			}
		}
	}
}

func satisfies(vs []ecs.Value, c query.Constraint) bool {
	for _, v := range vs {
		if c.Admits(v.S) {
			return true
		}
	}
	return false
}

func BenchmarkMatchSeed(b *testing.B) {
	m, err := Compile(mustParse(b, seedQuery))
	if err != nil {
		b.Fatal(err)
	}
	if !m.Match(seedDoc) {
		b.Fatal("seed query does not match the seed document")
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Match(seedDoc)
	}
}

func BenchmarkParseSeed(b *testing.B) {
	b.SetBytes(int64(len(seedQuery)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(seedQuery); err != nil {
			b.Fatal(err)
		}
	}
}
