package rule

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/extsort"
	"github.com/trailsweep/trailsweep/report"
)

// propRules returns the aggregate rules the property tests run: new_terms
// on one and two fields, threshold with span > step, span < step, span a
// multiple of step, with and without cardinality and without group fields,
// and EQL sequences with and without maxspan, one step matching what two
// steps select.
func propRules(t *testing.T) []*Rule {
	t.Helper()
	srcs := []string{
		fmt.Sprintf(head, "nt-user") + `type = "new_terms"
query = "event.action: Login"
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-1d"
`,
		fmt.Sprintf(head, "nt-pair") + `type = "new_terms"
query = "event.action: (Login or A)"
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name", "source.ip"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-2h"
`,
		fmt.Sprintf(head, "th-overlap") + `type = "threshold"
query = "event.action: (A or B)"
from = "now-6m"
interval = "5m"
[rule.threshold]
field = ["user.name"]
value = 3
`,
		fmt.Sprintf(head, "th-wide") + `type = "threshold"
query = "event.action: (A or B or C)"
from = "now-30m"
interval = "10m"
[rule.threshold]
field = ["user.name"]
value = 4
`,
		fmt.Sprintf(head, "th-gap") + `type = "threshold"
query = "event.action: B"
from = "now-3m"
interval = "5m"
[rule.threshold]
field = ["user.name"]
value = 2
`,
		fmt.Sprintf(head, "th-card") + `type = "threshold"
query = "event.action: (A or C)"
from = "now-1h"
interval = "20m"
[rule.threshold]
field = ["user.name"]
value = 2
[[rule.threshold.cardinality]]
field = "source.ip"
value = 2
`,
		fmt.Sprintf(head, "th-all") + `type = "threshold"
query = "event.action: C"
from = "now-2h"
interval = "1h"
[rule.threshold]
field = []
value = 6
`,
		fmt.Sprintf(head, "seq") + `type = "eql"
language = "eql"
query = '''
sequence by user.name with maxspan=30m
  [any where event.action == "A"]
  [any where event.action in ("A", "B")]
  [any where event.action == "C"]
'''
`,
		fmt.Sprintf(head, "seq-short") + `type = "eql"
language = "eql"
query = '''
sequence by user.name with maxspan=5m
  [any where event.action == "A"]
  [any where event.action == "C"]
'''
`,
		fmt.Sprintf(head, "seq-ip") + `type = "eql"
language = "eql"
query = '''
sequence by source.ip
  [any where event.action == "Login"]
  [any where event.action == "C"]
'''
`,
	}
	var rules []*Rule
	for _, s := range srcs {
		r := mustParse(t, s)
		if !r.Aggregate() {
			t.Fatalf("rule %s is not an aggregate rule", r.ID)
		}
		rules = append(rules, r)
	}
	return rules
}

// propRec is one record of a property test: where it was read and whether
// it was read as history.
type propRec struct {
	t       time.Time
	doc     mapDoc
	uri     string
	idx     int64
	history bool
}

// propGen describes the records propRecords makes.
type propGen struct {
	n      int      // records, about
	days   int      // span
	users  []string // user.name values
	ips    []string // source.ip values
	bursts bool     // dense runs of one user's events (threshold, sequences)
}

func pool(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(prefix, i)
	}
	return out
}

