package esql

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDropped checks Program.Dropped against Finish: over groups built from
// records, a group the WHERE right after STATS drops, judged on the
// aggregates it reads alone (MergeGuard), is one Finish gives no row, and
// the other way round; a query without a WHERE right after STATS is never
// dropped early.
func TestDropped(t *testing.T) {
	recs := []string{
		`{"user.name":"alice","event.action":"CreateAccessKey","source.ip":"192.0.2.1"}`,
		`{"user.name":"alice","event.action":"ListBuckets","source.ip":"192.0.2.2"}`,
		`{"user.name":"alice","event.action":"ListBuckets","source.ip":"192.0.2.2"}`,
		`{"user.name":"bob","event.action":"ListBuckets","source.ip":"192.0.2.3"}`,
		`{"user.name":"carol","event.action":"CreateAccessKey","source.ip":"192.0.2.4"}`,
		`{"user.name":["dave","erin"],"event.action":"GetObject"}`,
	}
	const from = "FROM logs-aws.cloudtrail-* "
	cases := []struct {
		query   string
		guarded bool
	}{
		{from + `| STATS n = COUNT(*), c = COUNT(*) WHERE event.action == "CreateAccessKey", ips = VALUES(source.ip) BY user.name | WHERE n > 1 AND c > 0 | KEEP user.name, ips`, true},
		{from + `| STATS n = COUNT(*), d = COUNT_DISTINCT(source.ip), m = MIN(source.ip) BY user.name | WHERE d >= 2 OR user.name == "bob"`, true},
		{from + `| STATS ips = VALUES(source.ip) BY user.name | WHERE ips IS NULL`, true},
		{from + `| STATS n = COUNT(*) BY user.name | SORT n | WHERE n > 1`, false},
		{from + `| STATS n = COUNT(*) BY user.name | EVAL k = n * 2 | WHERE k > 2`, false},
	}
	now := time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC)
	for _, tc := range cases {
		q, err := Parse(tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		p, err := Compile(q)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		groups := map[string]*Group{}
		for _, s := range recs {
			for _, row := range p.Prefix(docFromJSON(t, s), now) {
				keys, args := p.Inputs(row)
				a, err := DecodeArgs(args)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					g := groups[strings.Join(k, "\x00")]
					if g == nil {
						if g, err = p.NewGroup(k); err != nil {
							t.Fatal(err)
						}
						groups[strings.Join(k, "\x00")] = g
					}
					g.Add(a)
				}
			}
		}
		dropped := 0
		for k, g := range groups {
			guard := g.Clone()
			guard.MergeGuard(g)
			got := p.Dropped(guard, now)
			if want := len(p.Finish(g, now)) == 0; got && !want || tc.guarded && got != want {
				t.Errorf("%s\n\tgroup %q: Dropped = %v, Finish gives no row = %v", tc.query, k, got, want)
			}
			if got {
				dropped++
			}
		}
		if tc.guarded && (dropped == 0 || dropped == len(groups)) {
			t.Errorf("%s: %d of %d groups dropped early: the records do not test both ways", tc.query, dropped, len(groups))
		}
		if !tc.guarded && dropped > 0 {
			t.Errorf("%s: %d groups dropped early, want none (no guard)", tc.query, dropped)
		}
	}
}

// TestGrokLiterals: the literals a GROK pattern's regexp requires are the
// case-sensitive ones of its top-level concatenation, and looking for them
// first never changes what the pattern captures.
func TestGrokLiterals(t *testing.T) {
	cases := []struct {
		pattern string
		want    []string
	}{
		{`.*accessKeyId=(?<k>AKIA[A-Z0-9]{16}).*`, []string{"accessKeyId="}},
		{`instanceId=(?<id>[^,}\]]+)`, []string{"instanceId="}},
		{`accessKeyId=%{NOTSPACE:k},`, []string{"accessKeyId=", ","}},
		{`(?i)userData=(?<u>.*)`, nil},
		{`a=(?<x>\w+)|b=(?<y>\w+)`, nil},
		{`%{NUMBER:num:int} %{WORD:w}`, []string{" "}},
	}
	inputs := []string{"", "x", "{accessKeyId=AKIAABCDEFGHIJKLMNOP, a=1}", "accessKeyId=AKIAABCDEFGHIJKLMNOP",
		"{accessKeyId=ASIAX, x=1}", "{instancesSet={items=[{instanceId=i-123}]}}", "USERDATA=abc", "a=1", "b=2", "42 foo", "42foo"}
	for _, tc := range cases {
		g, err := compileGrok(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		if !slices.Equal(g.lits, tc.want) {
			t.Errorf("%s: literals %q, want %q", tc.pattern, g.lits, tc.want)
		}
		plain := *g
		plain.lits = nil
		matched := 0
		for _, in := range inputs {
			got, want := g.match(in), plain.match(in)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s on %q: %v, without the literals %v", tc.pattern, in, got, want)
			}
			if slices.ContainsFunc(want, func(v any) bool { return v != nil }) {
				matched++
			}
		}
		if matched == 0 {
			t.Errorf("%s: no input matches: the comparison tests nothing", tc.pattern)
		}
	}
}

// TestState: a row's state (AppendRowState) is the state of a group of
// that row alone (AppendState), and merging rows' states (MergeState)
// gives the group that adding the rows gives: the same row from Finish.
func TestState(t *testing.T) {
	recs := []string{
		`{"user.name":"alice","event.action":"CreateAccessKey","source.ip":"192.0.2.1","n":3,"@timestamp":"2026-03-01T10:00:00Z"}`,
		`{"user.name":"alice","event.action":"ListBuckets","source.ip":["192.0.2.2","192.0.2.9"],"n":4.5}`,
		`{"user.name":"alice","event.action":"ListBuckets","source.ip":"192.0.2.2","n":9223372036854775807}`,
		`{"user.name":"alice","event.action":"GetObject"}`,
	}
	const q = `FROM logs-aws.cloudtrail-* | STATS c = COUNT(*), k = COUNT(*) WHERE event.action == "CreateAccessKey", ` +
		`d = COUNT_DISTINCT(source.ip), v = VALUES(source.ip), a = VALUES(event.action) WHERE event.action != "GetObject", ` +
		`lo = MIN(source.ip), hi = MAX(event.action), s = SUM(n), dn = COUNT_DISTINCT(n), vn = VALUES(n), ` +
		`vt = VALUES(@timestamp) BY user.name`
	pq, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(pq)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC)
	var added, merged *Group
	for _, s := range recs {
		for _, row := range p.Prefix(docFromJSON(t, s), now) {
			_, vals, args := p.Inputs1(row)
			one := p.NewGroupOf(vals[0])
			one.Add(args)
			if got, want := string(p.AppendRowState(nil, args)), string(one.AppendState(nil)); got != want {
				t.Errorf("%s: row state %q, one-row group's %q", s, got, want)
			}
			if added == nil {
				added, merged = p.NewGroupOf(vals[0]), p.NewGroupOf(vals[0])
			}
			added.Add(args)
			if err := merged.MergeState(string(p.AppendRowState(nil, args))); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, want := rowsJSON(p.Finish(merged, now)), rowsJSON(p.Finish(added, now))
	if !slices.Equal(got, want) || len(want) != 1 {
		t.Errorf("merged states: %v\n\tadded rows: %v", got, want)
	}
	if err := merged.MergeState("\x00"); err == nil {
		t.Error("MergeState of a truncated state: no error")
	}
	if err := merged.MergeState(strings.Repeat("\xff", 11)); err == nil {
		t.Error("MergeState of a state whose count overflows its varint: no error")
	}
	t.Log(want)
}
