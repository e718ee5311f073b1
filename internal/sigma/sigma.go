// Package sigma loads Sigma rules (YAML, one rule per document) and
// compiles their detections into matchers over the raw CloudTrail record.
//
// Sigma field names are raw CloudTrail dot paths (eventSource,
// requestParameters.userName). A path that crosses an array matches when any
// element matches; a string comparison applied to an object-valued field
// matches when any scalar leaf below it matches (with |all, each value must
// match some leaf). Matching is case-insensitive unless |cased.
package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unique"

	"go.yaml.in/yaml/v3"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Rule is one Sigma document: a detection rule, or a correlation or filter
// rule (loaded, never run).
type Rule struct {
	Title, ID, Status, Description, Author, Date, Modified, Level string
	References, Tags, FalsePositives                              []string
	Logsource                                                     Logsource
	Conditions                                                    []string

	Line int // 1-based line of the document in its file

	// Reason is why the rule cannot run ("" when it can): not an
	// aws/cloudtrail rule, a correlation rule, an unsupported modifier…
	Reason string

	// Detection is the compiled detection, nil when Reason is set.
	Detection *Detection
	// Fields lists every field the detection reads, as written (for lint).
	Fields []FieldUse
}

// Logsource is the rule's logsource section.
type Logsource struct {
	Product, Service, Category string
}

// FieldUse is one field condition of a detection, for lint.
type FieldUse struct {
	Search string   // selection name
	Field  string   // dot path
	Mods   []string // modifiers
	Values []string // plain values as written
	Line   int
}

// Options configure parsing.
type Options struct {
	// Placeholders are the values of %name% placeholders for |expand; nil
	// makes every rule that uses expand unsupported.
	Placeholders map[string][]string
}

