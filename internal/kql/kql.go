// Package kql parses Kibana Query Language and evaluates it over the ECS view
// of a CloudTrail record (../shared/spec/KQL.md).
package kql

import "github.com/trailsweep/trailsweep/internal/ecs"

// STUB: replaced by the real implementation.

// Node is a node of the KQL syntax tree. String prints text that parses back
// to the same tree.
type Node interface {
	String() string
}

// Parse parses one KQL query. Errors are *ParseError.
func Parse(query string) (Node, error) { return nil, nil }

// ParseError is a syntax error with its 1-based line and column.
type ParseError struct {
	Line, Col int
	Near      string // the offending text
	Msg       string
}

func (e *ParseError) Error() string { return "" }

// Doc is what a compiled query reads: the values of resolved ECS fields.
// *ecs.Record implements it.
type Doc interface {
	Values(f ecs.Field) []ecs.Value
}

// Matcher is a compiled query.
type Matcher struct{}

// Compile resolves the fields of a parsed query against the ECS view.
func Compile(n Node) (*Matcher, error) { return &Matcher{}, nil }

// Match reports whether d satisfies the query.
func (m *Matcher) Match(d Doc) bool { return false }

// Fields returns the fields the query reads.
func (m *Matcher) Fields() []ecs.Field { return nil }

// Constraint says which values a field must have for the query to match:
// a matching document has a value equal to one of Exact or starting with
// one of Prefixes.
type Constraint struct {
	Exact    []string
	Prefixes []string
}

// Constraint returns the constraint the query puts on field, ok=false when
// the query can match whatever the field holds.
func (m *Matcher) Constraint(field string) (c Constraint, ok bool) { return Constraint{}, false }
