package rule

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/query"
)

func TestLoadElasticCorpus(t *testing.T) {
	dir := gen.SharedDir(t, "rules", "elastic-aws")
	rules, errs := Load([]string{dir})
	for _, e := range errs {
		t.Errorf("load error: %v", e)
	}
	if got, want := len(rules), 203; got != want {
		t.Fatalf("loaded %d rules, want %d", got, want)
	}
	byType := map[string]int{}
	supported := 0
	for _, r := range rules {
		byType[r.Type]++
		if r.Source != SourceElastic {
			t.Errorf("%s: source %q, want elastic", r.Path, r.Source)
		}
		if r.Supported {
			supported++
			if r.Type == "machine_learning" || (r.Type == "esql" && strings.Contains(r.Query, ".alerts-security")) {
				t.Errorf("%s: supported but type %q language %q", r.Path, r.Type, r.Language)
			}
			if r.m == nil {
				t.Errorf("%s: supported without a compiled query", r.Path)
			}
			continue
		}
		if r.Reason == "" || strings.Contains(r.Reason, "\n") {
			t.Errorf("%s: unsupported %s rule with reason %q, want one non-empty line", r.Path, r.Type, r.Reason)
		}
	}
	// Every rule but the 5 machine-learning ones and the ES|QL rule that
	// correlates Kibana's alerts.
	if supported != 197 {
		t.Errorf("supported = %d, want 197", supported)
	}
	want := map[string]int{"query": 90, "new_terms": 49, "eql": 28, "esql": 26, "threshold": 5, "machine_learning": 5}
	if !reflect.DeepEqual(byType, want) {
		t.Errorf("counts by type = %v, want %v", byType, want)
	}
	// Spot-check the shapes that need care: new_terms, threshold, threats.
	for _, r := range rules {
		switch r.Type {
		case "new_terms":
			if len(r.NewTermsFields) == 0 || !strings.HasPrefix(r.HistoryWindowStart, "now-") {
				t.Errorf("%s: new_terms fields %q window %q", r.Path, r.NewTermsFields, r.HistoryWindowStart)
			}
		case "threshold":
			if r.Threshold == nil || len(r.Threshold.Fields) == 0 || r.Threshold.Value < 1 {
				t.Errorf("%s: threshold %+v", r.Path, r.Threshold)
			}
		}
		if r.Severity == "" || r.ID == "" || r.Name == "" {
			t.Errorf("%s: id %q name %q severity %q", r.Path, r.ID, r.Name, r.Severity)
		}
	}
}