// Error is a Sigma file that cannot be loaded, with the 1-based line and
// column of the problem (0 when unknown).
type Error struct {
	Line, Col int
	Msg       string
	Err       error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Parse parses every YAML document of data. A document that is a rule of
// another log source, a correlation rule, a filter, or uses something
// trailsweep cannot run is returned with Reason set; an error means the file
// is broken (bad YAML, no detection, a condition that does not parse, an
// undefined search), and then no rule of the file is returned.
func Parse(data []byte, opts Options) ([]*Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var roots []*yaml.Node
	collection := false
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, yamlError(data, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, &Error{Line: root.Line, Col: root.Column, Msg: "a Sigma document is a mapping"}
		}
		if err := duplicateKey(root); err != nil {
			return nil, err
		}
		collection = collection || mapGet(root, "action") != nil
		roots = append(roots, root)
	}
	if len(roots) == 0 {
		return nil, &Error{Msg: "no Sigma rule in the file"}
	}
	var out []*Rule
	for _, root := range roots {
		if collection {
			// Sigma v1 collections merge documents; list each, unrun.
			var m meta
			_ = root.Decode(&m)
			out = append(out, &Rule{Title: m.Title, ID: m.ID, Status: m.Status, Level: m.Level, Line: root.Line,
				Reason: "multi-document rule collections (action: global/reset/repeat, Sigma v1) are not supported; convert them to one rule per document"})
			continue
		}
		r, err := parseDoc(root, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// meta is the metadata of a document, decoded by the YAML library.
type meta struct {
	Title          string    `yaml:"title"`
	ID             string    `yaml:"id"`
	Name           string    `yaml:"name"`
	Status         string    `yaml:"status"`
	Description    string    `yaml:"description"`
	Author         string    `yaml:"author"`
	Date           string    `yaml:"date"`
	Modified       string    `yaml:"modified"`
	Level          string    `yaml:"level"`
	References     []string  `yaml:"references"`
	Tags           []string  `yaml:"tags"`
	FalsePositives strOrList `yaml:"falsepositives"`
	Logsource      struct {
		Product  string `yaml:"product"`
		Service  string `yaml:"service"`
		Category string `yaml:"category"`
	} `yaml:"logsource"`
	Correlation *struct {
		Type string `yaml:"type"`
	} `yaml:"correlation"`
	Filter any `yaml:"filter"`
}

// strOrList is a YAML string or list of strings.
type strOrList []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *strOrList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = strOrList{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*s = l
	return nil
}

func parseDoc(root *yaml.Node, opts Options) (*Rule, error) {
	var m meta
	if err := root.Decode(&m); err != nil {
		return nil, decodeError(root, err)
	}
	r := &Rule{
		Title: m.Title, ID: m.ID, Status: strings.ToLower(m.Status), Description: strings.TrimSpace(m.Description),
		Author: m.Author, Date: m.Date, Modified: m.Modified, Level: strings.ToLower(m.Level),
		References: m.References, Tags: m.Tags, FalsePositives: m.FalsePositives,
		Logsource: Logsource{Product: m.Logsource.Product, Service: m.Logsource.Service, Category: m.Logsource.Category},
		Line:      root.Line,
	}
	if r.ID == "" && m.Name != "" {
		r.ID = m.Name
	}
	switch {
	case m.Correlation != nil:
		r.Reason = fmt.Sprintf("Sigma correlation rules (type %s) aggregate over other rules' matches; not supported", m.Correlation.Type)
		return r, nil
	case m.Filter != nil:
		r.Reason = "Sigma filter (meta filter) documents are not supported"
		return r, nil
	}
	if r.Title == "" {
		return nil, &Error{Line: root.Line, Col: root.Column, Msg: "rule has no title"}
	}
	det := mapGet(root, "detection")
	if det == nil {
		return nil, &Error{Line: root.Line, Col: root.Column, Msg: "rule has no detection"}
	}
	d, fields, err := compileDetection(det, opts)
	if err != nil {
		var ue *unsupportedError
		if errors.As(err, &ue) {
			r.Reason = ue.Error()
			r.Fields = fields
			return r, nil
		}
		return nil, err
	}
	r.Detection, r.Fields, r.Conditions = d, fields, d.conds
	if p, s := strings.ToLower(r.Logsource.Product), strings.ToLower(r.Logsource.Service); p != "aws" || s != "cloudtrail" {
		r.Reason = fmt.Sprintf("not applicable: logsource is product %q, service %q, not aws/cloudtrail", r.Logsource.Product, r.Logsource.Service)
		r.Detection = nil
	}
	return r, nil
}

// parserProblems are the problems go.yaml.in/yaml/v3's parser (not its
// scanner) reports. It places them at the 0-based line of the collection
// being parsed, or, when that is the first line, the 0-based line of the
// offending token; scanner errors carry a 1-based line that is right.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlError turns a YAML syntax error of data into an *Error at the 1-based
// line a reader sees the problem on: for a scanner error the line the
// library reports; for a parser error the first line at which data, cut
// after it, fails with the very same error (the line of an unclosed '[' or
// '{', of a badly indented key or list item).
func yamlError(data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, m, ok := strings.Cut(rest, ": "); ok {
			if l, aerr := strconv.Atoi(n); aerr == nil {
				line, msg = l, m
			}
		}
	}
	if parserProblems[msg] {
		line = firstFailingLine(data, err.Error(), line+1)
	}
	return &Error{Line: line, Msg: "yaml: " + msg, Err: err}
}

// firstFailingLine returns the smallest 1-based line n >= from such that
// the first n lines of data fail to decode with the error text want (data
// itself does), or from when none does.
func firstFailingLine(data []byte, want string, from int) int {
	end := 0
	for n := 1; end < len(data); n++ {
		if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
			end += i + 1
		} else {
			end = len(data)
		}
		if n >= from && decodeAll(data[:end]) == want {
			return n
		}
	}
	return from
}

// decodeAll decodes every YAML document of data and returns the text of
// the first error, "" when there is none.
func decodeAll(data []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			return ""
		} else if err != nil {
			return err.Error()
		}
	}
}

// duplicateKey returns an *Error at the second occurrence of a key in any
// mapping below n (YAML keys are unique; the library's node tree keeps
// both), nil when there is none. Merge keys (<<) may repeat.
func duplicateKey(n *yaml.Node) *Error {
	if n.Kind == yaml.MappingNode {
		seen := make(map[string]*yaml.Node, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" {
				continue
			}
			if first, ok := seen[k.Value]; ok {
				return &Error{Line: k.Line, Col: k.Column, Msg: fmt.Sprintf("yaml: mapping key %q already defined at line %d", k.Value, first.Line)}
			}
			seen[k.Value] = k
		}
	}
	for _, c := range n.Content {
		if err := duplicateKey(c); err != nil {
			return err
		}
	}
	return nil
}

