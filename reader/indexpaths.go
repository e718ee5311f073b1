package reader

import (
	"bytes"
	"slices"
)

// IndexPaths names the nested objects of a record whose members a
// Decoder's member index lists (DecodeOptions.Index). The record's own
// members are always listed. An object nested in the record through
// objects is listed when its path was added, or when it lies under a path
// added deep; any other object is left out: its member keeps IndexChild
// IndexSkipped, and the splitter still checks its grammar, only without
// noting its members. A reader of the index must then read such a value
// from the record's bytes (ecs.Record parses it), so the selection changes
// what the index costs, never what a record holds.
//
// A rule set reads a few of CloudTrail's objects (userIdentity and its
// session, sometimes requestParameters or responseElements); the others
// (tlsDetails, additionalEventData, serviceEventDetails, and the request
// and response of the rules that do not read them) need no index entry.
//
// An IndexPaths is read by Decoders concurrently once built: add every
// path before the first Decoder uses it.
type IndexPaths struct {
	root pathNode
}

// pathNode is an object whose members are indexed, and which of its
// members' objects are too.
type pathNode struct {
	deep bool                 // every object below is indexed
	kids map[string]*pathNode // the members' objects indexed, by key
}

// NewIndexPaths returns an IndexPaths that lists the record's own members
// only.
func NewIndexPaths() *IndexPaths { return &IndexPaths{} }

// Add makes the object at path indexed, and the objects on the way to it;
// with deep, also every object nested in it. An empty path stands for the
// record: with deep, every object is indexed, as without an IndexPaths.
func (p *IndexPaths) Add(path []string, deep bool) {
	n := &p.root
	for _, k := range path {
		if n.deep {
			return
		}
		if n.kids == nil {
			n.kids = map[string]*pathNode{}
		}
		c := n.kids[k]
		if c == nil {
			c = &pathNode{}
			n.kids[k] = c
		}
		n = c
	}
	if deep {
		n.deep, n.kids = true, nil
	}
}

// Paths returns the paths added, as Add would take them back: each
// object indexed (the deepest of each branch) and whether deep, in the
// order of their keys, for a summary or a test.
func (p *IndexPaths) Paths() (paths [][]string, deep []bool) {
	var walk func(n *pathNode, at []string)
	walk = func(n *pathNode, at []string) {
		if n.deep || len(n.kids) == 0 {
			if len(at) > 0 || n.deep {
				paths = append(paths, append([]string(nil), at...))
				deep = append(deep, n.deep)
			}
			return
		}
		keys := make([]string, 0, len(n.kids))
		for k := range n.kids {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			walk(n.kids[k], append(at, k))
		}
	}
	walk(&p.root, nil)
	return paths, deep
}

// everything is the node of an object whose members and nested objects
// are all indexed.
var everything = &pathNode{deep: true}

// top returns the node of the composite value read first in a record:
// the record itself (owner -1), or the value of a member of a top-level
// object taken as a record, which is indexed whole (rare: logs are
// arrays of records).
func (p *IndexPaths) top(owner int32) *pathNode {
	if owner >= 0 {
		return everything
	}
	return &p.root
}

// child returns the node of the object that is the value of member e of
// the object of node n, nil when it is not indexed. rec is the record's
// bytes so far, which the index's offsets are relative to. A key that may
// hold escapes is indexed whole: matching it would need unescaping.
func (n *pathNode) child(rec []byte, ents []int32, e int32) *pathNode {
	if n == nil {
		return nil
	}
	if n.deep {
		return n
	}
	if len(n.kids) == 0 {
		return nil
	}
	k, c := int(ents[int(e)*IndexWidth+IndexKey]), int(ents[int(e)*IndexWidth+IndexColon])
	if k&IndexEscaped != 0 {
		return everything
	}
	q := c - 1 // the key's closing quote, before any white space
	for q > k && rec[q] != '"' {
		q--
	}
	if q <= k {
		return everything
	}
	key := rec[k+1 : q]
	if bytes.IndexByte(key, '\\') >= 0 {
		return everything
	}
	return n.kids[string(key)]
}