// propRecords returns random records over g.days from t0: scattered ones
// and bursts of one user within minutes; some at the same instant as an
// earlier one in another object or at another index; some history, and
// some read both as history and in the scan at the same position.
func propRecords(rng *rand.Rand, g propGen) []propRec {
	actions := []string{"Login", "Login", "A", "B", "C"}
	next := map[string]int64{} // per object: the next record index
	place := func(history bool) (string, int64) {
		uri := fmt.Sprint("s3://trail/", rng.Intn(12), ".json.gz")
		if history {
			uri = fmt.Sprint("s3://history/", rng.Intn(4), ".json.gz")
		}
		i := next[uri]
		next[uri] = i + 1 + int64(rng.Intn(3))
		return uri, i
	}
	span := time.Duration(g.days) * 24 * time.Hour
	edges := []time.Duration{24 * time.Hour, 2 * time.Hour, time.Hour, 30 * time.Minute, 20 * time.Minute,
		10 * time.Minute, 6 * time.Minute, 5 * time.Minute, 3 * time.Minute, -24 * time.Hour, -2 * time.Hour, -30 * time.Minute}
	var out []propRec
	add := func(t time.Time, doc mapDoc) {
		r := propRec{t: t, doc: doc}
		switch p := rng.Intn(20); {
		case p < 2: // history
			r.history = true
		case p < 3 && len(out) > 0: // the instant of an earlier record
			r.t = out[rng.Intn(len(out))].t
		case p < 5 && len(out) > 0:
			// An earlier record's terms exactly a window, step, span or
			// maxspan away: on the edges of the rules' intervals.
			old := out[rng.Intn(len(out))]
			r.doc = maps.Clone(old.doc)
			r.doc["event.action"] = doc["event.action"]
			r.t = old.t.Add(edges[rng.Intn(len(edges))])
		}
		r.uri, r.idx = place(r.history)
		out = append(out, r)
		if r.history && rng.Intn(3) == 0 {
			// The same record read by the scan too, at the same position.
			r.history = false
			out = append(out, r)
		}
	}
	doc := func(action, user string) mapDoc {
		d := mapDoc{"event.action": {action}}
		if user != "" {
			d["user.name"] = []string{user}
		}
		switch rng.Intn(8) {
		case 0: // no source.ip: new_terms on it and seq-ip skip the record
		case 1:
			d["source.ip"] = []string{g.ips[rng.Intn(len(g.ips))], g.ips[rng.Intn(len(g.ips))]}
		default:
			d["source.ip"] = []string{g.ips[rng.Intn(len(g.ips))]}
		}
		return d
	}
	for len(out) < g.n {
		user := g.users[rng.Intn(len(g.users))]
		if rng.Intn(30) == 0 {
			user = "" // no user.name
		}
		at := t0.Add(time.Duration(rng.Int63n(int64(span))))
		if rng.Intn(4) == 0 {
			at = at.Truncate(time.Minute) // round instants: on window edges
		}
		if !g.bursts || rng.Intn(3) > 0 {
			add(at, doc(actions[rng.Intn(len(actions))], user))
			continue
		}
		for range 3 + rng.Intn(12) {
			add(at, doc(actions[2+rng.Intn(3)], user))
			at = at.Add(time.Duration(rng.Int63n(int64(3 * time.Minute))))
		}
	}
	return out
}

// propEvents returns the events the records yield for rules, as a scan's
// workers make them.
func propEvents(rules []*Rule, recs []propRec) []Event {
	var evs []Event
	for i, rc := range recs {
		for _, r := range rules {
			if !r.Match(rc.doc) {
				continue
			}
			f := report.Finding{RuleID: r.ID, EventTime: rc.t, EventID: fmt.Sprint("e", i), SourceURI: rc.uri, RecordIndex: rc.idx}
			evs = testEvents(r, rc.doc, &f, rc.history, evs)
		}
	}
	return evs
}

