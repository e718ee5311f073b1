package rule

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/trailsweep/trailsweep/internal/sigma"
)

// Options configure loading.
type Options struct {
	// SigmaPlaceholders are the values of Sigma %name% placeholders
	// (|expand); nil makes every rule that uses them unsupported.
	SigmaPlaceholders map[string][]string
}

// isSigmaPath reports whether a file is loaded as Sigma YAML.
func isSigmaPath(path string) bool {
	return strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")
}

// ParseSigma parses a Sigma YAML file into rules (Source "sigma"), one per
// document. A rule that cannot run (another log source, a correlation
// rule, an unsupported modifier…) is returned with Supported false and the
// reason; the error is non-nil only when the file is broken.
func ParseSigma(path string, data []byte, opts Options) ([]*Rule, *LoadError) {
	srs, err := sigma.Parse(data, sigma.Options{Placeholders: opts.SigmaPlaceholders})
	if err != nil {
		le := &LoadError{Path: path, Msg: "sigma: " + err.Error(), Err: err}
		var se *sigma.Error
		if errors.As(err, &se) && se.Line > 0 {
			le.Line, le.Col, le.Msg = se.Line, se.Col, "sigma: "+se.Msg
		}
		return nil, le
	}
	// The placeholders' values are part of the definition: they change
	// what |expand matches.
	ph, _ := json.Marshal(opts.SigmaPlaceholders) // map keys sorted
	d := digest(data, ph)
	out := make([]*Rule, 0, len(srs))
	for _, sr := range srs {
		r := fromSigma(path, sr)
		r.Digest = d
		out = append(out, r)
	}
	return out, nil
}

// sigmaSeverity maps Sigma levels to severities; informational counts as
// low.
var sigmaSeverity = map[string]string{
	"informational": "low", "low": "low", "medium": "medium", "high": "high", "critical": "critical",
}

// sigmaRisk gives a risk score per severity, as Elastic's defaults do.
var sigmaRisk = map[string]int{"low": 21, "medium": 47, "high": 73, "critical": 99}

func fromSigma(path string, sr *sigma.Rule) *Rule {
	r := &Rule{
		ID:             sr.ID,
		Name:           sr.Title,
		Description:    sr.Description,
		Source:         SourceSigma,
		Type:           "query",
		Language:       "sigma",
		Tags:           sr.Tags,
		References:     sr.References,
		FalsePositives: sr.FalsePositives,
		Status:         sr.Status,
		Path:           path,
		Query:          strings.Join(sr.Conditions, " or "),
	}
	if r.ID == "" {
		r.ID = "sigma:" + path
	}
	r.Severity = sigmaSeverity[sr.Level]
	if r.Severity == "" {
		r.Severity = "medium"
	}
	r.RiskScore = sigmaRisk[r.Severity]
	r.Threats = sigmaThreats(sr.Tags)
	switch {
	case sr.Reason != "":
		r.Reason = sr.Reason
	case sr.Detection == nil:
		r.Reason = "no detection"
	default:
		r.m = sr.Detection
		r.Supported = true
	}
	if sr.Level != "" && sigmaSeverity[sr.Level] == "" && r.Supported {
		r.Supported, r.m = false, nil
		r.Reason = "level " + sr.Level + " is not informational, low, medium, high or critical"
	}
	return r
}

var (
	techniqueTag = regexp.MustCompile(`^t\d{4}(\.\d{3})?$`)
	otherTag     = regexp.MustCompile(`^[gs]\d{4}$`) // groups and software
)

// sigmaThreats reads ATT&CK tactics and techniques from attack.* tags,
// generically: attack.tNNNN[.NNN] is a technique (its parent technique is
// listed too), attack.gNNNN and attack.sNNNN are skipped, and any other
// attack.some-name is a tactic, named in title case ("privilege-escalation"
// → "Privilege Escalation", "command-and-control" → "Command and Control").
func sigmaThreats(tags []string) []Threat {
	var out []Threat
	var techs []Technique
	seen := map[string]bool{}
	for _, t := range tags {
		name, ok := strings.CutPrefix(strings.ToLower(t), "attack.")
		if !ok || name == "" {
			continue
		}
		switch {
		case techniqueTag.MatchString(name):
			id := strings.ToUpper(name)
			if parent, _, sub := strings.Cut(id, "."); sub && !seen[parent] {
				seen[parent] = true
				techs = append(techs, Technique{ID: parent})
			}
			if !seen[id] {
				seen[id] = true
				techs = append(techs, Technique{ID: id})
			}
		case otherTag.MatchString(name):
		default:
			out = append(out, Threat{Framework: "MITRE ATT&CK", Tactic: Tactic{Name: tacticName(name)}})
		}
	}
	if len(techs) > 0 {
		out = append(out, Threat{Framework: "MITRE ATT&CK", Techniques: techs})
	}
	return out
}

func tacticName(s string) string {
	words := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' })
	for i, w := range words {
		if i > 0 && (w == "and" || w == "of" || w == "the") {
			continue
		}
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// sigmaStatuses are the values --status accepts.
var sigmaStatuses = map[string]bool{"stable": true, "test": true, "experimental": true, "deprecated": true, "unsupported": true}

// SelectStatus keeps the Sigma rules whose status is one of statuses (and
// every rule of another source); no statuses keeps everything. An unknown
// status is an error.
func SelectStatus(rules []*Rule, statuses []string) ([]*Rule, error) {
	if len(statuses) == 0 {
		return rules, nil
	}
	want := map[string]bool{}
	for _, s := range statuses {
		s = strings.ToLower(strings.TrimSpace(s))
		if !sigmaStatuses[s] {
			return nil, errors.New("--status " + s + ": want stable, test, experimental, deprecated or unsupported")
		}
		want[s] = true
	}
	var out []*Rule
	for _, r := range rules {
		if r.Source != SourceSigma || want[r.Status] {
			out = append(out, r)
		}
	}
	return out, nil
}

// lintSigma warns about Sigma field conditions that can never match raw
// CloudTrail (see sigma.Lint).
func lintSigma(r *Rule) []Warning {
	d, ok := r.m.(*sigma.Detection)
	if !ok || r.Source != SourceSigma {
		return nil
	}
	var out []Warning
	for _, p := range sigma.Lint(d.Uses()) {
		out = append(out, Warning{RuleID: r.ID, RuleName: r.Name, Path: r.Path, Field: p.Field,
			Msg: fmt.Sprintf("line %d: %s: %s", p.Line, p.Field, p.Msg)})
	}
	return out
}
