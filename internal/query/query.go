// Package query is the vocabulary the rule languages (KQL, EQL, Sigma and
// ES|QL) share: the document a compiled query reads (Doc), the values a query
// pins a field to for the rule index (Constraint, combined by And and Or),
// the one syntax-error type (SyntaxError) and the one nesting cap (MaxDepth).
// It imports nothing but the ECS view, so a language never imports another
// language for these.
package query

import "github.com/trailsweep/trailsweep/internal/ecs"

// Doc is what a compiled query reads: the values of resolved ECS fields.
// *ecs.Record implements it.
type Doc interface {
	Values(f ecs.Field) []ecs.Value
}