func TestLoadBroken(t *testing.T) {
	dir := filepath.Join("testdata", "broken")
	rules, errs := Load([]string{dir})

	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
	}
	sort.Strings(names)
	wantNames := []string{"Good rule", "Nested good rule"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("loaded %q, want %q", names, wantNames)
	}

	byFile := map[string]*LoadError{}
	for _, e := range errs {
		byFile[filepath.Base(e.Path)] = e
	}
	tests := []struct {
		file      string
		line, col int    // want, 0 = unknown, col -1 = any known column
		contains  string // in Error()
	}{
		{file: "bad_toml.toml", line: 6, col: -1, contains: "bad_toml.toml:6:"},
		{file: "missing.toml", contains: "missing.toml: [rule] has no rule_id, no name, no query"},
		// The query starts on line 8 of the file; its error is on its line 2,
		// at the ")" in column 38.
		{file: "bad_query.toml", line: 9, col: 38, contains: `bad_query.toml:9:38: query 2:38: unexpected ")"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := byFile[tt.file]
			if e == nil {
				t.Fatalf("no error for %s; errors: %v", tt.file, errs)
			}
			if got, want := e.Path, filepath.Join(dir, tt.file); got != want {
				t.Errorf("Path = %q, want %q", got, want)
			}
			if e.Line != tt.line || e.Col != tt.col && !(tt.col == -1 && e.Col > 0) {
				t.Errorf("position %d:%d, want %d:%d (%v)", e.Line, e.Col, tt.line, tt.col, e)
			}
			if got := e.Error(); !strings.Contains(got, tt.contains) {
				t.Errorf("Error() = %q, want it to contain %q", got, tt.contains)
			}
		})
	}
	if e := byFile["bad_toml.toml"]; e != nil {
		if !strings.Contains(e.Msg, "toml: strings cannot contain newlines") {
			t.Errorf("bad_toml.toml: message %q does not give the TOML error", e.Msg)
		}
		var pe toml.ParseError
		if !errors.As(e, &pe) {
			t.Errorf("bad_toml.toml: cause %T is not a toml.ParseError", e.Err)
		}
	}
	if e := byFile["bad_query.toml"]; e != nil {
		var pe *query.SyntaxError
		if !errors.As(e, &pe) {
			t.Errorf("bad_query.toml: cause %T is not a *query.SyntaxError", e.Err)
		}
	}
	if n := len(errs); n != 3 {
		t.Errorf("%d errors: %v", n, errs)
	}
}

func TestLoadMissingPath(t *testing.T) {
	rules, errs := Load([]string{filepath.Join("testdata", "no-such-dir"), filepath.Join("testdata", "types", "ml.toml")})
	if len(rules) != 1 || rules[0].Name != "ML rule" {
		t.Errorf("rules = %v, want the ML rule only", rules)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "no-such-dir") || !errors.Is(errs[0], os.ErrNotExist) {
		t.Errorf("errs = %v, want one not-exist error naming the path", errs)
	}
}

func TestParseTypes(t *testing.T) {
	tests := []struct {
		file      string
		supported bool
		language  string
		reason    string // substring
	}{
		{"query.toml", true, "kuery", ""},
		{"new_terms.toml", true, "kuery", ""},
		{"threshold.toml", true, "kuery", ""},
		{"threshold_string_field.toml", true, "kuery", ""},
		{"ml.toml", false, "", "anomaly-detection jobs"},
		{"esql.toml", true, "esql", ""},
		{"esql_alerts.toml", false, "esql", "correlates other rules' alerts"},
		{"esql_bad.toml", false, "esql", "esql: function LEVENSHTEIN: not supported"},
		{"lucene.toml", false, "lucene", `language "lucene"`},
		{"indicator.toml", false, "kuery", "threat_match"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "types", tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r, lerr := Parse(path, data, SourceElastic)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if r.Supported != tt.supported || r.Language != tt.language {
				t.Errorf("supported %v language %q, want %v %q", r.Supported, r.Language, tt.supported, tt.language)
			}
			if tt.supported != (r.Reason == "") {
				t.Errorf("reason %q for supported=%v", r.Reason, r.Supported)
			}
			if !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", r.Reason, tt.reason)
			}
			if r.Path != path || r.Source != SourceElastic {
				t.Errorf("path %q source %q", r.Path, r.Source)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	path := filepath.Join("testdata", "types", "new_terms.toml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, lerr := Parse(path, data, SourceElastic)
	if lerr != nil {
		t.Fatal(lerr)
	}
	got := *r
	got.m, got.agg = nil, nil
	got.Threats = nil
	want := Rule{
		ID:                  "22222222-0000-4000-8000-000000000001",
		Name:                "New terms rule",
		Description:         "Padded description.",
		Source:              "elastic",
		Type:                "new_terms",
		Language:            "kuery",
		Query:               "event.provider: \"s3.amazonaws.com\" and event.action: \"PutBucketAcl\"\n",
		Severity:            "medium",
		RiskScore:           47,
		Index:               []string{"logs-aws.cloudtrail-*", "filebeat-*"},
		From:                "now-6m",
		Interval:            "5m",
		TimestampOverride:   "event.ingested",
		NewTermsFields:      []string{"aws.cloudtrail.user_identity.arn", "source.ip"},
		HistoryWindowStart:  "now-7d",
		InvestigationFields: []string{"user.name", "source.ip"},
		FalsePositives:      []string{"Two lines of text.", "Second."},
		Tags:                []string{"Tactic: Collection"},
		References:          []string{"https://example.com/a"},
		Note:                "Note.",
		Path:                path,
		Supported:           true,
	}
	if len(got.Digest) != 64 {
		t.Errorf("Digest %q, want a hex SHA-256 of the file", got.Digest)
	}
	got.Digest = ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\ngot  %+v\nwant %+v", got, want)
	}
	if got, want := r.Tactics(), []string{"Collection", "Exfiltration"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Tactics() = %q, want %q", got, want)
	}
	if got, want := r.Techniques(), []string{"T1530", "T1537", "T1537.001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Techniques() = %q, want %q", got, want)
	}
	if got, want := r.Threats[0].Techniques[0].Reference, "https://attack.mitre.org/techniques/T1530/"; got != want {
		t.Errorf("technique reference %q, want %q", got, want)
	}
	if got, want := r.Threats[0].Tactic, (Tactic{"TA0009", "Collection", "https://attack.mitre.org/tactics/TA0009/"}); got != want {
		t.Errorf("tactic %+v, want %+v", got, want)
	}

	th, lerr := Parse("t.toml", mustRead(t, filepath.Join("testdata", "types", "threshold.toml")), SourceElastic)
	if lerr != nil {
		t.Fatal(lerr)
	}
	wantTh := &Threshold{Fields: []string{"user.id", "cloud.account.id"}, Value: 1,
		Cardinality: []Cardinality{{Field: "aws.cloudtrail.request_parameters", Value: 20}}}
	if !reflect.DeepEqual(th.Threshold, wantTh) {
		t.Errorf("threshold %+v, want %+v", th.Threshold, wantTh)
	}
	th2, lerr := Parse("t2.toml", mustRead(t, filepath.Join("testdata", "types", "threshold_string_field.toml")), SourceElastic)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if got, want := th2.Threshold.Fields, []string{"source.ip"}; !reflect.DeepEqual(got, want) || th2.EventCategoryOverride != "event.type" {
		t.Errorf("threshold fields %q override %q", got, th2.EventCategoryOverride)
	}
}

func TestParseBadSeverity(t *testing.T) {
	data := []byte("[rule]\nrule_id = \"x\"\nname = \"n\"\ntype = \"query\"\nseverity = \"urgent\"\nquery = \"a: b\"\n")
	_, err := Parse("s.toml", data, SourceElastic)
	if err == nil || !strings.Contains(err.Error(), `s.toml: severity "urgent"`) {
		t.Errorf("err = %v, want a severity error", err)
	}
}

func TestQueryPos(t *testing.T) {
	tests := []struct {
		name, data, query string
		qline, qcol       int
		line, col         int
	}{
		{"multiline literal", "a = 1\nquery = '''\nx: y\n  and (\n'''\n", "x: y\n  and (\n", 2, 7, 4, 7},
		{"multiline literal line 1", "a = 1\nquery = '''\nx: y\n'''\n", "x: y\n", 1, 4, 3, 4},
		{"single-line literal", "a = 1\nquery = 'x: (y'\n", "x: (y", 1, 4, 2, 13},
		{"single-line basic", "query = \"x: (y\"\n", "x: (y", 1, 1, 1, 10},
		// Columns count characters, in the file as in the query.
		{"non-ASCII before the query", "é = 1\n# é\nqueré = 'x: \"é\" (y'\n", "x: \"é\" (y", 1, 8, 3, 17},
		{"text right after delimiter", "query = '''x:\n(y'''\n", "x:\n(y", 2, 1, 2, 1},
		{"escaped, not found", "query = \"x: \\\"y\"\n", "x: \"y", 1, 1, 0, 0},
		{"no position", "query = 'x'\n", "x", 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col := queryPos(tt.data, tt.query, tt.qline, tt.qcol)
			if line != tt.line || col != tt.col {
				t.Errorf("queryPos = %d:%d, want %d:%d", line, col, tt.line, tt.col)
			}
		})
	}
}

func TestLoadErrorFormat(t *testing.T) {
	tests := []struct {
		e    *LoadError
		want string
	}{
		{&LoadError{Path: "rules/x.toml", Msg: `query 1:57: unexpected ")"`}, `rules/x.toml: query 1:57: unexpected ")"`},
		{&LoadError{Path: "rules/x.toml", Line: 12, Col: 3, Msg: "toml: expected value"}, "rules/x.toml:12:3: toml: expected value"},
		{&LoadError{Path: "rules/x.yml", Line: 7, Msg: "sigma: yaml: did not find expected ',' or ']'"}, "rules/x.yml:7: sigma: yaml: did not find expected ',' or ']'"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestLoadOrder: files are parsed in parallel, yet rules and errors come
// back in the order the files were found (paths in the order given,
// folders walked lexically), the same as loading each file on its own in
// that order, and a file reached twice is loaded once.
func TestLoadOrder(t *testing.T) {
	dir := t.TempDir()
	var want []string // the files in the order Load must follow
	builtin, err := filepath.Glob(filepath.Join("builtin", "*.toml"))
	if err != nil || len(builtin) == 0 {
		t.Fatalf("no built-in rules to copy: %v", err)
	}
	for i := range 60 {
		data, err := os.ReadFile(builtin[i%len(builtin)])
		if err != nil {
			t.Fatal(err)
		}
		// Another rule ID per copy; every seventh file is broken TOML.
		data = []byte(strings.Replace(string(data), "rule_id = \"", fmt.Sprintf("rule_id = \"%03d-", i), 1))
		if i%7 == 3 {
			data = append(data, "\nbroken = \"\n"...)
		}
		sub := filepath.Join(dir, fmt.Sprintf("d%d", i%3))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(sub, fmt.Sprintf("r%02d.toml", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for d := range 3 {
		files, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("d%d", d), "*.toml"))
		sort.Strings(files)
		want = append(want, files...)
	}
	// d2 first, then the whole tree: d2's files are loaded once, first.
	first := filepath.Join(dir, "d2")
	var order []string
	for _, p := range want {
		if filepath.Dir(p) == first {
			order = append(order, p)
		}
	}
	for _, p := range want {
		if filepath.Dir(p) != first {
			order = append(order, p)
		}
	}

	var wantRules, wantErrs []string
	for _, p := range order {
		rs, errs := Load([]string{p})
		for _, r := range rs {
			wantRules = append(wantRules, r.Path+" "+r.ID)
		}
		for _, e := range errs {
			wantErrs = append(wantErrs, e.Error())
		}
	}
	if len(wantErrs) == 0 || len(wantRules) == 0 {
		t.Fatalf("the tree should give rules and errors: %d rules, %d errors", len(wantRules), len(wantErrs))
	}
	for range 5 {
		rs, errs := Load([]string{first, dir})
		var gotRules, gotErrs []string
		for _, r := range rs {
			gotRules = append(gotRules, r.Path+" "+r.ID)
		}
		for _, e := range errs {
			gotErrs = append(gotErrs, e.Error())
		}
		if !reflect.DeepEqual(gotRules, wantRules) {
			t.Fatalf("rules in another order:\n got %q\nwant %q", gotRules, wantRules)
		}
		if !reflect.DeepEqual(gotErrs, wantErrs) {
			t.Fatalf("errors in another order:\n got %q\nwant %q", gotErrs, wantErrs)
		}
	}
}