// findingCmp orders findings as Flush promises: event time, rule id,
// object, record index, details.
func findingCmp(x, y report.Finding) int {
	if c := x.EventTime.Compare(y.EventTime); c != 0 {
		return c
	}
	for _, p := range [][2]string{{x.RuleID, y.RuleID}, {x.SourceURI, y.SourceURI}} {
		if c := strings.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	if x.RecordIndex != y.RecordIndex {
		if x.RecordIndex < y.RecordIndex {
			return -1
		}
		return 1
	}
	return strings.Compare(x.Details, y.Details)
}

// normalised returns fs sorted by findingCmp with times in UTC, so that
// DeepEqual compares instants.
func normalised(fs []report.Finding) []report.Finding {
	out := slices.Clone(fs)
	for i := range out {
		out[i].EventTime = out[i].EventTime.UTC()
	}
	slices.SortStableFunc(out, findingCmp)
	return out
}

func shuffled(rng *rand.Rand, evs []Event) []Event {
	out := slices.Clone(evs)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// runAggregator adds evs to a new Aggregator and returns its findings in
// the order Flush emits them, and the runs its events spilt.
func runAggregator(t *testing.T, opts AggOptions, evs []Event) ([]report.Finding, int) {
	t.Helper()
	a := NewAggregator(opts)
	for i := range evs {
		if err := a.Add(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	runs, _ := a.Spilt()
	return flushAll(t, a), runs
}

// diffFindings reports the first difference of two sorted finding lists.
func diffFindings(t *testing.T, got, want []report.Finding) {
	t.Helper()
	count := func(fs []report.Finding) map[string]int {
		m := map[string]int{}
		for _, f := range fs {
			m[f.RuleID]++
		}
		return m
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w report.Finding
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%d findings (per rule %v), want %d (%v); first difference at %d:\n got %+v\nwant %+v",
				len(got), count(got), len(want), count(want), i, g, w)
		}
	}
}

// TestAggregatorMatchesReference runs random records through the
// Aggregator, with tiny memory so that its events and findings spill, and
// through the in-memory reference: the findings must be the same, details
// included, whatever order the events arrive in.
func TestAggregatorMatchesReference(t *testing.T) {
	rules := propRules(t)
	tests := []struct {
		name  string
		seed  int64
		gen   propGen
		start time.Duration // AggOptions.Start after t0; 0: none
	}{
		{"many terms", 1, propGen{n: 1500, days: 5, users: pool("user-", 400), ips: pool("10.0.0.", 60), bursts: true}, 0},
		{"few users dense", 2, propGen{n: 1500, days: 2, users: pool("u", 6), ips: pool("192.0.2.", 5), bursts: true}, 0},
		{"start set", 3, propGen{n: 1200, days: 4, users: pool("user-\xff", 150), ips: pool("198.51.100.", 30), bursts: true}, 36 * time.Hour},
		{"start before the data", 4, propGen{n: 800, days: 3, users: pool("w", 40), ips: pool("203.0.113.", 10)}, -12 * time.Hour},
	}
	perRule := map[string]int{} // findings of the reference
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(tt.seed))
			evs := propEvents(rules, propRecords(rng, tt.gen))
			var opts AggOptions
			if tt.start != 0 {
				opts.Start = t0.Add(tt.start)
			}
			ref := newRefAggregator(opts)
			for _, e := range shuffled(rng, evs) {
				ref.Add(&e)
			}
			want := normalised(ref.Flush())
			for _, f := range want {
				perRule[f.RuleID]++
			}
			checkNewTermsBruteForce(t, rules, evs, opts, want)

			for _, mem := range []int{4 << 10, 64 << 10, 0} {
				t.Run(fmt.Sprint("memory=", mem), func(t *testing.T) {
					o := opts
					o.Dir, o.Memory = t.TempDir(), mem
					got, runs := runAggregator(t, o, shuffled(rng, evs))
					if mem > 0 && runs == 0 {
						t.Errorf("no runs spilt with %d bytes of memory: the test does not exercise the spill", mem)
					}
					t.Logf("%d events, %d runs spilt", len(evs), runs)
					if mem == 0 && runs != 0 {
						t.Errorf("%d runs spilt with the default memory", runs)
					}
					if left := dirNames(t, o.Dir); len(left) > 0 {
						t.Errorf("after Flush the work dir holds %v", left)
					}
					if !slices.IsSortedFunc(got, findingCmp) {
						t.Errorf("Flush emits findings out of (time, rule, uri, index, details) order")
					}
					diffFindings(t, normalised(got), want)
				})
			}
		})
	}
	for _, r := range rules {
		if perRule[r.ID] < 5 {
			t.Errorf("rule %s: %d findings in all: the data does not exercise it", r.ID, perRule[r.ID])
		}
	}
	t.Logf("reference findings per rule: %v", perRule)
}

