package reader

import "slices"

// IndexPaths names the objects of a record whose members a Decoder's
// member index lists (DecodeOptions.Index). The record's own members are
// always listed; an object that is one of them (userIdentity,
// requestParameters, tlsDetails…) is listed with everything nested in it
// through objects when a path into it was added, and otherwise left out:
// its member's IndexChild is IndexSkipped, and the splitter still checks
// its grammar and UTF-8, only without noting its members. A reader of the
// index must then read such a value from the record's bytes (ecs.Record
// parses it), so the selection changes what the index costs, never what a
// record holds.
//
// The choice is made per object of the record, not deeper: deciding at
// every nested object, with a path looked up at each, cost the splitter
// more than the index entries it saved (BenchmarkSplitIndex).
//
// An IndexPaths is read by Decoders concurrently once built: add every
// path before the first Decoder uses it.
type IndexPaths struct {
	all  bool     // every object (an empty path added)
	keys []string // the record's members whose objects are indexed
}

// NewIndexPaths returns an IndexPaths that lists the record's own members
// only.
func NewIndexPaths() *IndexPaths { return &IndexPaths{} }

// Add makes the object of the record that path starts in indexed, whole:
// the object at path, the objects on the way to it and every other object
// nested in that one. The empty path stands for the record: every object
// is then indexed, as without an IndexPaths.
func (p *IndexPaths) Add(path []string) {
	if len(path) == 0 {
		p.all = true
		return
	}
	if !slices.Contains(p.keys, path[0]) {
		p.keys = append(p.keys, path[0])
	}
}

// Keys returns the record's members whose objects are indexed, sorted, and
// whether every object is; for a summary or a test.
func (p *IndexPaths) Keys() (keys []string, all bool) {
	keys = slices.Clone(p.keys)
	slices.Sort(keys)
	return keys, p.all
}

// indexes reports whether the object of the record's member e is indexed.
// rec is the record's bytes so far, which the index's offsets are
// relative to. A key that may hold escapes (IndexEscaped) is indexed:
// matching it would need unescaping.
func (p *IndexPaths) indexes(rec []byte, ents []int32, e int32) bool {
	k, c := int(ents[int(e)*IndexWidth+IndexKey]), int(ents[int(e)*IndexWidth+IndexColon])
	if k&IndexEscaped != 0 {
		return true
	}
	if c < 1 || rec[c-1] != '"' { // white space before the colon
		q := c - 1
		for q > k && rec[q] != '"' {
			q--
		}
		if q <= k {
			return true
		}
		c = q + 1
	}
	key := rec[k+1 : c-1]
	for _, s := range p.keys {
		if len(s) == len(key) && s == string(key) {
			return true
		}
	}
	return false
}
