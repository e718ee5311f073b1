package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/query"
	"github.com/trailsweep/trailsweep/reader"
)

// matchCase is one testdata/match/*.yml file: a rule, records it must
// match and near-misses it must not.
type matchCase struct {
	Rule    string   `yaml:"rule"`
	Match   []string `yaml:"match"`
	NoMatch []string `yaml:"nomatch"`
}

var testPlaceholders = map[string][]string{"admin_ips": {"192.0.2.10", "198.51.100.*"}}

// TestMatch runs every modifier and condition form of testdata/match.
func TestMatch(t *testing.T) {
	files, err := filepath.Glob("testdata/match/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c matchCase
			if err := yaml.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Match) == 0 || len(c.NoMatch) == 0 {
				t.Fatal("a case needs positives and near-misses")
			}
			rs, err := Parse([]byte(c.Rule), Options{Placeholders: testPlaceholders})
			if err != nil {
				t.Fatal(err)
			}
			r := rs[0]
			if r.Reason != "" || r.Detection == nil {
				t.Fatalf("rule does not run: %s", r.Reason)
			}
			rec, lazy := ecs.NewRecord(ecs.Options{}), ecs.NewRecord(ecs.Options{})
			for _, want := range []bool{true, false} {
				recs := c.Match
				if !want {
					recs = c.NoMatch
				}
				for _, raw := range recs {
					if err := rec.Reset([]byte(raw)); err != nil {
						t.Fatalf("%s: %v", raw, err)
					}
					if got := r.Detection.Match(rec); got != want {
						t.Errorf("Match(%s) = %v, want %v", raw, got, want)
					}
					// Read member by member, as the scanner reads it.
					d, err := reader.NewDecoder(strings.NewReader(`{"Records":[`+raw+`]}`), reader.DecodeOptions{})
					if err != nil {
						t.Fatal(err)
					}
					split, err := d.Next()
					if err != nil {
						t.Fatalf("split %s: %v", raw, err)
					}
					if err := lazy.ResetMembers(split, d.Index()); err != nil {
						t.Fatalf("ResetMembers(%s): %v", raw, err)
					}
					if got := r.Detection.Match(lazy); got != want {
						t.Errorf("Match(%s) read member by member = %v, want %v", raw, got, want)
					}
					if want {
						checkConstraint(t, r.Detection, rec, raw)
					}
				}
			}
		})
	}
}

// checkConstraint asserts that the index constraints admit a record the
// detection matches.
func checkConstraint(t *testing.T, d *Detection, rec *ecs.Record, raw string) {
	t.Helper()
	for field, key := range ecsRaw {
		c, ok := d.FoldConstraint(field)
		if !ok {
			continue
		}
		v := strings.ToLower(rec.Str(key...))
		admitted := false
		for _, e := range c.Exact {
			admitted = admitted || strings.ToLower(e) == v
		}
		for _, p := range c.Prefixes {
			admitted = admitted || strings.HasPrefix(v, strings.ToLower(p))
		}
		if !admitted {
			t.Errorf("%s: %s constraint %+v excludes a matching record", raw, field, c)
		}
	}
}