// TestAggregatorWorkers: Flush decides the same, in the same order, on any
// number of workers and at any memory as on one: which part takes a group,
// and the order in which the parts decide, change nothing.
func TestAggregatorWorkers(t *testing.T) {
	rules := propRules(t)
	rng := rand.New(rand.NewSource(5))
	evs := propEvents(rules, propRecords(rng, propGen{n: 1500, days: 4, users: pool("user-", 200), ips: pool("10.0.0.", 40), bursts: true}))
	want, _ := runAggregator(t, AggOptions{Dir: t.TempDir(), Workers: 1}, evs)
	if len(want) == 0 {
		t.Fatal("no findings: the test exercises nothing")
	}
	for _, workers := range []int{2, 3, 8} {
		for _, mem := range []int{4 << 10, 16 << 10, 0} {
			t.Run(fmt.Sprintf("workers=%d/memory=%d", workers, mem), func(t *testing.T) {
				o := AggOptions{Dir: t.TempDir(), Memory: mem, Workers: workers}
				a := NewAggregator(o)
				ev := shuffled(rng, evs)
				for i := range ev {
					if err := a.Add(&ev[i]); err != nil {
						t.Fatal(err)
					}
				}
				for i, p := range a.parts {
					if p.Len() == 0 {
						t.Errorf("part %d of %d took no events", i, workers)
					}
					if mem > 0 && p.Runs() == 0 {
						t.Errorf("part %d of %d spilt no run with %d bytes of memory: the test does not exercise the spill", i, workers, mem)
					}
				}
				diffFindings(t, flushAll(t, a), want)
				if left := dirNames(t, o.Dir); len(left) > 0 {
					t.Errorf("after Flush the work dir holds %v", left)
				}
			})
		}
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// bruteNewTerms decides new_terms from its definition, independently of
// either Aggregator: an event is a finding iff it is not history, it lies a
// whole window after the start (AggOptions.Start, else the earliest event
// of any rule), and no other event of its rule and terms lies in
// [t-window, t) or at t before it (object, then index, then history first).
// It returns "rule|uri|index|terms" per finding, sorted, the terms as
// details hold them.
func bruteNewTerms(rules []*Rule, evs []Event, opts AggOptions) []string {
	start := opts.Start
	if start.IsZero() {
		for _, e := range evs {
			if start.IsZero() || e.Time.Before(start) {
				start = e.Time
			}
		}
	}
	earlier := func(o, e *Event) bool { // o before e at the same instant
		if o.Source != e.Source {
			return o.Source < e.Source
		}
		if o.Index != e.Index {
			return o.Index < e.Index
		}
		return o.History && !e.History
	}
	var out []string
	for _, r := range rules {
		if r.agg.kind != aggNewTerms {
			continue
		}
		w := r.agg.window
		groups := map[string][]*Event{}
		for i := range evs {
			if e := &evs[i]; e.Rule == r {
				k := fmt.Sprintf("%q", e.Key)
				groups[k] = append(groups[k], e)
			}
		}
		for _, g := range groups {
		next:
			for _, e := range g {
				if e.History || e.Time.Before(start.Add(w)) {
					continue
				}
				for _, o := range g {
					if o == e {
						continue
					}
					if (!o.Time.Before(e.Time.Add(-w)) && o.Time.Before(e.Time)) || (o.Time.Equal(e.Time) && earlier(o, e)) {
						continue next
					}
				}
				out = append(out, fmt.Sprintf("%s|%s|%d|%q", r.ID, e.Source, e.Index, jsonStrings(e.Key)))
			}
		}
	}
	sort.Strings(out)
	return out
}

// jsonStrings returns ss as they read back from JSON: details are JSON, and
// json.Marshal turns invalid UTF-8 into U+FFFD.
func jsonStrings(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		b, _ := json.Marshal(s)
		json.Unmarshal(b, &out[i])
	}
	return out
}

// newTermsFound returns "rule|uri|index|terms" for the new_terms findings
// among fs, the terms read from their details.
func newTermsFound(t *testing.T, rules []*Rule, fs []report.Finding) []string {
	t.Helper()
	byID := map[string]*Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	var out []string
	for _, f := range fs {
		r := byID[f.RuleID]
		if r == nil || r.agg.kind != aggNewTerms {
			continue
		}
		var d struct {
			NewTerms map[string]string `json:"new_terms"`
		}
		if err := json.Unmarshal([]byte(f.Details), &d); err != nil {
			t.Fatalf("finding %s details %q: %v", f.EventID, f.Details, err)
		}
		key := make([]string, len(r.agg.fields))
		for i, fl := range r.agg.fields {
			v, ok := d.NewTerms[fl.Name]
			if !ok {
				t.Fatalf("finding %s details %s lack %s", f.EventID, f.Details, fl.Name)
			}
			key[i] = v
		}
		out = append(out, fmt.Sprintf("%s|%s|%d|%q", r.ID, f.SourceURI, f.RecordIndex, key))
	}
	sort.Strings(out)
	return out
}

func checkNewTermsBruteForce(t *testing.T, rules []*Rule, evs []Event, opts AggOptions, got []report.Finding) {
	t.Helper()
	want := bruteNewTerms(rules, evs, opts)
	if len(want) == 0 {
		t.Fatal("brute force finds no new terms: the data does not exercise new_terms")
	}
	if g := newTermsFound(t, rules, got); !slices.Equal(g, want) {
		missing, extra := setDiff(want, g), setDiff(g, want)
		t.Errorf("new_terms findings differ from the brute force: %d missing %q, %d extra %q", len(missing), missing[:min(5, len(missing))], len(extra), extra[:min(5, len(extra))])
	}
}

// setDiff returns the elements of a not in b (both sorted).
func setDiff(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, ok := slices.BinarySearch(b, s); !ok {
			out = append(out, s)
		}
	}
	return out
}

