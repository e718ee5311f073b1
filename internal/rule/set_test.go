package rule

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

// mapDoc is a query.Doc over field name → string values.
type mapDoc map[string][]string

func (d mapDoc) Values(f ecs.Field) []ecs.Value {
	var out []ecs.Value
	for _, s := range d[f.Name] {
		out = append(out, ecs.Value{Kind: ecs.KindString, S: s})
	}
	return out
}

func adhocRules(t *testing.T, qs ...string) []*Rule {
	t.Helper()
	rules, err := Adhoc(qs)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func TestNewSetDuplicate(t *testing.T) {
	a := &Rule{ID: "x", Path: "rules/a.toml", Supported: true}
	b := &Rule{ID: "x", Path: "rules/b.toml", Supported: true}
	// Runnable needs a compiled query: borrow one.
	q := adhocRules(t, `event.action: "A"`)[0]
	a.m, b.m = q.m, q.m
	_, err := NewSet([]*Rule{a, b})
	if err == nil || !strings.Contains(err.Error(), "rules/a.toml") || !strings.Contains(err.Error(), "rules/b.toml") || !strings.Contains(err.Error(), "x") {
		t.Errorf("err = %v, want a duplicate-id error naming both files", err)
	}
	sig := &Rule{ID: "x", Path: "rules/x.yml", Source: SourceSigma, Supported: true}
	sig.m = q.m
	a.Source = SourceElastic
	if _, err := NewSet([]*Rule{a, sig}); err != nil {
		t.Errorf("rules of different sources sharing an id: %v", err)
	}
	c := &Rule{ID: "x", Path: "rules/c.toml", Reason: "eql rules are not supported yet"}
	s, err := NewSet([]*Rule{a, c})
	if err != nil {
		t.Fatalf("an unsupported rule sharing an id: %v", err)
	}
	if got := s.All(); !reflect.DeepEqual(got, []*Rule{a, c}) {
		t.Errorf("All() = %v", got)
	}
	if got := s.Runnable(); !reflect.DeepEqual(got, []*Rule{a}) {
		t.Errorf("Runnable() = %v", got)
	}
}

func TestSetMatch(t *testing.T) {
	rules := adhocRules(t,
		`event.provider: "iam.amazonaws.com" and event.action: "CreateUser"`,          // 1: both exact
		`event.provider: "lambda.amazonaws.com" and event.action: CreateEventSource*`, // 2: action prefix
		`event.action: ("StopLogging" or "DeleteTrail")`,                              // 3: no provider constraint
		`user.name: "root"`, // 4: neither
		`event.provider: iam* and not event.action: "CreateUser"`, // 5: provider prefix, negated action
		`event.provider: "iam.amazonaws.com" or user.name: "eve"`, // 6: or: no constraint
	)
	s, err := NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		provider, action, user string
		want                   []string
		canMatch               bool
	}{
		{"iam.amazonaws.com", "CreateUser", "", []string{"adhoc-1", "adhoc-6"}, true},
		{"iam.amazonaws.com", "DeleteUser", "", []string{"adhoc-5", "adhoc-6"}, true},
		{"lambda.amazonaws.com", "CreateEventSourceMapping20150331", "", []string{"adhoc-2"}, true},
		{"lambda.amazonaws.com", "CreateFunction20150331", "root", []string{"adhoc-4"}, true},
		{"cloudtrail.amazonaws.com", "StopLogging", "eve", []string{"adhoc-3", "adhoc-6"}, true},
		{"s3.amazonaws.com", "GetObject", "", nil, true}, // rules 4 and 6 can match any record
	}
	for _, tt := range tests {
		d := mapDoc{"event.provider": {tt.provider}, "event.action": {tt.action}}
		if tt.user != "" {
			d["user.name"] = []string{tt.user}
		}
		var got []string
		for _, r := range s.Match(d, tt.provider, tt.action, nil) {
			got = append(got, r.ID)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Match(%s %s %s) = %q, want %q", tt.provider, tt.action, tt.user, got, tt.want)
		}
		if s.CanMatch(tt.provider, tt.action) != tt.canMatch {
			t.Errorf("CanMatch(%s, %s) = %v", tt.provider, tt.action, !tt.canMatch)
		}
	}

	// Only pinned rules: records of other services are skipped unread.
	pinned, err := NewSet(rules[:2])
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		provider, action string
		want             bool
	}{
		{"iam.amazonaws.com", "CreateUser", true},
		{"iam.amazonaws.com", "CreateUserX", false},
		{"lambda.amazonaws.com", "CreateEventSource", true},
		{"lambda.amazonaws.com", "CreateEventSourc", false},
		{"s3.amazonaws.com", "CreateUser", false},
		{"", "", false},
	} {
		if got := pinned.CanMatch(tt.provider, tt.action); got != tt.want {
			t.Errorf("pinned CanMatch(%q, %q) = %v, want %v", tt.provider, tt.action, got, tt.want)
		}
	}

	var names []string
	for _, f := range s.Fields() {
		names = append(names, f.Name)
	}
	if want := []string{"event.action", "event.provider", "user.name"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Fields() = %q, want %q", names, want)
	}
}

