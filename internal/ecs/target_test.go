package ecs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// targetFields are the fields of ECS.md §3b.
var targetFields = []string{
	"user.target.name", "user.target.id", "user.changes.name", "group.name", "group.id",
	"user.email", "related.user", "related.ip", "related.hosts",
}

// TestTargetCases checks the target, group and related fields (ECS.md §3b)
// on our own cases, testdata/target/*.json: a raw record and the values
// some fields must have, in order ([] for absent), with a note saying which
// rule of the spec each case pins. Every §3b field must be both present and
// absent in some case. (TestResetMembersEqualsReset checks that a record read
// member by member has the same values, over the datasets.)
func TestTargetCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "target", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/target/*.json (%v)", err)
	}
	present, absent := map[string]bool{}, map[string]bool{}
	whole := NewRecord(Options{})
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Note   string
				Record json.RawMessage
				Fields map[string][]string
			}
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
			if c.Note == "" || len(c.Fields) == 0 {
				t.Fatal("a case needs a note and fields")
			}
			if err := whole.Reset(c.Record); err != nil {
				t.Fatalf("Reset: %v", err)
			}
			for name, want := range c.Fields {
				if want == nil {
					t.Fatalf("%s: null; write [] for absent", name)
				}
				if got := texts(whole.Values(Lookup(name))); !slices.Equal(got, want) {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
				if len(want) > 0 {
					present[name] = true
				} else {
					absent[name] = true
				}
			}
		})
	}
	for _, name := range targetFields {
		if !present[name] || !absent[name] {
			t.Errorf("%s: the cases should show it present (%v) and absent (%v)", name, present[name], absent[name])
		}
		if !Known(name) {
			t.Errorf("Known(%s) = false", name)
		}
	}
}

func TestSessionName(t *testing.T) {
	tests := []struct {
		arn  string
		want string // "" for none
	}{
		{"arn:aws:sts::123456789012:assumed-role/Role/session", "session"},
		{"arn:aws-us-gov:sts::123456789012:assumed-role/Role/a@b.c", "a@b.c"},
		{"arn:aws:sts::123456789012:federated-user/bob", "bob"},
		{"arn:aws:sts::123456789012:assumed-role/Role/", ""},
		{"arn:aws:sts::123456789012:assumed-role", ""},
		{"arn:aws:iam::123456789012:user/path/alice", ""},
		{"arn:aws:sts:123456789012:assumed-role/R/s", ""}, // five fields: not an ARN
		{"sts::1:x/y", ""},
	}
	for _, tt := range tests {
		got, ok := stsSessionName(tt.arn)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("stsSessionName(%q) = %q, %v; want %q", tt.arn, got, ok, tt.want)
		}
	}
}

func TestHostName(t *testing.T) {
	for s, want := range map[string]bool{
		"ec2.amazonaws.com": true, "a.b": true, "WIN-01.corp.example": true, "x1.y2.3com": true,
		"localhost": false, "AWS Internal": false, "10.0.0.256": false, "1.2.3.4": false,
		"a..b": false, "-a.b": false, "a-.b": false, "a.b.": false, "": false, "a_b.c": false,
		strings.Repeat("a", 64) + ".com": false, strings.Repeat("a.", 127) + "com": false,
	} {
		if got := hostName(s); got != want {
			t.Errorf("hostName(%.40q) = %v, want %v", s, got, want)
		}
	}
}
