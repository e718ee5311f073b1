// Package ecs presents a raw CloudTrail record as the ECS document that
// Elastic's AWS integration ingest pipeline builds from it
// (../shared/spec/ECS.md), so that Elastic rules run unmodified.
//
// The view is lazy: a field is computed only when asked for, at most once per
// record, and the result is shared by every rule that reads it.
package ecs

// Kind is the type of one ECS value.
type Kind uint8

const (
	// KindString is a keyword value; Value.S holds it.
	KindString Kind = iota
	// KindBool is a boolean value; Value.B holds it and Value.S is "true" or "false".
	KindBool
	// KindNumber is a numeric value; Value.N holds it and Value.S its text.
	KindNumber
)

// Value is one value of an ECS field. A multi-valued field (an array, or the
// leaves of a flattened object) yields several.
type Value struct {
	Kind Kind
	S    string
	B    bool
	N    float64
}

// Field is an ECS field name resolved once, at rule compile time, by Lookup.
// Its zero value is invalid.
type Field struct {
	id   int    // index into a Record's per-field cache; > 0 when valid
	Name string // the dotted ECS name
}
