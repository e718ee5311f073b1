package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
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
		if code := run(context.Background(), append([]string{"rules"}, args...), strings.NewReader(""), &out, &errb); code != 2 {
			t.Errorf("rules %v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
	count := func(args ...string) int {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append([]string{"rules", "--json"}, args...), strings.NewReader(""), &out, &errb); code != 0 {
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

// TestEmptySelection: a scan whose selection leaves no rule to run used to
// read everything and report nothing (exit 0); it now exits 2 and names
// the selection that emptied it. An unknown technique id exits 2 like an
// unknown tactic.
func TestEmptySelection(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--technique", "T9999"}, `--technique "T9999": no loaded rule maps to it`},
		{[]string{"--min-severity", "critical"}, "no rule to run: --min-severity critical selects none of the"},
		{[]string{"--rules", empty}, "no rule to run: --rules " + empty + " loaded no rule"},
		{[]string{"--query", `event.action: "GetCallerIdentity"`, "--min-severity", "high"}, "no rule to run: --min-severity high selects none of the 1 loaded rule(s)"},
		{[]string{"--tactic", "Persistence", "--min-severity", "critical"}, "--min-severity critical selects none"},
	}
	for _, c := range cases {
		code, stdout, stderr := cli(t, append([]string{"scan", "../../testdata/sample", "-q"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("scan %v: exit %d, stderr %q, stdout %q; want exit 2 and %q", c.args, code, stderr, stdout, c.want)
		}
	}
	// rules lists an empty selection (it is a question, not a hunt), but
	// an unknown technique is still an error.
	if code, _, stderr := cli(t, "rules", "--technique", "T9999"); code != 2 {
		t.Errorf("rules --technique T9999: exit %d, want 2 (%s)", code, stderr)
	}
	if code, stdout, stderr := cli(t, "rules", "--min-severity", "critical"); code != 0 || !strings.Contains(stdout, "0 rules") {
		t.Errorf("rules --min-severity critical: exit %d: %s %s", code, stdout, stderr)
	}
}

// TestTacticNameAndID: --tactic TA0003 and --tactic Persistence select the
// same rules in Elastic's corpus (which names both) and Sigma's (whose
// attack.persistence tags name only the tactic, so TA0003 used to select
// none of them).
func TestTacticNameAndID(t *testing.T) {
	for _, corpus := range []string{"elastic-aws", "sigma-aws"} {
		dir := gen.SharedDir(t, "rules", corpus)
		ids := func(args ...string) []string {
			code, stdout, stderr := cli(t, append([]string{"rules", "--json", "--rules", dir}, args...)...)
			if code != 0 {
				t.Fatalf("%s rules %v: exit %d: %s", corpus, args, code, stderr)
			}
			var infos []struct{ ID string }
			if err := json.Unmarshal([]byte(stdout), &infos); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, in := range infos {
				out = append(out, in.ID)
			}
			slices.Sort(out)
			return out
		}
		for _, pair := range [][2]string{{"TA0003", "Persistence"}, {"ta0004", "privilege-escalation"}, {"TA0005", "Defense Evasion"}, {"TA0001", "initial access"}} {
			byID, byName := ids("--tactic", pair[0]), ids("--tactic", pair[1])
			if len(byID) == 0 || !slices.Equal(byID, byName) {
				t.Errorf("%s: --tactic %s selects %d rules, --tactic %s %d; want the same, not none", corpus, pair[0], len(byID), pair[1], len(byName))
			}
		}
	}
}
