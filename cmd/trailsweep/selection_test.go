package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

func TestSelectionFlags(t *testing.T) {
	bad := [][]string{
		{"--min-severity", "severe"},
		{"--rule-id", "no-such-rule"},
		{"--exclude-rule-id", "no-such-rule"},
		{"--tactic", "Teleportation"},
		{"--technique", "X1"},
		{"--rule-type", "magic"},
	}
	for _, args := range bad {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append([]string{"rules"}, args...), &out, &errb); code != 2 {
			t.Errorf("rules %v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
	count := func(args ...string) int {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append([]string{"rules", "--json"}, args...), &out, &errb); code != 0 {
			t.Fatalf("rules %v: exit %d: %s", args, code, errb.String())
		}
		var infos []map[string]any
		if err := json.Unmarshal(out.Bytes(), &infos); err != nil {
			t.Fatal(err)
		}
		return len(infos)
	}
	all := count()
	if n := count("--min-severity", "critical"); n >= all {
		t.Errorf("--min-severity critical kept %d of %d built-in rules", n, all)
	}
	if n := count("--rule-type", "eql"); n != 0 {
		t.Errorf("--rule-type eql kept %d built-in rules, want 0", n)
	}
}