// decodeError places an error decoding a document's metadata at the line
// of its first problem ("line 7: cannot unmarshal !!map into string"), or
// at the document when the library names none.
func decodeError(root *yaml.Node, err error) *Error {
	e := &Error{Line: root.Line, Col: root.Column, Msg: "yaml: " + strings.TrimPrefix(err.Error(), "yaml: "), Err: err}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		if rest, ok := strings.CutPrefix(te.Errors[0], "line "); ok {
			if n, m, ok := strings.Cut(rest, ": "); ok {
				if l, aerr := strconv.Atoi(n); aerr == nil {
					e.Line, e.Col, e.Msg = l, 0, "yaml: "+m
					if len(te.Errors) > 1 {
						e.Msg += fmt.Sprintf(" (and %d more)", len(te.Errors)-1)
					}
				}
			}
		}
	}
	return e
}

// unsupportedError marks a detection that is valid Sigma but cannot run.
type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string { return e.msg }

// mapGet returns the value node of key in a mapping node, nil if absent.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Detection is a compiled detection: a matcher over raw records. It is
// immutable and safe for concurrent use.
type Detection struct {
	root     node
	searches map[string]node // by name, for Explain
	names    []string        // the searches in file order
	conds    []string
	exprs    []Expr
	uses     []FieldUse
}

// Uses returns every field condition of the detection, for lint.
func (d *Detection) Uses() []FieldUse { return d.uses }

// Conditions returns the parsed conditions (several are ORed).
func (d *Detection) Conditions() []Expr { return d.exprs }

// Match reports whether the record matches. A document that does not give
// raw access (not an *ecs.Record) never matches.
func (d *Detection) Match(doc query.Doc) bool {
	rd, ok := doc.(Doc)
	if !ok {
		return false
	}
	return d.root.eval(rd)
}

// Fields returns nil: a Sigma detection reads raw paths, no ECS field.
func (d *Detection) Fields() []ecs.Field { return nil }

// Constraint returns no constraint: Sigma compares case-insensitively, so
// only FoldConstraint is sound.
func (d *Detection) Constraint(string) (query.Constraint, bool) { return query.Constraint{}, false }

// ecsRaw maps the ECS fields the rule index asks about to their raw paths.
var ecsRaw = map[string][]string{
	"event.provider":                    {"eventSource"},
	"event.action":                      {"eventName"},
	"aws.cloudtrail.user_identity.type": {"userIdentity", "type"},
}

// FoldConstraint returns the values the record's eventSource (field
// "event.provider"), eventName ("event.action") or userIdentity.type
// ("aws.cloudtrail.user_identity.type") must have, after strings.ToLower,
// for the detection to match; ok false when it can match whatever the field
// holds. It is sound: a matching record always satisfies it. The empty
// string is always among the values (see fieldNode.constrain).
func (d *Detection) FoldConstraint(field string) (query.Constraint, bool) {
	path, ok := ecsRaw[field]
	if !ok {
		return query.Constraint{}, false
	}
	return d.root.constrain(path)
}

// compileDetection compiles the detection mapping. fields is returned also
// when the error is an *unsupportedError.
func compileDetection(det *yaml.Node, opts Options) (*Detection, []FieldUse, error) {
	if det.Kind != yaml.MappingNode {
		return nil, nil, &Error{Line: det.Line, Col: det.Column, Msg: "detection is not a mapping"}
	}
	searches := map[string]node{}
	var names []string
	var conds []*yaml.Node
	var fields []FieldUse
	var unsupported error
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], det.Content[i+1]
		switch k.Value {
		case "condition":
			switch v.Kind {
			case yaml.ScalarNode:
				conds = append(conds, v)
			case yaml.SequenceNode:
				conds = append(conds, v.Content...)
			default:
				return nil, nil, &Error{Line: v.Line, Col: v.Column, Msg: "condition is not a string or list of strings"}
			}
			continue
		case "timeframe":
			continue // only meaningful with an aggregation, refused below
		}
		n, fu, err := compileSearch(k.Value, v, opts)
		fields = append(fields, fu...)
		if err != nil {
			var ue *unsupportedError
			if !errors.As(err, &ue) {
				return nil, nil, err
			}
			if unsupported == nil {
				unsupported = err
			}
			n = constNode(false)
		}
		searches[k.Value] = n
		names = append(names, k.Value)
	}
	if len(conds) == 0 {
		return nil, nil, &Error{Line: det.Line, Col: det.Column, Msg: "detection has no condition"}
	}
	d := &Detection{searches: searches, names: names}
	var roots []node
	for _, c := range conds {
		if c.Kind != yaml.ScalarNode {
			return nil, nil, &Error{Line: c.Line, Col: c.Column, Msg: "condition is not a string"}
		}
		x, err := ParseCondition(c.Value)
		if err != nil {
			le := &Error{Line: c.Line, Col: c.Column, Msg: "condition " + err.Error(), Err: err}
			if errors.Is(err, ErrAggregation) {
				return nil, fields, &unsupportedError{msg: "condition " + c.Value + ": " + ErrAggregation.Error()}
			}
			return nil, nil, le
		}
		n, err := compileCond(x, searches, names)
		if err != nil {
			return nil, nil, &Error{Line: c.Line, Col: c.Column, Msg: "condition: " + err.Error()}
		}
		roots = append(roots, n)
		d.conds = append(d.conds, c.Value)
		d.exprs = append(d.exprs, x)
	}
	if unsupported != nil {
		return nil, fields, unsupported
	}
	d.uses = fields
	if len(roots) == 1 {
		d.root = roots[0]
	} else {
		d.root = orNode(roots)
	}
	return d, fields, nil
}

