package reader_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// listing is a Source over fixed objects, never opened.
type listing []reader.Object

func (l listing) List(_ context.Context, _ reader.Filter, fn func(reader.Object) error) error {
	for _, o := range l {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}
func (listing) Open(context.Context, reader.Object) (io.ReadCloser, error) { panic("opened") }
func (listing) String() string                                             { return "listing" }

// genListing is an organization trail's listing as gen lays it out: 12
// accounts, 3 regions, 10 days, 2 files a unit, and
// a few keys outside the layout.
func genListing(bucket string) listing {
	var l listing
	day0 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for a := range 12 {
		acct := fmt.Sprintf("%012d", 111122220000+a)
		for _, region := range []string{"us-east-1", "eu-west-1", "ap-south-1"} {
			for d := range 10 {
				for f := range 2 {
					t := day0.Add(time.Duration(d)*24*time.Hour + time.Duration(f)*time.Hour)
					key := gen.LogKey("o-abc123", acct, region, t, fmt.Sprintf("u%d", f))
					l = append(l, reader.Object{URI: "s3://" + bucket + "/" + key, Bucket: bucket, Key: key})
				}
			}
		}
	}
	for i := range 30 {
		key := fmt.Sprintf("exports/part-%03d.json.gz", i)
		l = append(l, reader.Object{URI: "s3://" + bucket + "/" + key, Bucket: bucket, Key: key})
	}
	return l
}

// assign lists src through shard s and returns the URIs it keeps, checking
// that every object is listed, kept or skipped as "other shard".
func assign(t *testing.T, src listing, s reader.ShardSpec) map[string]bool {
	t.Helper()
	kept := map[string]bool{}
	n := 0
	err := reader.Shard(src, s).List(context.Background(), reader.Filter{}, func(o reader.Object) error {
		n++
		switch o.Skip {
		case "":
			kept[o.URI] = true
		case reader.SkipOtherShard:
		default:
			t.Fatalf("%s: %s skipped as %q", s, o.URI, o.Skip)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(src) {
		t.Fatalf("%s: listed %d objects of %d", s, n, len(src))
	}
	return kept
}

// TestShardPartition: for every N from 1 to 64 the N shards of a listing
// are disjoint and their union is the whole listing; a unit
// (account-region-day) is never split; the assignment is the same for the
// same listing, in another bucket too; and shards are balanced.
func TestShardPartition(t *testing.T) {
	src := genListing("trail")
	units := map[string]bool{}
	for _, o := range src {
		units[reader.Unit(o)] = true
	}
	if len(units) != 12*3*10+30 {
		t.Fatalf("%d units, want %d", len(units), 12*3*10+30)
	}
	moved := genListing("copy")
	for n := 1; n <= 64; n++ {
		owner := map[string]int{}
		unitShard := map[string]int{}
		perShard := make([]int, n)
		for i := range n {
			s := reader.ShardSpec{Index: i, Count: n}
			kept := assign(t, src, s)
			for uri := range kept {
				if prev, ok := owner[uri]; ok {
					t.Fatalf("N=%d: %s in shards %d and %d", n, uri, prev, i)
				}
				owner[uri] = i
			}
			if n%7 != 1 {
				continue
			}
			again := assign(t, moved, s)
			for j, o := range moved {
				if kept[src[j].URI] != again[o.URI] {
					t.Fatalf("N=%d: %s and its copy %s in different shards", n, src[j].URI, o.URI)
				}
			}
		}
		if len(owner) != len(src) {
			t.Fatalf("N=%d: the shards hold %d objects of %d", n, len(owner), len(src))
		}
		for _, o := range src {
			u := reader.Unit(o)
			if prev, ok := unitShard[u]; ok && prev != owner[o.URI] {
				t.Fatalf("N=%d: unit %s split over shards %d and %d", n, u, prev, owner[o.URI])
			}
			if _, ok := unitShard[u]; !ok {
				unitShard[u] = owner[o.URI]
				perShard[owner[o.URI]]++
			}
		}
		// Balance: 390 units; each shard's share within 35% of the mean
		// while shards hold about 40 units or more (hash mod N is binomial).
		if mean := float64(len(units)) / float64(n); mean >= 40 {
			for i, c := range perShard {
				if d := float64(c) - mean; d > 0.35*mean || d < -0.35*mean {
					t.Errorf("N=%d: shard %d holds %d units, mean %.1f", n, i, c, mean)
				}
			}
		}
	}
}

func TestShardSpec(t *testing.T) {
	for _, c := range []struct {
		s    reader.ShardSpec
		want bool
	}{{reader.ShardSpec{0, 1}, true}, {reader.ShardSpec{3, 4}, true}, {reader.ShardSpec{4, 4}, false},
		{reader.ShardSpec{-1, 4}, false}, {reader.ShardSpec{0, 0}, false}} {
		if got := c.s.Valid(); got != c.want {
			t.Errorf("%s.Valid() = %v, want %v", c.s, got, c.want)
		}
	}
}

// TestShardUnitsAreListerFolders: the units of the shard assignment are
// the lister's day folders (account, region, day; the log and digest
// folders of a day are one unit): each day folder's files are one unit,
// and each unit one day folder of each kind. A day folder whose listing
// failed is reported by the shard that owns its day, and nowhere else; a
// higher folder that failed by exactly one shard.
func TestShardUnitsAreListerFolders(t *testing.T) {
	src := genListing("trail")
	var digests listing
	for _, o := range src {
		if strings.HasSuffix(o.Key, "_u0.json.gz") {
			key := strings.Replace(o.Key, "/CloudTrail/", "/CloudTrail-Digest/", 1) + "-digest.json.gz"
			digests = append(digests, reader.Object{URI: "s3://trail/" + key, Bucket: "trail", Key: key})
		}
	}
	unitOf := map[string]string{}   // day folder → unit
	folderOf := map[string]string{} // kind and unit → day folder
	for _, o := range append(slices.Clone(src), digests...) {
		k, ok := reader.ParseKey(o.Key)
		if !ok {
			continue
		}
		folder, u := path.Dir(o.Key), reader.Unit(o)
		if prev, ok := unitOf[folder]; ok && prev != u {
			t.Fatalf("folder %s holds units %s and %s", folder, prev, u)
		}
		unitOf[folder] = u
		if prev, ok := folderOf[k.Kind+" "+u]; ok && prev != folder {
			t.Fatalf("unit %s spans folders %s and %s", u, prev, folder)
		}
		folderOf[k.Kind+" "+u] = folder
	}
	if len(unitOf) != 2*12*3*10 {
		t.Fatalf("%d day folders, want %d", len(unitOf), 2*12*3*10)
	}
	boom := errors.New("503 SlowDown")
	failed := func(prefix string) reader.Object {
		return reader.Object{URI: "s3://trail/" + prefix, Bucket: "trail", Key: prefix, Err: boom}
	}
	const n = 7
	for folder, u := range unitOf {
		f := failed(folder + "/")
		if got := reader.Unit(f); got != u {
			t.Fatalf("the failed folder %s is unit %q, its files %q", folder, got, u)
		}
		for i := range n {
			var got reader.Object
			if err := reader.Shard(listing{f}, reader.ShardSpec{Index: i, Count: n}).List(context.Background(), reader.Filter{},
				func(o reader.Object) error { got = o; return nil }); err != nil {
				t.Fatal(err)
			}
			owner := reader.ShardOf(u, n) == i
			if owner && (got.Err == nil || got.Skip != "") || !owner && (got.Err != nil || got.Skip != reader.SkipOtherShard) {
				t.Fatalf("shard %d/%d (owner of %s: %v): the failed folder came as Skip %q, Err %v", i, n, u, owner, got.Skip, got.Err)
			}
		}
	}
	region := failed("AWSLogs/o-abc123/111122220003/CloudTrail/eu-west-1/")
	owners := 0
	for i := range n {
		if reader.ShardOf(reader.Unit(region), n) == i {
			owners++
		}
	}
	if owners != 1 {
		t.Errorf("the failed region folder is reported by %d shards of %d, want 1", owners, n)
	}
}
