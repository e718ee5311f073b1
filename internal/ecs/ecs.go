// Package ecs presents a raw CloudTrail record as the ECS document that
// Elastic's AWS integration ingest pipeline builds from it
// (../shared/spec/ECS.md), so that Elastic rules run unmodified.
//
// The view is lazy: a field is computed only when asked for, at most once per
// record, and the result is shared by every rule that reads it. Cleanup (null,
// "", "-", "none" and maps or lists left empty are absent) is applied wherever
// the view reads; the raw record is never modified.
package ecs

//go:generate go run gen_categories.go

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

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

// computeFunc appends the values of one field of r to dst and returns dst.
type computeFunc func(r *Record, dst []Value) []Value

// registry holds every field name resolved by Lookup. infos is replaced
// (copy on write) under mu, so Record.Values reads it without locking.
var registry struct {
	mu    sync.Mutex
	ids   map[string]int
	infos atomic.Pointer[[]computeFunc]
}

// flattenedRoots are the ECS names of the four flattened objects, indexed like objKeys.
var flattenedRoots = [numObjs]string{
	"aws.cloudtrail.flattened.request_parameters",
	"aws.cloudtrail.flattened.response_elements",
	"aws.cloudtrail.flattened.additional_eventdata",
	"aws.cloudtrail.flattened.service_event_details",
}

// Lookup resolves an ECS field name, registering it on first use. It never
// fails: a field the view does not produce (source.geo.*, a typo) resolves
// and is simply always absent, as in Elasticsearch. Safe for concurrent use.
func Lookup(name string) Field {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.ids == nil {
		registry.ids = make(map[string]int)
		infos := []computeFunc{nil} // id 0 is invalid
		registry.infos.Store(&infos)
	}
	if id, ok := registry.ids[name]; ok {
		return Field{id: id, Name: name}
	}
	old := *registry.infos.Load()
	infos := make([]computeFunc, len(old), len(old)+1)
	copy(infos, old)
	infos = append(infos, resolve(name))
	id := len(infos) - 1
	registry.infos.Store(&infos)
	registry.ids[name] = id
	return Field{id: id, Name: name}
}

// resolve returns how to compute name; unknown names compute to nothing.
func resolve(name string) computeFunc {
	if f, ok := staticFields[name]; ok {
		return f
	}
	if obj, path, ok := flattenedPath(name); ok {
		return func(r *Record, dst []Value) []Value { return r.flattenedLeaves(dst, obj, path) }
	}
	return func(_ *Record, dst []Value) []Value { return dst }
}

// flattenedPath splits a name under aws.cloudtrail.flattened.<obj> into the
// object index and the dotted path below it ("" for the object itself).
func flattenedPath(name string) (obj int, path string, ok bool) {
	for i, root := range flattenedRoots {
		if !strings.HasPrefix(name, root) {
			continue
		}
		rest := name[len(root):]
		if rest == "" {
			return i, "", true
		}
		if rest[0] == '.' && len(rest) > 1 {
			return i, rest[1:], true
		}
	}
	return 0, "", false
}

// Known reports whether the view can produce name: a static field (see Names)
// or a path under aws.cloudtrail.flattened.{request_parameters,
// response_elements,additional_eventdata,service_event_details}.
func Known(name string) bool {
	if _, ok := staticFields[name]; ok {
		return true
	}
	_, _, ok := flattenedPath(name)
	return ok
}

// Names returns every static field name the view can produce, sorted. It
// never includes paths under aws.cloudtrail.flattened. The caller owns the slice.
func Names() []string {
	names := make([]string, 0, len(staticFields))
	for name := range staticFields {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// categorization is one row of the eventName → event.category/event.type table.
type categorization struct {
	category []string
	typ      []string
}