// records returns raw CloudTrail records from ../shared/datasets: every
// Stratus detonation and every Invictus record.
func records(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	add := func(data []byte, wrapped bool) {
		var recs []json.RawMessage
		if wrapped {
			var v struct{ Records []json.RawMessage }
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			recs = v.Records
		} else if err := json.Unmarshal(data, &recs); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			out = append(out, r)
		}
	}
	stratus := gen.SharedDir(t, "datasets", "stratus-detonations")
	files, _ := filepath.Glob(filepath.Join(stratus, "*.json"))
	for _, f := range files {
		add(mustRead(t, f), false)
	}
	invictus := gen.SharedDir(t, "datasets", "invictus-aws")
	logs, err := gen.LogFiles(invictus)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range logs {
		data, err := gen.ReadLog(p)
		if err != nil {
			t.Fatal(err)
		}
		add(data, true)
	}
	return out
}

// TestSetEquivalence checks that the index never changes results: Set.Match
// equals evaluating every runnable rule, on real records and on records whose
// eventSource/eventName were swapped for names the rules pin, and CanMatch is
// true whenever some rule matches.
func TestSetEquivalence(t *testing.T) {
	loaded, errs := Load([]string{gen.SharedDir(t, "rules", "elastic-aws"), gen.SharedDir(t, "rules", "sigma-aws")})
	if len(errs) > 0 {
		t.Fatalf("load errors: %v", errs)
	}
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSet(Overlay(builtin, loaded))
	if err != nil {
		t.Fatal(err)
	}
	raws := records(t)
	if len(raws) < 3000 {
		t.Fatalf("only %d dataset records", len(raws))
	}

	// Names the rules pin, to steer mutated records into the rules' paths.
	var provs, acts []string
	// Identities the rules pin, in their case and others, and values that
	// are not strings: the index must admit every rule these could match.
	idents := []any{nil, "", "root", "ROOT", "assumedrole", 5, map[string]any{"type": "Root"}, []any{"Root", "IAMUser"}, []any{}}
	for _, r := range s.Runnable() {
		if c, ok := r.m.Constraint(identityField); ok {
			idents = append(idents, anys(c.Exact)...)
		}
		if fc, ok := r.m.(FoldConstrainer); ok {
			if c, ok := fc.FoldConstraint(identityField); ok {
				idents = append(idents, anys(c.Exact)...)
			}
		}
		if c, ok := r.m.Constraint("event.provider"); ok {
			provs = append(provs, c.Exact...)
		}
		if c, ok := r.m.Constraint("event.action"); ok {
			acts = append(acts, c.Exact...)
			for _, p := range c.Prefixes {
				acts = append(acts, p, p+"20150331")
			}
		}
	}
	// User agents the rules search for, whole, within others and in
	// other cases, with near misses.
	agents := []any{"TruffleHog", "trufflehog", "TRUFFLEHOG", "aws-sdk-go TruffleHog/3.63", "Boto3/1.34 distrib#kali.2024",
		"aws-cli/2 Linux/6.6.9-amd64 +kali", "python-requests kali-amd64", "kali-arm64", "kal-amd64 Truffle Hog",
		"S3 Browser 11.5.7 https://s3browser.com", "Cyberduck/8.7.1 (Mac OS X)", "cyberduck/8", "s3 browser", 7, []any{"x", "TruffleHog"}}
	rng := rand.New(rand.NewPCG(1, 2))
	n := len(raws)
	for i := 0; i < n; i++ {
		var m map[string]any
		if err := json.Unmarshal(raws[i], &m); err != nil {
			t.Fatal(err)
		}
		m["eventSource"] = provs[rng.IntN(len(provs))]
		m["eventName"] = acts[rng.IntN(len(acts))]
		if rng.IntN(4) == 0 {
			delete(m, "errorCode")
			delete(m, "errorMessage")
		}
		if rng.IntN(3) == 0 {
			m["userAgent"] = agents[rng.IntN(len(agents))]
		}
		if ui, ok := m["userIdentity"].(map[string]any); ok && rng.IntN(2) == 0 {
			if v := idents[rng.IntN(len(idents))]; v == nil {
				delete(ui, "type")
			} else {
				ui["type"] = v
			}
		}
		b, _ := json.Marshal(m)
		raws = append(raws, b)
	}

	rec := ecs.NewRecord(ecs.Options{})
	lazy := ecs.NewRecord(ecs.Options{}) // read member by member, as the scanner does
	provider, action := ecs.Lookup("event.provider"), ecs.Lookup("event.action")
	var matched, skipped, evaluated, evaluatedID int
	var buf []*Rule
	local := s.Local()
	for i, raw := range raws {
		if err := rec.Reset(raw); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		var brute []*Rule
		for _, r := range s.Runnable() {
			if r.Match(rec) {
				brute = append(brute, r)
			}
		}
		p, a := first(rec.Values(provider)), first(rec.Values(action))
		buf = s.Match(rec, p, a, buf[:0])
		if !slices.Equal(buf, brute) {
			t.Errorf("record %d (%s %s): Set.Match %v, brute force %v\n%s", i, p, a, ids(buf), ids(brute), bytes.TrimSpace(raw))
		}
		if lb := local.Match(rec, p, a, nil); !slices.Equal(lb, brute) {
			t.Errorf("record %d (%s %s): Local.Match %v, brute force %v", i, p, a, ids(lb), ids(brute))
		}
		dec, err := reader.NewDecoder(bytes.NewReader(append(append([]byte("["), raw...), ']')), reader.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		split, err := dec.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if err := lazy.ResetMembers(split, dec.Index()); err != nil {
			t.Fatalf("record %d: ResetMembers: %v", i, err)
		}
		if lb := local.Match(lazy, lazy.StrView("eventSource"), lazy.StrView("eventName"), nil); !slices.Equal(lb, brute) {
			t.Errorf("record %d (%s %s): read member by member %v, whole %v", i, p, a, ids(lb), ids(brute))
		}
		// By provider, action and identity.
		for _, r := range []*ecs.Record{rec, lazy} {
			if got := s.MatchRecord(r, nil); !slices.Equal(got, brute) {
				t.Errorf("record %d (%s %s): Set.MatchRecord %v, brute force %v\n%s", i, p, a, ids(got), ids(brute), bytes.TrimSpace(raw))
			}
			if got := local.MatchRecord(r, nil); !slices.Equal(got, brute) {
				t.Errorf("record %d (%s %s): Local.MatchRecord %v, brute force %v", i, p, a, ids(got), ids(brute))
			}
		}
		if len(brute) > 0 {
			matched++
			if !s.CanMatch(p, a) {
				t.Errorf("record %d (%s %s): CanMatch false, but %v match", i, p, a, ids(brute))
			}
		}
		if !s.CanMatch(p, a) {
			skipped++
		}
		evaluated += len(s.candidates(knownKeys(p, a), nil))
		evaluatedID += len(s.candidates(recordKeys(lazy), nil))
	}
	distinct, leaves := map[string]bool{}, 0
	for _, r := range s.Runnable() {
		for _, k := range leafKeys(r.m) {
			distinct[k] = true
			leaves++
		}
	}
	t.Logf("%d leaf predicates, %d distinct, %d of them shared by two leaves or more", leaves, len(distinct), s.Shared())
	if s.Shared() == 0 {
		t.Error("the rules share no predicate")
	}
	avg := float64(evaluated) / float64(len(raws))
	t.Logf("%d records, %d matched some rule, %d skipped by CanMatch, %.1f of %d rules evaluated per record (%.1f with the identity index)",
		len(raws), matched, skipped, avg, len(s.Runnable()), float64(evaluatedID)/float64(len(raws)))
	if evaluatedID >= evaluated {
		t.Errorf("the identity index evaluates %d rules, provider and action alone %d: it should narrow", evaluatedID, evaluated)
	}
	if avg > float64(len(s.Runnable()))/10 {
		t.Errorf("the index evaluates %.1f of %d rules per record; it should narrow to a few", avg, len(s.Runnable()))
	}
	if matched == 0 {
		t.Error("no record matched any rule: the test exercises nothing")
	}
}

func ids(rules []*Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.ID)
	}
	return out
}

// TestLocalPairs: a Local's candidate cache keeps pairs apart whose
// provider and action concatenate to the same bytes.
func TestLocalPairs(t *testing.T) {
	rules := adhocRules(t,
		`event.provider: "ab" and event.action: "c"`,
		`event.provider: "a" and event.action: "bc"`,
	)
	s, err := NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	local := s.Local()
	for range 2 { // the second round answers from the cache
		for _, tt := range []struct{ provider, action, want string }{
			{"ab", "c", "adhoc-1"}, {"a", "bc", "adhoc-2"}, {"abc", "", ""}, {"", "abc", ""},
		} {
			d := mapDoc{"event.provider": {tt.provider}, "event.action": {tt.action}}
			c := local.candidates(knownKeys(tt.provider, tt.action))
			var got string
			if len(c) == 1 {
				got = c[0].r.ID
			}
			if len(c) > 1 || got != tt.want {
				t.Errorf("candidates(%q, %q) = %d rules (%s), want %q", tt.provider, tt.action, len(c), got, tt.want)
			}
			if m := local.Match(d, tt.provider, tt.action, nil); len(m) != len(c) {
				t.Errorf("Match(%q, %q) = %d rules, want %d", tt.provider, tt.action, len(m), len(c))
			}
		}
	}
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
