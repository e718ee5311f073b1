package ecs

import (
	"slices"
	"sort"

	"github.com/valyala/fastjson"
)

// FieldValues is one field of a document and its values.
type FieldValues struct {
	Name   string
	Values []Value
}

// Document returns the ECS document the view builds for the record: every
// static field (Names) and every leaf path under aws.cloudtrail.flattened.*
// that has a value, sorted by name, each with its values (copies, valid
// after the next Reset). It computes every field, so it is for explaining a
// record, never for the hot path. Empty after a failed Reset.
func (r *Record) Document() []FieldValues {
	if !r.valid() {
		return nil
	}
	var out []FieldValues
	add := func(name string) {
		if vs := r.Values(Lookup(name)); len(vs) > 0 {
			out = append(out, FieldValues{Name: name, Values: slices.Clone(vs)})
		}
	}
	for _, name := range Names() {
		add(name)
	}
	for i, root := range flattenedRoots {
		v, ok := r.flattened(i)
		if !ok || v == nil {
			continue
		}
		seen := map[string]bool{}
		var paths []string
		leafPaths(v, "", 0, func(p string) {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		})
		for _, p := range paths {
			add(root + "." + p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// leafPaths calls fn with the dotted path of every scalar below v, arrays
// crossed as flattenedLeaves crosses them.
func leafPaths(v *fastjson.Value, path string, depth int, fn func(string)) {
	if depth > maxRawDepth {
		return
	}
	switch v.Type() {
	case fastjson.TypeObject:
		v.GetObject().Visit(func(k []byte, c *fastjson.Value) {
			p := string(k)
			if path != "" {
				p = path + "." + p
			}
			leafPaths(c, p, depth+1, fn)
		})
	case fastjson.TypeArray:
		for _, e := range v.GetArray() {
			leafPaths(e, path, depth+1, fn)
		}
	default:
		if path != "" {
			fn(path)
		}
	}
}
