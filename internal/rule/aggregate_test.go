package rule

import (
	"fmt"
	"github.com/trailsweep/trailsweep/internal/query"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/report"
)

func mustParse(t *testing.T, toml string) *Rule {
	t.Helper()
	r, err := Parse("test.toml", []byte(toml), SourceElastic)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Supported {
		t.Fatalf("unsupported: %s", r.Reason)
	}
	return r
}

const head = "[rule]\nrule_id = \"%s\"\nname = \"n\"\nseverity = \"low\"\nrisk_score = 1\n"

type rec struct {
	t   time.Time
	doc mapDoc
}

// feed runs records through r as a scan would, in the given order.
func feed(t *testing.T, r *Rule, recs []rec, order []int, opts AggOptions) []report.Finding {
	t.Helper()
	a := NewAggregator(opts)
	for _, i := range order {
		rc := recs[i]
		if !r.Match(rc.doc) {
			continue
		}
		f := report.Finding{RuleID: r.ID, EventTime: rc.t, EventID: fmt.Sprint("e", i), SourceURI: "x", RecordIndex: int64(i)}
		for _, e := range testEvents(r, rc.doc, &f, false, nil) {
			if err := a.Add(&e); err != nil {
				t.Fatal(err)
			}
		}
	}
	return flushAll(t, a)
}

// flushAll returns the finding of every decision a's Flush emits (see
// testEvents).
func flushAll(t testing.TB, a *Aggregator) []report.Finding {
	t.Helper()
	var out []report.Finding
	if err := a.Flush(func(d *Decision) error {
		out = append(out, decisionFinding(t, d))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// testEvents appends the events of record d for r whose payload is the
// finding f (as the scanner encodes its findings: report.AppendFinding
// without the SourceURI, which is the event's Source).
func testEvents(r *Rule, d query.Doc, f *report.Finding, history bool, dst []Event) []Event {
	n := len(dst)
	dst = r.EventsAt(d, f.EventTime, history, dst)
	g := *f
	g.SourceURI = ""
	p := report.AppendFinding(nil, &g)
	for i := n; i < len(dst); i++ {
		dst[i].Source, dst[i].Index, dst[i].ID, dst[i].Payload = f.SourceURI, f.RecordIndex, f.EventID, p
	}
	return dst
}

// decisionFinding is the finding a decision's payload holds, with its
// details.
func decisionFinding(t testing.TB, d *Decision) report.Finding {
	t.Helper()
	var f report.Finding
	if err := report.DecodeFinding(d.Payload, &f); err != nil {
		t.Fatalf("decision of %s at %s: payload: %v", d.Rule.ID, d.Time, err)
	}
	f.SourceURI, f.Details = d.Source, d.Details
	return f
}

func check(t *testing.T, r *Rule, recs []rec, opts AggOptions, wantIDs []string) {
	t.Helper()
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	first := feed(t, r, recs, order, opts)
	var ids []string
	for _, f := range first {
		ids = append(ids, f.EventID)
		if f.Details == "" {
			t.Errorf("finding %s without details", f.EventID)
		}
	}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("findings %v, want %v", ids, wantIDs)
	}
	rng := rand.New(rand.NewSource(1))
	for range 20 {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		if got := feed(t, r, recs, order, opts); !reflect.DeepEqual(got, first) {
			t.Fatalf("order %v changed the result:\n%v\n%v", order, got, first)
		}
	}
}

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func TestThreshold(t *testing.T) {
	r := mustParse(t, fmt.Sprintf(head, "th")+`type = "threshold"
query = "event.action: Get*"
from = "now-6m"
interval = "5m"
[rule.threshold]
field = ["user.name"]
value = 3
`)
	get := func(u string) mapDoc { return mapDoc{"event.action": {"GetObject"}, "user.name": {u}} }
	recs := []rec{
		{at(1), get("alice")}, {at(2), get("alice")}, {at(3), get("alice")}, // 3 in window ending 00:05 → e2
		{at(1), get("bob")}, {at(2), get("bob")}, // near miss: 2 < 3
		{at(20), get("bob")}, {at(26), get("bob")}, {at(27), get("bob")}, // 6m apart: never 3 in one window
		{at(2), mapDoc{"event.action": {"PutObject"}, "user.name": {"bob"}}}, // not selected
	}
	// alice's three events also fall in the window ending 00:10 ([00:04, 00:10))? no: 00:01-00:03 < 00:04.
	check(t, r, recs, AggOptions{}, []string{"e2"})
}

func TestNewTerms(t *testing.T) {
	r := mustParse(t, fmt.Sprintf(head, "nt")+`type = "new_terms"
query = "event.action: ConsoleLogin"
[rule.new_terms]
field = "new_terms_fields"
value = ["source.ip"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-1d"
`)
	login := func(ip string) mapDoc { return mapDoc{"event.action": {"ConsoleLogin"}, "source.ip": {ip}} }
	day := 24 * 60
	recs := []rec{
		{at(120), login("1.1.1.1")},                               // history (first day)
		{at(day + 60), login("1.1.1.1")},                          // seen within a day before: not new
		{at(day + 120), login("2.2.2.2")},                         // new → e2
		{at(day + 180), login("2.2.2.2")},                         // seen: not new
		{at(4 * day), login("2.2.2.2")},                           // absent for > 1 day: new again → e4
		{at(60), login("3.3.3.3")},                                // inside the history-building day: never new
		{at(4*day + 1), mapDoc{"event.action": {"ConsoleLogin"}}}, // no source.ip: ignored
	}
	check(t, r, recs, AggOptions{Start: t0}, []string{"e2", "e4"})
}

func TestSequence(t *testing.T) {
	r := mustParse(t, fmt.Sprintf(head, "seq")+`type = "eql"
language = "eql"
query = '''
sequence by user.name with maxspan=10m
  [any where event.action == "ListFoundationModels"]
  [any where event.action : ("invokemodel", "Converse")]
'''
`)
	ev := func(a, u string) mapDoc { return mapDoc{"event.action": {a}, "user.name": {u}} }
	recs := []rec{
		{at(0), ev("ListFoundationModels", "a")}, {at(5), ev("InvokeModel", "a")}, // → e1
		{at(0), ev("ListFoundationModels", "b")}, {at(11), ev("InvokeModel", "b")}, // near miss: past maxspan
		{at(1), ev("InvokeModel", "c")}, {at(2), ev("ListFoundationModels", "c")}, // near miss: wrong order
		{at(3), ev("ListFoundationModels", "d")}, {at(4), ev("Converse", "e")}, // near miss: different keys
	}
	check(t, r, recs, AggOptions{}, []string{"e1"})
}
