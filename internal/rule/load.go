package rule

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/trailsweep/trailsweep/internal/kql"
	"github.com/trailsweep/trailsweep/internal/query"
)

// LoadError is a rule file that could not be loaded: bad TOML, a missing
// required key, or a query that does not parse. Line and Col are the 1-based
// position in the file, 0 when unknown.
type LoadError struct {
	Path      string
	Line, Col int
	Msg       string
	Err       error // the cause (a toml.ParseError, a *query.SyntaxError…), may be nil
}

// Error returns "path:line:col: msg", "path:line: msg" when only the line is
// known, or "path: msg" when the position in the file is unknown. A query error reads
// `rules/x.toml:85:9: query 1:5: unexpected ")"`: the file position first,
// then the position inside the query.
func (e *LoadError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Unwrap returns the cause.
func (e *LoadError) Unwrap() error { return e.Err }

// Load loads Elastic TOML rules (Source "elastic") and Sigma YAML rules
// (Source "sigma", files ending in .yml or .yaml) from files and
// directories; a directory is walked recursively for *.toml, *.yml and
// *.yaml files, in lexical order. A named file is loaded as Sigma when its
// name ends in .yml or .yaml, as Elastic TOML otherwise.
//
// A file reached by several paths (a folder given twice, a file and its
// folder, a link) is loaded once. Every file that loads is returned, runnable or not; every file that does
// not is reported as a *LoadError and the others still load. Whether any
// error is fatal is the caller's decision.
func Load(paths []string) ([]*Rule, []*LoadError) { return LoadWith(paths, Options{}) }

// LoadWith is Load with options.
func LoadWith(paths []string, opts Options) ([]*Rule, []*LoadError) {
	// The files are found in order, then parsed in parallel (parsing the
	// TOML of a corpus is most of a scan's start-up), and their rules and
	// errors gathered in the order found.
	var jobs []loadJob
	loaded := map[string]bool{} // each file once, however many paths reach it
	addFile := func(path string) {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			if real, err = filepath.Abs(real); err == nil {
				if loaded[real] {
					return
				}
				loaded[real] = true
			}
		}
		jobs = append(jobs, loadJob{path: path})
	}
	fail := func(path string, err error) {
		jobs = append(jobs, loadJob{errs: []*LoadError{{Path: path, Msg: err.Error(), Err: err}}})
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			fail(p, err)
			continue
		}
		if !fi.IsDir() {
			addFile(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				fail(path, err)
				return nil
			}
			if !d.IsDir() && (strings.HasSuffix(d.Name(), ".toml") || isSigmaPath(d.Name())) {
				addFile(path)
			}
			return nil
		})
		if err != nil {
			fail(p, err)
		}
	}

	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				if jobs[i].path != "" {
					jobs[i].load(opts)
				}
			}
		})
	}
	wg.Wait()

	var (
		rules []*Rule
		errs  []*LoadError
	)
	for _, j := range jobs {
		rules = append(rules, j.rules...)
		errs = append(errs, j.errs...)
	}
	return rules, errs
}

// loadJob is one file for LoadWith to parse, or an error met finding the
// files (path empty).
type loadJob struct {
	path  string
	rules []*Rule
	errs  []*LoadError
}

// load reads and parses j's file into j.rules or j.errs.
func (j *loadJob) load(opts Options) {
	data, err := os.ReadFile(j.path)
	if err != nil {
		j.errs = []*LoadError{{Path: j.path, Msg: err.Error(), Err: err}}
		return
	}
	if isSigmaPath(j.path) {
		rs, lerr := ParseSigma(j.path, data, opts)
		if lerr != nil {
			j.errs = []*LoadError{lerr}
			return
		}
		j.rules = rs
		return
	}
	r, lerr := Parse(j.path, data, SourceElastic)
	if lerr != nil {
		j.errs = []*LoadError{lerr}
		return
	}
	j.rules = []*Rule{r}
}