// TestAggregatorNewTermsBruteForce checks new_terms against its definition
// with term values the reference cannot tell apart (it joins terms with
// NUL): values holding NUL, 0x01 and 0xFF, prefixes of one another.
func TestAggregatorNewTermsBruteForce(t *testing.T) {
	rules := propRules(t)[:2]
	users := []string{"a", "a\x00", "a\x00b", "\x00", "", "a\x01", "a\xff", "a\x00\xff", "b"}
	ips := []string{"x", "\x00x", "x\x00", "", "\xff"}
	for seed := range int64(3) {
		rng := rand.New(rand.NewSource(100 + seed))
		evs := propEvents(rules, propRecords(rng, propGen{n: 600, days: 3, users: users, ips: ips}))
		for _, mem := range []int{4 << 10, 0} {
			got, _ := runAggregator(t, AggOptions{Dir: t.TempDir(), Memory: mem}, shuffled(rng, evs))
			checkNewTermsBruteForce(t, rules, evs, AggOptions{}, got)
		}
	}
}

// TestAggregatorSpillFailure breaks the work directory under an Aggregator
// that must spill: Add or Flush fails with extsort.ErrSpill, no panic, and
// no finding is emitted as if the rules had been decided.
func TestAggregatorSpillFailure(t *testing.T) {
	rules := propRules(t)
	rng := rand.New(rand.NewSource(5))
	evs := propEvents(rules, propRecords(rng, propGen{n: 600, days: 2, users: pool("u", 50), ips: pool("ip", 9), bursts: true}))
	tests := []struct {
		name  string
		after int // events added before the directory breaks
		spoil func(t *testing.T, dir string)
	}{
		{"dir removed before any event", 0, removeDir},
		{"dir a file before any event", 0, fileForDir},
		{"dir removed after spills", len(evs) / 2, removeDir},
		{"dir removed before Flush", len(evs), removeDir},
		{"dir a file before Flush", len(evs), fileForDir},
		{"a run emptied before Flush", len(evs), emptyRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "work")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			a := NewAggregator(AggOptions{Dir: dir, Memory: 4 << 10})
			var err error
			for i := range evs {
				if i == tt.after {
					tt.spoil(t, dir)
				}
				if err = a.Add(&evs[i]); err != nil {
					break
				}
			}
			if tt.after == len(evs) {
				if runs, _ := a.Spilt(); runs == 0 {
					t.Fatal("nothing spilt before the dir broke")
				}
				tt.spoil(t, dir)
			}
			if err == nil {
				emitted := 0
				err = a.Flush(func(*Decision) error { emitted++; return nil })
				if emitted > 0 {
					t.Errorf("Flush emitted %d findings and failed with %v", emitted, err)
				}
			} else {
				a.Close()
			}
			if !errors.Is(err, extsort.ErrSpill) {
				t.Fatalf("err = %v, want extsort.ErrSpill", err)
			}
		})
	}
}

func removeDir(t *testing.T, dir string) {
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
}

// emptyRun truncates a run to nothing, as a full disk or a cleaner could.
func emptyRun(t *testing.T, dir string) {
	runs, err := filepath.Glob(filepath.Join(dir, "*.run"))
	if err != nil || len(runs) == 0 {
		t.Fatalf("no runs in %s (%v)", dir, err)
	}
	if err := os.Truncate(runs[0], 0); err != nil {
		t.Fatal(err)
	}
}

func fileForDir(t *testing.T, dir string) {
	removeDir(t, dir)
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}
