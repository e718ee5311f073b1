package rule

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/kql"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Tuning is what a scan drops as known-benign activity: exclusions, KQL
// queries over the ECS view that drop a record before any rule sees it, and
// exceptions, a KQL query for one rule id (or "*": every rule) that drops
// that rule's match on a record. It is immutable and safe for concurrent use.
type Tuning struct {
	Excludes   []Exclusion
	Exceptions []Exception
}

// Exclusion is one --exclude query.
type Exclusion struct {
	Query string
	m     *kql.Matcher
}

// Exception is one entry of an exceptions file: a match of rule Rule (a rule
// id, or "*") on a record that Query matches is dropped. Origin is where it
// was written, "FILE:LINE".
type Exception struct {
	Rule, Query, Reason string
	Origin              string
	m                   *kql.Matcher
}

// NewExclusion compiles an --exclude query. name says where it came from in
// errors ("--exclude 1"). An empty query and a field the ECS view never
// produces are refused, as for --query.
func NewExclusion(name, q string) (Exclusion, error) {
	m, err := compileTuning(q)
	if err != nil {
		return Exclusion{}, &LoadError{Path: name, Msg: err.Error(), Err: err}
	}
	return Exclusion{Query: q, m: m}, nil
}

// compileTuning compiles a tuning query: never empty (it would drop
// everything), on fields the ECS view produces.
func compileTuning(q string) (*kql.Matcher, error) {
	if strings.TrimSpace(q) == "" {
		return nil, fmt.Errorf("empty query (it would match every record)")
	}
	m, err := compile(q)
	if err != nil {
		return nil, err
	}
	if msg := unknownField(m.Fields()); msg != "" {
		return nil, fmt.Errorf("query: %s", msg)
	}
	return m, nil
}

// ParseExceptions parses an exceptions file: a YAML list of mappings with
// `rule` (a rule id or "*"), `query` (KQL over the ECS view) and an optional
// `reason`. An error is a *LoadError naming path and the line.
func ParseExceptions(path string, data []byte) ([]Exception, error) {
	fail := func(n *yaml.Node, format string, a ...any) error {
		le := &LoadError{Path: path, Msg: fmt.Sprintf(format, a...)}
		if n != nil {
			le.Line, le.Col = n.Line, n.Column
		}
		return le
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &LoadError{Path: path, Msg: err.Error(), Err: err}
	}
	if doc.Kind == 0 { // empty file
		return nil, nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.SequenceNode {
		return nil, fail(root, "exceptions: want a list of {rule, query, reason} entries")
	}
	var out []Exception
	for _, e := range root.Content {
		if e.Kind != yaml.MappingNode {
			return nil, fail(e, "exception: want a mapping with rule, query and reason")
		}
		ex := Exception{Origin: path + ":" + strconv.Itoa(e.Line)}
		var queryNode *yaml.Node
		for i := 0; i+1 < len(e.Content); i += 2 {
			k, v := e.Content[i], e.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return nil, fail(v, "exception: %s is not a string", k.Value)
			}
			switch k.Value {
			case "rule":
				ex.Rule = v.Value
			case "query":
				ex.Query, queryNode = v.Value, v
			case "reason":
				ex.Reason = v.Value
			default:
				return nil, fail(k, "exception: unknown key %q (want rule, query, reason)", k.Value)
			}
		}
		switch {
		case strings.TrimSpace(ex.Rule) == "":
			return nil, fail(e, "exception: no rule (a rule id, or * for every rule)")
		case queryNode == nil:
			return nil, fail(e, "exception: no query")
		}
		m, err := compileTuning(ex.Query)
		if err != nil {
			return nil, &LoadError{Path: path, Line: queryNode.Line, Col: queryNode.Column, Msg: err.Error(), Err: err}
		}
		ex.m = m
		out = append(out, ex)
	}
	return out, nil
}

// Excluded returns the index in t.Excludes of the first exclusion d
// matches, -1 when none does.
func (t *Tuning) Excluded(d query.Doc) int {
	for i := range t.Excludes {
		if t.Excludes[i].m.Match(d) {
			return i
		}
	}
	return -1
}

// Excepted returns the index in t.Exceptions of the first exception of r
// (by id, or "*") that d matches, -1 when none does.
func (t *Tuning) Excepted(r *Rule, d query.Doc) int {
	for i := range t.Exceptions {
		e := &t.Exceptions[i]
		if (e.Rule == "*" || e.Rule == r.ID) && e.m.Match(d) {
			return i
		}
	}
	return -1
}

// Empty reports whether t drops nothing (t may be nil).
func (t *Tuning) Empty() bool { return t == nil || len(t.Excludes)+len(t.Exceptions) == 0 }

// Digest is a SHA-256 (hex) of everything in t that decides what it drops;
// "" when t is empty.
func (t *Tuning) Digest() string {
	if t.Empty() {
		return ""
	}
	type entry struct{ Rule, Query string }
	var es []entry
	for _, x := range t.Excludes {
		es = append(es, entry{"", x.Query})
	}
	for _, x := range t.Exceptions {
		es = append(es, entry{x.Rule, x.Query})
	}
	b, _ := json.Marshal(es)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Index adds to dst the objects of the record the tuning's queries read
// member by member (see Set.Index).
func (t *Tuning) Index(dst ecs.Indexer) {
	if t == nil {
		return
	}
	var fields []ecs.Field
	for _, x := range t.Excludes {
		fields = append(fields, x.m.Fields()...)
	}
	for _, x := range t.Exceptions {
		fields = append(fields, x.m.Fields()...)
	}
	ecs.IndexFields(dst, fields)
}