// file is the shape of an Elastic detection-rules TOML file, as far as
// trailsweep reads it.
type file struct {
	Metadata map[string]any `toml:"metadata"`
	Rule     struct {
		RuleID                string   `toml:"rule_id"`
		Name                  string   `toml:"name"`
		Description           string   `toml:"description"`
		Type                  string   `toml:"type"`
		Language              string   `toml:"language"`
		Query                 *string  `toml:"query"`
		Severity              string   `toml:"severity"`
		RiskScore             int      `toml:"risk_score"`
		Index                 []string `toml:"index"`
		From                  string   `toml:"from"`
		Interval              string   `toml:"interval"`
		TimestampOverride     string   `toml:"timestamp_override"`
		EventCategoryOverride string   `toml:"event_category_override"`
		FalsePositives        []string `toml:"false_positives"`
		Note                  string   `toml:"note"`
		Tags                  []string `toml:"tags"`
		References            []string `toml:"references"`
		NewTerms              *struct {
			Field              string  `toml:"field"`
			Value              strList `toml:"value"`
			HistoryWindowStart []struct {
				Field string `toml:"field"`
				Value string `toml:"value"`
			} `toml:"history_window_start"`
		} `toml:"new_terms"`
		Threshold *struct {
			Field       strList `toml:"field"`
			Value       int     `toml:"value"`
			Cardinality []struct {
				Field string `toml:"field"`
				Value int    `toml:"value"`
			} `toml:"cardinality"`
		} `toml:"threshold"`
		Threat []struct {
			Framework string     `toml:"framework"`
			Tactic    attackItem `toml:"tactic"`
			Technique []struct {
				attackItem
				Subtechnique []attackItem `toml:"subtechnique"`
			} `toml:"technique"`
		} `toml:"threat"`
		InvestigationFields struct {
			FieldNames []string `toml:"field_names"`
		} `toml:"investigation_fields"`
	} `toml:"rule"`
}

type attackItem struct {
	ID        string `toml:"id"`
	Name      string `toml:"name"`
	Reference string `toml:"reference"`
}

// strList is a TOML value that may be written as one string or a list of
// strings (threshold.field is a list in current rules, a string in old ones).
type strList []string

// UnmarshalTOML implements toml.Unmarshaler.
func (s *strList) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*s = strList{v}
	case []any:
		out := make(strList, 0, len(v))
		for _, e := range v {
			str, ok := e.(string)
			if !ok {
				return fmt.Errorf("want a list of strings, have a %T in it", e)
			}
			out = append(out, str)
		}
		*s = out
	default:
		return fmt.Errorf("want a string or a list of strings, have %T", v)
	}
	return nil
}