func TestFoldConstraint(t *testing.T) {
	tests := []struct {
		det        string
		field      string
		ok         bool
		exact, pre []string
	}{
		{"sel:\n    eventSource: iam.amazonaws.com\n    eventName: [CreateUser, 'Delete*']\n  condition: sel", "event.action", true, []string{"", "CreateUser"}, []string{"Delete"}},
		{"sel:\n    eventSource: iam.amazonaws.com\n  condition: sel", "event.provider", true, []string{"", "iam.amazonaws.com"}, nil},
		{"sel:\n    eventName|contains: User\n  condition: sel", "event.action", false, nil, nil},
		{"sel:\n    eventName: X\n  condition: not sel", "event.action", false, nil, nil},
		{"a:\n    eventName: X\n  b:\n    eventName: Y\n  condition: a or b", "event.action", true, []string{"", "X", "Y"}, nil},
		// query.And: the tightest term, not the first.
		{"a:\n    eventName: [X, Y]\n  b:\n    eventName: Z\n  condition: a and b", "event.action", true, []string{"", "Z"}, nil},
		{"a:\n    eventName: X\n  b:\n    awsRegion: Y\n  condition: a or b", "event.action", false, nil, nil},
		{"a:\n    eventName: X\n  condition: a", "user.name", false, nil, nil},
		{"a:\n    userIdentity.type: Root\n  condition: a", "aws.cloudtrail.user_identity.type", true, []string{"", "Root"}, nil},
		{"a:\n    userIdentity.type: Root\n  b:\n    eventType: AwsServiceEvent\n  condition: a and not b", "aws.cloudtrail.user_identity.type", true, []string{"", "Root"}, nil},
		{"a:\n    userIdentity: Root\n  condition: a", "aws.cloudtrail.user_identity.type", false, nil, nil},
		{"a:\n    userIdentity.type.x: Root\n  condition: a", "aws.cloudtrail.user_identity.type", false, nil, nil},
		{"a:\n    type: Root\n  condition: a", "aws.cloudtrail.user_identity.type", false, nil, nil},
	}
	for _, tt := range tests {
		src := "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  " + tt.det + "\n"
		rs, err := Parse([]byte(src), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tt.det, err)
		}
		c, ok := rs[0].Detection.FoldConstraint(tt.field)
		if ok != tt.ok || !equal(c.Exact, tt.exact) || !equal(c.Prefixes, tt.pre) {
			t.Errorf("%q FoldConstraint(%s) = %+v, %v; want exact %q prefixes %q, %v", tt.det, tt.field, c, ok, tt.exact, tt.pre, tt.ok)
		}
		if _, ok := rs[0].Detection.Constraint(tt.field); ok {
			t.Errorf("Constraint must never constrain (matching is case-insensitive)")
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMatchNeedsRawDoc: a document without raw access never matches.
func TestMatchNeedsRawDoc(t *testing.T) {
	rs, err := Parse([]byte("title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|exists: false\n  condition: sel\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var d query.Doc = fakeDoc{}
	if rs[0].Detection.Match(d) {
		t.Error("matched a document without raw access")
	}
}

type fakeDoc struct{}

func (fakeDoc) Values(ecs.Field) []ecs.Value { return nil }

func TestUnsupportedAndNotApplicable(t *testing.T) {
	tests := []struct{ name, src, reason string }{
		{"logsource", "title: t\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    Image: x\n  condition: sel\n", `not applicable: logsource is product "windows", service "", not aws/cloudtrail`},
		{"correlation", "title: t\nname: c\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n", "Sigma correlation rules (type event_count) aggregate over other rules' matches; not supported"},
		{"aggregation", "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: X\n  condition: sel | count() > 5\n", "aggregation"},
		{"expand without file", "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    sourceIPAddress|expand: '%vpn%'\n  condition: sel\n", "placeholder %vpn% (expand) has no values; give them with --sigma-placeholders FILE"},
		{"unknown modifier", "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|sounds_like: X\n  condition: sel\n", `modifier "sounds_like" is not a Sigma modifier trailsweep knows`},
		{"pcre", "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|re: '(?=x)'\n  condition: sel\n", "regular expression"},
		{"collection", "action: global\ntitle: t\nlogsource: {product: aws, service: cloudtrail}\n---\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n", "multi-document rule collections"},
	}
	for _, tt := range tests {
		rs, err := Parse([]byte(tt.src), Options{})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		for _, r := range rs {
			if r.Detection != nil || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("%s: reason %q, detection %v; want %q", tt.name, r.Reason, r.Detection != nil, tt.reason)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"yaml", "title: [\n", "yaml:"},
		{"no detection", "title: t\nlogsource: {product: aws}\n", "line 1: rule has no detection"},
		{"no condition", "title: t\ndetection:\n  sel:\n    a: b\n", "line 3: detection has no condition"},
		{"undefined search", "title: t\ndetection:\n  sel:\n    a: b\n  condition: sel and other\n", `line 5: condition: "other" is not a search of the detection`},
		{"bad condition", "title: t\ndetection:\n  sel:\n    a: b\n  condition: sel and )\n", `line 5: condition 1:9: unexpected ")"`},
		{"pattern matches nothing", "title: t\ndetection:\n  sel:\n    a: b\n  condition: 1 of filter*\n", "1 of filter* matches no search"},
		{"bad cidr", "title: t\ndetection:\n  sel:\n    ip|cidr: 10.0.0.0/33\n  condition: sel\n", `line 4: search sel, ip|cidr: cidr "10.0.0.0/33"`},
		{"bad number", "title: t\ndetection:\n  sel:\n    n|gt: lots\n  condition: sel\n", `gt needs a number`},
		{"exists value", "title: t\ndetection:\n  sel:\n    n|exists: maybe\n  condition: sel\n", `exists takes true or false`},
		{"i without re", "title: t\ndetection:\n  sel:\n    n|i: x\n  condition: sel\n", `modifier "i" only follows re`},
		{"not a mapping", "- a\n", "a Sigma document is a mapping"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.src), Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestConditionRoundTrip(t *testing.T) {
	conds := []string{
		"selection",
		"selection and not filter",
		"a or b and c",
		"(a or b) and c",
		"not (a and b)",
		"not not a",
		"1 of selection_*",
		"all of them",
		"1 of them",
		"all of sel_* and not 1 of filter_main_*",
		"selection_event_source and 1 of selection_action_* and 1 of selection_status_*",
		"((a))",
	}
	for _, c := range conds {
		x, err := ParseCondition(c)
		if err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		s := x.String()
		y, err := ParseCondition(s)
		if err != nil {
			t.Fatalf("%q printed as %q: %v", c, s, err)
		}
		if s != c || y.String() != s {
			t.Errorf("%q printed as %q, reparsed as %q", c, s, y.String())
		}
	}
	// Precedence: and binds tighter than or; not tighter than and.
	x, _ := ParseCondition("a or b and not c")
	if _, ok := x.(Or); !ok {
		t.Errorf("a or b and not c parsed as %T", x)
	}
	if o := x.(Or); o.R.(And).R.(Not).X.(Ident).Name != "c" {
		t.Errorf("wrong tree %#v", x)
	}
	if x, _ := ParseCondition("any of sel*"); x.String() != "1 of sel*" {
		t.Errorf("any of: %v", x)
	}
}

func TestConditionErrors(t *testing.T) {
	tests := []struct {
		cond      string
		line, col int
		want      string
		cause     error
	}{
		{"", 1, 1, "1:1: unexpected end of condition", nil},
		{"a and", 1, 6, "1:6: unexpected end of condition", nil},
		{"(a", 1, 3, "1:3: unclosed (", nil},
		{"a b", 1, 3, `1:3: unexpected "b" near "b"`, nil},
		{"1 selection", 1, 3, `1:3: "1" must be followed by "of" near "selection"`, nil},
		{"a | count() > 5", 1, 3, "1:3: aggregation", ErrAggregation},
		{"a & b", 1, 3, `1:3: unexpected character "&" near "& b"`, nil},
		{"sel and\n  not )", 2, 7, `2:7: unexpected ")" near ")"`, nil},
		{strings.Repeat("not ", 200) + "a", 1, 4*query.MaxDepth + 1, "nested too deeply (more than 100 levels)", query.ErrTooDeep},
		{strings.Repeat("(", 101) + "a" + strings.Repeat(")", 101), 1, query.MaxDepth + 1, "nested too deeply", query.ErrTooDeep},
	}
	for _, tt := range tests {
		_, err := ParseCondition(tt.cond)
		var se *query.SyntaxError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) || se.Line != tt.line || se.Col != tt.col {
			t.Errorf("%.20q: %v, want %d:%d %q", tt.cond, err, tt.line, tt.col, tt.want)
			continue
		}
		if tt.cause != nil && !errors.Is(err, tt.cause) {
			t.Errorf("%.20q: %v does not wrap %v", tt.cond, err, tt.cause)
		}
	}
	for _, c := range []string{strings.Repeat("not ", query.MaxDepth) + "a", strings.Repeat("(", query.MaxDepth) + "a" + strings.Repeat(")", query.MaxDepth)} {
		if _, err := ParseCondition(c); err != nil {
			t.Errorf("%d levels: %v", query.MaxDepth, err)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	ph, err := ParsePlaceholders([]byte("admins: [alice, bob]\nvpn: 10.0.0.1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !equal(ph["admins"], []string{"alice", "bob"}) || !equal(ph["vpn"], []string{"10.0.0.1"}) {
		t.Errorf("got %v", ph)
	}
	if _, err := ParsePlaceholders([]byte("a: {b: c}\n")); err == nil {
		t.Error("a mapping value was accepted")
	}
}

// TestCorpus loads SigmaHQ's CloudTrail rules: every one must compile and
// run.
func TestCorpus(t *testing.T) {
	dir := gen.SharedDir(t, "rules", "sigma-aws")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	if len(files) == 0 {
		t.Fatalf("no rule in %s", dir)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Parse(data, Options{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, r := range rs {
			n++
			if r.Reason != "" || r.Detection == nil {
				t.Errorf("%s: does not run: %s", f, r.Reason)
			}
			for _, c := range r.Detection.Conditions() {
				if y, err := ParseCondition(c.String()); err != nil || y.String() != c.String() {
					t.Errorf("%s: condition %q does not round-trip", f, c)
				}
			}
		}
	}
	if n != 57 {
		t.Errorf("%d rules, want 57", n)
	}
}
