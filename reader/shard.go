package reader

import (
	"context"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strings"
)

// SkipOtherShard is the Object.Skip reason of an object that belongs to
// another shard of a sharded hunt: listed, never fetched.
const SkipOtherShard = "other shard"

// ShardSpec is one shard of a hunt split over Count machines: Index is in
// [0, Count).
type ShardSpec struct {
	Index, Count int
}

// String is "I/N".
func (s ShardSpec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Valid reports whether s names a shard: Count ≥ 1 and 0 ≤ Index < Count.
func (s ShardSpec) Valid() bool { return s.Count >= 1 && s.Index >= 0 && s.Index < s.Count }

// Unit is the unit of work an object belongs to: its account, region and
// delivery day ("ACCOUNT/REGION/YYYY/MM/DD") when its URI follows the
// CloudTrail layout, else its key (relative to the source, so machines that
// mount a tree at different paths agree). Every file of one unit goes to the
// same shard, whatever bucket, prefix, organization folder or kind (log,
// digest) holds it. The units are the S3 lister's day folders (kinds
// merged), so a day folder whose listing failed (an Object.Err whose key
// is the folder, ending in "/") belongs to its day's unit and is reported
// by the shard that would have read its files; a higher folder that failed
// is a unit of its own.
func Unit(o Object) string {
	uri := filepath.ToSlash(o.URI)
	if strings.HasSuffix(uri, "/") {
		uri += "_" // a folder: parsed as if it held a file
	}
	if k, ok := ParseKey(uri); ok {
		return k.Account + "/" + k.Region + "/" + DayFolder(k.Day)
	}
	if o.Key != "" {
		return o.Key
	}
	return filepath.ToSlash(o.URI)
}

// ShardOf returns the shard, in [0, n), of an object of unit: a stable hash
// (FNV-1a, 64 bits) of the unit modulo n. It depends on nothing but unit and
// n, so every machine of a hunt assigns every object alike, and the n
// shards partition any listing.
func ShardOf(unit string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(unit))
	return int(h.Sum64() % uint64(n))
}

// Shard returns src restricted to shard s: List still lists every object,
// but those of other shards come with Skip set to SkipOtherShard (so they are
// accounted for, and never opened).
func Shard(src Source, s ShardSpec) Source {
	return &sharded{Source: src, spec: s}
}

type sharded struct {
	Source
	spec ShardSpec
}

func (s *sharded) List(ctx context.Context, f Filter, fn func(Object) error) error {
	return s.Source.List(ctx, f, func(o Object) error {
		if ShardOf(Unit(o), s.spec.Count) != s.spec.Index {
			o.Skip, o.Err = SkipOtherShard, nil
		}
		return fn(o)
	})
}