// Parse parses one rule file in Elastic's TOML format. path names it in
// errors and in Rule.Path; source becomes Rule.Source. A KQL query is parsed
// and compiled here, for every rule type, so a broken query is reported at
// load. The rule is returned even when it cannot run (Supported false, with
// a Reason); the error is non-nil only when the file is broken.
func Parse(path string, data []byte, source string) (*Rule, *LoadError) {
	var f file
	if _, err := toml.Decode(string(data), &f); err != nil {
		le := &LoadError{Path: path, Msg: "toml: " + err.Error(), Err: err}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			le.Line, le.Col = pe.Position.Line, pe.Position.Col
			le.Msg = "toml: " + pe.Message
		}
		return nil, le
	}
	fr := &f.Rule
	var missing []string
	if fr.RuleID == "" {
		missing = append(missing, "rule_id")
	}
	if fr.Name == "" {
		missing = append(missing, "name")
	}
	if fr.Type == "" {
		missing = append(missing, "type")
	}
	if fr.Type != "machine_learning" && (fr.Query == nil || strings.TrimSpace(*fr.Query) == "") {
		missing = append(missing, "query")
	}
	if len(missing) > 0 {
		return nil, &LoadError{Path: path, Msg: "[rule] has no " + strings.Join(missing, ", no ")}
	}
	sev := strings.ToLower(fr.Severity)
	switch sev {
	case "low", "medium", "high", "critical":
	default:
		return nil, &LoadError{Path: path, Msg: fmt.Sprintf("severity %q is not low, medium, high or critical", fr.Severity)}
	}

	r := &Rule{
		ID:                    fr.RuleID,
		Name:                  fr.Name,
		Description:           strings.TrimSpace(fr.Description),
		Source:                source,
		Type:                  fr.Type,
		Language:              fr.Language,
		Severity:              sev,
		RiskScore:             fr.RiskScore,
		Index:                 fr.Index,
		From:                  fr.From,
		Interval:              fr.Interval,
		TimestampOverride:     fr.TimestampOverride,
		EventCategoryOverride: fr.EventCategoryOverride,
		InvestigationFields:   fr.InvestigationFields.FieldNames,
		Tags:                  fr.Tags,
		References:            fr.References,
		Note:                  strings.TrimSpace(fr.Note),
		Path:                  path,
		Digest:                digest(data),
	}
	if fr.Query != nil {
		r.Query = *fr.Query
	}
	for _, fp := range fr.FalsePositives {
		r.FalsePositives = append(r.FalsePositives, collapse(fp))
	}
	// Elastic's default language for query-based rule types is kuery.
	if r.Language == "" && (r.Type == "query" || r.Type == "new_terms" || r.Type == "threshold") {
		r.Language = "kuery"
	}
	if nt := fr.NewTerms; nt != nil {
		r.NewTermsFields = nt.Value
		for _, h := range nt.HistoryWindowStart {
			if h.Field == "history_window_start" {
				r.HistoryWindowStart = h.Value
			}
		}
	}
	if th := fr.Threshold; th != nil {
		r.Threshold = &Threshold{Fields: th.Field, Value: th.Value}
		for _, c := range th.Cardinality {
			r.Threshold.Cardinality = append(r.Threshold.Cardinality, Cardinality{Field: c.Field, Value: c.Value})
		}
	}
	for _, t := range fr.Threat {
		th := Threat{Framework: t.Framework, Tactic: Tactic(t.Tactic)}
		for _, tech := range t.Technique {
			tt := Technique{ID: tech.ID, Name: tech.Name, Reference: tech.Reference}
			for _, sub := range tech.Subtechnique {
				tt.Subtechniques = append(tt.Subtechniques, Technique{ID: sub.ID, Name: sub.Name, Reference: sub.Reference})
			}
			th.Techniques = append(th.Techniques, tt)
		}
		r.Threats = append(r.Threats, th)
	}

	if r.Language == "kuery" {
		m, err := compile(r.Query)
		if err != nil {
			le := &LoadError{Path: path, Msg: err.Error(), Err: err}
			var pe *query.SyntaxError
			if errors.As(err, &pe) {
				le.Line, le.Col = queryPos(string(data), r.Query, pe.Line, pe.Col)
			}
			return nil, le
		}
		r.m = m
	}
	var eqlUnsupported error
	if r.Language == "eql" {
		var syn error
		if syn, eqlUnsupported = compileEQL(r); syn != nil {
			le := &LoadError{Path: path, Msg: syn.Error(), Err: syn}
			var pe *query.SyntaxError
			if errors.As(syn, &pe) {
				le.Line, le.Col = queryPos(string(data), r.Query, pe.Line, pe.Col)
			}
			return nil, le
		}
	}
	var esqlUnsupported error
	if r.Language == "esql" {
		var syn error
		if syn, esqlUnsupported = compileESQL(r); syn != nil {
			le := &LoadError{Path: path, Msg: syn.Error(), Err: syn}
			var pe *query.SyntaxError
			if errors.As(syn, &pe) {
				le.Line, le.Col = queryPos(string(data), r.Query, pe.Line, pe.Col)
			}
			return nil, le
		}
	}
	r.Supported, r.Reason = support(r)
	if r.Type == "eql" && eqlUnsupported != nil {
		r.Supported, r.Reason = false, "eql: "+eqlUnsupported.Error()
	}
	if r.Type == "esql" && esqlUnsupported != nil {
		r.Supported, r.Reason = false, "esql: "+esqlUnsupported.Error()
	}
	return r, nil
}

