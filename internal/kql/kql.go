// Package kql parses Kibana Query Language and evaluates it over the ECS view
// of a CloudTrail record (../shared/spec/KQL.md).
//
// Parse turns a query into a syntax tree whose String prints it back;
// Compile turns the tree into a Matcher that evaluates it over a query.Doc,
// reports the fields it reads and, for pre-filtering, the values a field
// must take.
//
// Choices where the spec leaves room:
//   - A nested query `path: { q }` is evaluated as q with every field name
//     prefixed by "path."; ECS CloudTrail documents have no nested-type
//     fields, so the conditions of q may be met by different elements of
//     an array, as for any flattened field.
//   - `field: null` compares with the string "null".
//   - A literal that reads as a decimal number also matches numeric values
//     numerically; one that reads as true or false (quoted or not) also
//     matches boolean values.
//   - Ranges on date fields (@timestamp, event.created, event.ingested,
//     event.start, event.end and the session creation_date) parse both
//     sides as RFC 3339 or yyyy-MM-dd timestamps (or epoch milliseconds);
//     date math such as now-1d is rejected by Compile.
//   - A wildcard field name matching no field matches nothing; `*: *`
//     matches everything.
package kql

import (
	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Node is a node of the KQL syntax tree: *EmptyNode, *OrNode, *AndNode,
// *NotNode, *FieldNode, *ExistsNode, *RangeNode, *NestedNode, *TermNode,
// and *Literal inside value lists. String prints text that parses back to
// the same tree (positions aside).
type Node interface {
	String() string
}

// Matcher is a compiled query. It is immutable and safe for concurrent use.
type Matcher struct {
	root   expr
	fields []ecs.Field
	ast    Node // what Compile was given, for Explain
}

// Match reports whether d satisfies the query.
func (m *Matcher) Match(d query.Doc) bool { return m.root.eval(d) }

// Fields returns every field the query reads, each once, in the order the
// query first reads them. The caller must not modify the slice.
func (m *Matcher) Fields() []ecs.Field { return m.fields }

// Constraint returns the constraint the query puts on field, ok=false when
// the query can match whatever the field holds. It is sound: a document
// the query matches always satisfies the returned constraint. Comparisons
// are case-sensitive, like matching.
func (m *Matcher) Constraint(field string) (c query.Constraint, ok bool) {
	return m.root.constrain(field)
}