// compileCond turns a parsed condition into a node over the searches.
func compileCond(x Expr, searches map[string]node, names []string) (node, error) {
	switch x := x.(type) {
	case Ident:
		n, ok := searches[x.Name]
		if !ok {
			return nil, fmt.Errorf("%q is not a search of the detection", x.Name)
		}
		return n, nil
	case Paren:
		return compileCond(x.X, searches, names)
	case Not:
		n, err := compileCond(x.X, searches, names)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case And, Or:
		var l, r Expr
		if a, ok := x.(And); ok {
			l, r = a.L, a.R
		} else {
			o := x.(Or)
			l, r = o.L, o.R
		}
		ln, err := compileCond(l, searches, names)
		if err != nil {
			return nil, err
		}
		rn, err := compileCond(r, searches, names)
		if err != nil {
			return nil, err
		}
		if _, ok := x.(And); ok {
			return andNode{ln, rn}, nil
		}
		return orNode{ln, rn}, nil
	case Of:
		var ns []node
		var matched []string
		for _, name := range names {
			if x.Pattern == "them" {
				if strings.HasPrefix(name, "_") {
					continue
				}
			} else if !matchPattern(x.Pattern, name) {
				continue
			}
			ns = append(ns, searches[name])
			matched = append(matched, name)
		}
		if len(ns) == 0 {
			return nil, fmt.Errorf("%s matches no search of the detection", x)
		}
		sort.Strings(matched)
		if x.All {
			return andNode(ns), nil
		}
		return orNode(ns), nil
	}
	return nil, fmt.Errorf("unknown condition node %T", x)
}

// compileSearch compiles one named search: a mapping (AND of its fields),
// a list of mappings (OR), or a list of keywords (OR).
func compileSearch(name string, v *yaml.Node, opts Options) (node, []FieldUse, error) {
	switch v.Kind {
	case yaml.MappingNode:
		return compileMap(name, v, opts)
	case yaml.SequenceNode:
		var ors []node
		var fields []FieldUse
		var kw []*yaml.Node
		for _, e := range v.Content {
			switch e.Kind {
			case yaml.MappingNode:
				n, fu, err := compileMap(name, e, opts)
				fields = append(fields, fu...)
				if err != nil {
					return nil, fields, err
				}
				ors = append(ors, n)
			case yaml.ScalarNode:
				kw = append(kw, e)
			default:
				return nil, fields, &Error{Line: e.Line, Col: e.Column, Msg: fmt.Sprintf("search %s: a list element is neither a mapping nor a value", name)}
			}
		}
		if len(kw) > 0 {
			n, err := compileKeywords(name, kw, opts)
			if err != nil {
				return nil, fields, err
			}
			ors = append(ors, n)
		}
		if len(ors) == 1 {
			return ors[0], fields, nil
		}
		return orNode(ors), fields, nil
	case yaml.ScalarNode:
		n, err := compileKeywords(name, []*yaml.Node{v}, opts)
		return n, nil, err
	}
	return nil, nil, &Error{Line: v.Line, Col: v.Column, Msg: fmt.Sprintf("search %s is not a mapping, a list or a value", name)}
}