// compile parses and compiles a KQL query. A syntax error is returned as
// "query L:C: msg" wrapping the *query.SyntaxError (see syntaxError).
func compile(q string) (*kql.Matcher, error) {
	n, err := kql.Parse(q)
	if err != nil {
		return nil, syntaxError(err)
	}
	m, err := kql.Compile(n)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return m, nil
}

// syntaxError returns the error of a query of any language that does not
// parse: "query L:C: msg" wrapping a *query.SyntaxError, "query: msg"
// wrapping anything else.
func syntaxError(err error) error {
	var se *query.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("query %w", err)
	}
	return fmt.Errorf("query: %w", err)
}

// support says whether trailsweep can run r, and why not when it cannot.
func support(r *Rule) (bool, string) {
	switch r.Type {
	case "query":
		if r.Language == "kuery" {
			return r.m != nil, ""
		}
		return false, fmt.Sprintf("query rules in language %q are not supported yet (only kuery)", r.Language)
	case "eql":
		if r.m != nil {
			return true, ""
		}
		return false, "eql rule whose query could not be compiled"
	case "esql":
		if r.Language == "esql" && r.m != nil {
			return true, ""
		}
		return false, "esql rule whose query could not be compiled"
	case "new_terms", "threshold":
		if r.Language != "kuery" || r.m == nil {
			return false, fmt.Sprintf("%s rules in language %q are not supported (only kuery)", r.Type, r.Language)
		}
		if why := prepareAggregate(r); why != "" {
			return false, why
		}
		return true, ""
	case "machine_learning":
		return false, "machine_learning rules need Elastic's anomaly-detection jobs; a query engine cannot reproduce them"
	case "threat_match":
		return false, "threat_match (indicator match) rules need a threat-intelligence index; not supported"
	case "saved_query":
		return false, "saved_query rules refer to a query stored in Kibana; not supported"
	default:
		return false, fmt.Sprintf("rule type %q is not a rule type trailsweep knows", r.Type)
	}
}

// queryPos maps a 1-based position inside query to a position in the file
// text data, or returns 0, 0 when the query's text cannot be found verbatim
// (a basic string with escapes, say).
func queryPos(data, query string, qline, qcol int) (line, col int) {
	if qline < 1 || qcol < 1 {
		return 0, 0
	}
	// A multi-line string drops the newline right after its opening delimiter,
	// so search for the query as written after "query = '''\n" first.
	off := -1
	for _, delim := range []string{"'''", `"""`, "'", `"`} {
		for _, sep := range []string{"\n", "\r\n", ""} {
			if sep != "" && len(delim) == 1 {
				continue
			}
			i := strings.Index(data, delim+sep+query+delim)
			if i >= 0 {
				off = i + len(delim) + len(sep)
				break
			}
		}
		if off >= 0 {
			break
		}
	}
	if off < 0 {
		return 0, 0
	}
	startLine := strings.Count(data[:off], "\n") + 1
	// 1-based, in characters like the query's column (query.SyntaxError).
	startCol := 1 + utf8.RuneCountInString(data[strings.LastIndex(data[:off], "\n")+1:off])
	if qline == 1 {
		return startLine, startCol + qcol - 1
	}
	return startLine + qline - 1, qcol
}

// collapse trims s and joins its lines with single spaces: the false-positive
// paragraphs of Elastic's files are indented triple-quoted strings.
func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
