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