func compileKeywords(name string, kw []*yaml.Node, opts Options) (node, error) {
	var vals []value
	m := mods{contains: true}
	for _, k := range kw {
		if k.Tag == "!!null" {
			return nil, &Error{Line: k.Line, Col: k.Column, Msg: fmt.Sprintf("search %s: null keyword", name)}
		}
		v, err := compileValue(k.Value, false, k.Tag == "!!int" || k.Tag == "!!float", m, opts.Placeholders)
		if err != nil {
			return nil, valueErr(name, "keyword", k, err)
		}
		vals = append(vals, v)
	}
	return keywordNode{vals: vals}, nil
}

func valueErr(search, field string, n *yaml.Node, err error) error {
	msg := fmt.Sprintf("search %s, %s: %v", search, field, err)
	if errors.Is(err, ErrUnsupported) {
		return &unsupportedError{msg: msg}
	}
	return &Error{Line: n.Line, Col: n.Column, Msg: msg, Err: err}
}

// compileMap compiles a selection mapping: an AND of field conditions.
func compileMap(name string, m *yaml.Node, opts Options) (node, []FieldUse, error) {
	var and andNode
	var fields []FieldUse
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		parts := strings.Split(k.Value, "|")
		field := parts[0]
		fu := FieldUse{Search: name, Field: field, Mods: parts[1:], Line: k.Line}
		var items []*yaml.Node
		switch v.Kind {
		case yaml.ScalarNode:
			items = []*yaml.Node{v}
		case yaml.SequenceNode:
			items = v.Content
		default:
			return nil, fields, &Error{Line: v.Line, Col: v.Column, Msg: fmt.Sprintf("search %s, %s: the value is a mapping", name, k.Value)}
		}
		for _, it := range items {
			if it.Kind != yaml.ScalarNode {
				return nil, fields, &Error{Line: it.Line, Col: it.Column, Msg: fmt.Sprintf("search %s, %s: a value is not a scalar", name, k.Value)}
			}
			if it.Tag != "!!null" {
				fu.Values = append(fu.Values, it.Value)
			}
		}
		fields = append(fields, fu)
		md, err := parseMods(parts[1:])
		if err != nil {
			return nil, fields, valueErr(name, k.Value, k, err)
		}
		if field == "" {
			return nil, fields, &Error{Line: k.Line, Col: k.Column, Msg: fmt.Sprintf("search %s: empty field name in %q", name, k.Value)}
		}
		fn := &fieldNode{name: k.Value, path: internPath(strings.Split(field, ".")), all: md.all, neq: md.neq}
		if md.exists {
			if len(items) != 1 || (items[0].Value != "true" && items[0].Value != "false") || items[0].Tag != "!!bool" {
				return nil, fields, &Error{Line: v.Line, Col: v.Column, Msg: fmt.Sprintf("search %s, %s: exists takes true or false", name, k.Value)}
			}
			b := items[0].Value == "true"
			fn.exists = &b
			and = append(and, fn)
			continue
		}
		if md.all && len(items) < 2 {
			// The specification forbids it; it means the same as without.
			fn.all = false
		}
		if len(items) == 0 {
			return nil, fields, &Error{Line: v.Line, Col: v.Column, Msg: fmt.Sprintf("search %s, %s: empty value list", name, k.Value)}
		}
		for _, it := range items {
			null := it.Tag == "!!null"
			val, err := compileValue(it.Value, null, it.Tag == "!!int" || it.Tag == "!!float", md, opts.Placeholders)
			if err != nil {
				return nil, fields, valueErr(name, k.Value, it, err)
			}
			fn.vals = append(fn.vals, val)
		}
		fn.split()
		and = append(and, fn)
	}
	if len(and) == 1 {
		return and[0], fields, nil
	}
	return and, fields, nil
}

// ParsePlaceholders parses a placeholders file: a YAML mapping of
// placeholder name to a value or a list of values.
func ParsePlaceholders(data []byte) (map[string][]string, error) {
	var raw map[string]strOrList
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("placeholders: %w", err)
	}
	out := make(map[string][]string, len(raw))
	for k, v := range raw {
		out[k] = v
	}
	return out, nil
}

// internPath makes each key of path the one shared copy of its text, so
// that every rule reading userIdentity asks the record with the same string
// (ecs.Record remembers lookups by the key's address).
func internPath(path []string) []string {
	for i, k := range path {
		path[i] = unique.Make(k).Value()
	}
	return path
}
