package rule

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
)

const sigmaRule = `title: Trail stopped
id: 11111111-2222-3333-4444-555555555555
status: test
level: informational
tags:
    - attack.defense-evasion
    - attack.command-and-control
    - attack.t1562.008
    - attack.t1562
    - attack.g0016
    - cve.2021-1234
falsepositives: Maintenance windows
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: cloudtrail.amazonaws.com
        eventName:
            - StopLogging
            - 'Delete*'
    condition: selection
`

func TestParseSigma(t *testing.T) {
	rs, err := ParseSigma("x.yml", []byte(sigmaRule), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.ID != "11111111-2222-3333-4444-555555555555" || r.Source != SourceSigma || r.Severity != "low" || r.RiskScore != 21 ||
		r.Status != "test" || !r.Runnable() || r.Language != "sigma" || r.Path != "x.yml" {
		t.Errorf("rule %+v", r)
	}
	if got := strings.Join(r.Tactics(), ","); got != "Defense Evasion,Command and Control" {
		t.Errorf("tactics %s", got)
	}
	if got := strings.Join(r.Techniques(), ","); got != "T1562,T1562.008" {
		t.Errorf("techniques %s", got)
	}
	if len(r.FalsePositives) != 1 || r.FalsePositives[0] != "Maintenance windows" {
		t.Errorf("false positives %q", r.FalsePositives)
	}
	if _, err := ParseSigma("bad.yml", []byte("title: t\ndetection:\n  sel:\n    a: b\n  condition: sel and nope\n"), Options{}); err == nil || err.Line != 5 ||
		!strings.Contains(err.Error(), "bad.yml:5:14: sigma: condition") {
		t.Errorf("error %v", err)
	}
}

// TestSigmaSetIndex: the provider/action index admits every case variant a
// case-insensitive Sigma rule matches, and still prunes other records.
func TestSigmaSetIndex(t *testing.T) {
	rs, lerr := ParseSigma("x.yml", []byte(sigmaRule), Options{})
	if lerr != nil {
		t.Fatal(lerr)
	}
	set, err := NewSet(rs)
	if err != nil {
		t.Fatal(err)
	}
	rec := ecs.NewRecord(ecs.Options{})
	for _, tt := range []struct {
		provider, action string
		want             bool
	}{
		{"cloudtrail.amazonaws.com", "StopLogging", true},
		{"CloudTrail.amazonaws.com", "stoplogging", true},
		{"cloudtrail.amazonaws.com", "DELETETRAIL", true},
		{"cloudtrail.amazonaws.com", "StartLogging", false},
		{"iam.amazonaws.com", "StopLogging", false},
	} {
		raw := `{"eventSource":"` + tt.provider + `","eventName":"` + tt.action + `"}`
		if err := rec.Reset([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		got := len(set.Match(rec, tt.provider, tt.action, nil)) == 1
		if got != tt.want || set.CanMatch(tt.provider, tt.action) != tt.want {
			t.Errorf("%s %s: match %v, CanMatch %v; want %v", tt.provider, tt.action, got, set.CanMatch(tt.provider, tt.action), tt.want)
		}
	}
}

func TestSelectStatus(t *testing.T) {
	rs, _ := ParseSigma("x.yml", []byte(sigmaRule), Options{})
	other := &Rule{ID: "e", Source: SourceElastic}
	all := append(rs, other)
	got, err := SelectStatus(all, []string{"stable"})
	if err != nil || len(got) != 1 || got[0] != other {
		t.Errorf("stable: %v %v", got, err)
	}
	if got, _ := SelectStatus(all, []string{"Test"}); len(got) != 2 {
		t.Errorf("test: %d rules", len(got))
	}
	if _, err := SelectStatus(all, []string{"beta"}); err == nil {
		t.Error("beta accepted")
	}
}

// TestSigmaCorpusLoads: all 57 SigmaHQ CloudTrail rules load through Load
// and run.
func TestSigmaCorpusLoads(t *testing.T) {
	dir := gen.SharedDir(t, "rules", "sigma-aws")
	rules, errs := Load([]string{dir})
	if len(errs) > 0 {
		t.Fatalf("load errors: %v", errs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	run := 0
	for _, r := range rules {
		if r.Source != SourceSigma {
			t.Errorf("%s: source %s", r.Path, r.Source)
		}
		if r.Runnable() {
			run++
		}
	}
	if len(files) != 57 || len(rules) != 57 || run != 57 {
		t.Errorf("%d files, %d rules, %d runnable; want 57", len(files), len(rules), run)
	}
	if _, err := NewSet(rules); err != nil {
		t.Fatal(err)
	}
	ws := Lint(rules)
	if len(ws) != 2 {
		t.Errorf("lint: %v", ws)
	}
}

// TestSigmaYAMLErrorLine: a malformed Sigma file is reported at the 1-based
// line a reader sees the problem on; go.yaml.in/yaml/v3 reports parser
// errors one line early (the 0-based line where the enclosing collection
// starts) and accepts duplicate keys in a node tree.
func TestSigmaYAMLErrorLine(t *testing.T) {
	const head = "title: t\n" + // 1
		"id: x\n" + // 2
		"logsource:\n" + // 3
		"  product: aws\n" + // 4
		"  service: cloudtrail\n" + // 5
		"detection:\n" // 6
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unclosed flow sequence", head + "  sel: [a\n  condition: sel\n", 7, "did not find expected ',' or ']'"},
		{"unclosed nested flow sequence", head + "  sel:\n    eventName: [a, b\n  condition: sel\n", 8, "did not find expected ',' or ']'"},
		{"unclosed flow mapping", head + "  sel: {eventName: a\n  condition: sel\n", 7, "did not find expected ',' or '}'"},
		{"dedented key", head + "  sel:\n    eventName: a\n   bad: b\n  condition: sel\n", 9, "did not find expected key"},
		{"item in the top-level mapping", "title: t\nid: x\n- y\ndetection:\n  sel:\n    a: b\n  condition: sel\n", 3, "did not find expected key"},
		{"continued top-level value", "title: t\nid: x\n bad: y\ndetection:\n  sel:\n    a: b\n  condition: sel\n", 3, "mapping values are not allowed"},
		{"dedented list item", head + "  sel:\n    eventName:\n      - a\n     - b\n  condition: sel\n", 10, "did not find expected key"},
		{"over-indented key", head + "  sel:\n    eventName: a\n      bad: b\n  condition: sel\n", 9, "mapping values are not allowed"},
		{"tab indentation", head + "  sel:\n\teventName: a\n  condition: sel\n", 8, "found character that cannot start any token"},
		{"unclosed quote", head + "  sel:\n    eventName: 'a\n  condition: sel\n", 8, "found unexpected end of stream"},
		{"duplicate key", head + "  sel:\n    eventName: a\n    eventName: b\n  condition: sel\n", 9, `mapping key "eventName" already defined at line 8`},
		{"duplicate top-level key", head + "  sel:\n    eventName: a\n  condition: sel\ntitle: again\n", 10, `mapping key "title" already defined at line 1`},
		{"mapping for a list", "title: t\nid: x\ntags:\n  a: b\ndetection:\n  sel:\n    a: b\n  condition: sel\n", 4, "cannot unmarshal !!map into []string"},
		{"second document", head + "  sel:\n    eventName: a\n  condition: sel\n---\ntitle: u\ndetection:\n  sel: [a\n  condition: sel\n", 13, "did not find expected ',' or ']'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSigma("r.yml", []byte(tt.src), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if got, want := err.Line, tt.line; got != want {
				t.Errorf("line %d, want %d: %v", got, want, err)
			}
			if want := fmt.Sprintf("r.yml:%d:", tt.line); !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "sigma: yaml: "+tt.msg) {
				t.Errorf("error %q, want prefix %q and %q", err, want, tt.msg)
			}
		})
	}
}
