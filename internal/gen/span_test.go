package gen

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSpan: a span tree is one file an account-hour of 5 to 15 records in
// time order within its hour; the same options give the same bytes, a
// cached tree is kept, and a longer span starts with the shorter one.
func TestSpan(t *testing.T) {
	base := t.TempDir()
	one, err := Span(filepath.Join(base, "a"), SpanOptions{Days: 1, Accounts: 3, IPs: 1000, Seed: 5, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if one.Objects != 72 || one.Records < 72*5 || one.Records > 72*15 {
		t.Fatalf("manifest %+v: want 72 objects of 5-15 records", one)
	}
	a := treeBytes(t, filepath.Join(base, "a"))
	again, err := Span(filepath.Join(base, "b"), SpanOptions{Days: 1, Accounts: 3, IPs: 1000, Seed: 5, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if b := treeBytes(t, filepath.Join(base, "b")); len(b) != len(a) || *again != *one {
		t.Fatalf("same options, other workers: %d files against %d, manifest %+v against %+v", len(b), len(a), again, one)
	} else {
		for k, v := range a {
			if !bytes.Equal(b[k], v) {
				t.Fatalf("%s differs between two generations", k)
			}
		}
	}
	two, err := Span(filepath.Join(base, "c"), SpanOptions{Days: 2, Accounts: 3, IPs: 1000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	c := treeBytes(t, filepath.Join(base, "c"))
	if two.Objects != 144 || len(c) != 144 {
		t.Fatalf("two days: %d objects, %d files; want 144", two.Objects, len(c))
	}
	for k, v := range a {
		if !bytes.Equal(c[k], v) {
			t.Fatalf("%s: the two-day tree does not start with the one-day tree", k)
		}
	}
	ips := map[string]bool{}
	for k, gz := range a {
		var doc struct {
			Records []struct {
				EventTime       time.Time `json:"eventTime"`
				SourceIPAddress string    `json:"sourceIPAddress"`
			}
		}
		if err := json.Unmarshal(mustGunzip(t, gz), &doc); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !strings.Contains(k, "/us-east-1/") || len(doc.Records) < 5 || len(doc.Records) > 15 {
			t.Errorf("%s: %d records", k, len(doc.Records))
		}
		for i, r := range doc.Records {
			if i > 0 && r.EventTime.Before(doc.Records[i-1].EventTime) {
				t.Errorf("%s: record %d out of time order", k, i)
			}
			ips[r.SourceIPAddress] = true
		}
	}
	if len(ips) < 100 {
		t.Errorf("%d distinct source addresses over %d records: the pool is not drawn from", len(ips), one.Records)
	}
}

// TestSpanTwoRegions: with TwoRegions, the first accounts log in eu-west-1
// too, one file an hour; the first region's files are those of a tree
// without, and a longer span starts with the shorter one in both regions.
func TestSpanTwoRegions(t *testing.T) {
	base := t.TempDir()
	opts := SpanOptions{Days: 1, Accounts: 3, IPs: 1000, Seed: 5}
	if _, err := Span(filepath.Join(base, "plain"), opts); err != nil {
		t.Fatal(err)
	}
	opts.TwoRegions = 2
	two, err := Span(filepath.Join(base, "two"), opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Days = 2
	longer, err := Span(filepath.Join(base, "longer"), opts)
	if err != nil {
		t.Fatal(err)
	}
	p, a, l := treeBytes(t, filepath.Join(base, "plain")), treeBytes(t, filepath.Join(base, "two")), treeBytes(t, filepath.Join(base, "longer"))
	if two.Objects != 24*5 || len(a) != 24*5 || longer.Objects != 48*5 || len(l) != 48*5 {
		t.Fatalf("%d objects (%d files), two days %d (%d files); want 120 and 240", two.Objects, len(a), longer.Objects, len(l))
	}
	accounts := map[string]int{}
	for k, v := range a {
		if strings.Contains(k, "/eu-west-1/") {
			accounts[strings.Split(k, "/")[1]]++
		} else if !bytes.Equal(p[k], v) {
			t.Errorf("%s: not the file of the tree with one region", k)
		}
		if !bytes.Equal(l[k], v) {
			t.Errorf("%s: the two-day tree does not start with the one-day tree", k)
		}
	}
	if len(accounts) != 2 || accounts["100000000000"] != 24 || accounts["100001000003"] != 24 {
		t.Errorf("eu-west-1 files by account: %v, want 24 for each of the first two", accounts)
	}
}
