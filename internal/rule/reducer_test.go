package rule

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/report"
)

// testPayloader is a Payloader over the current test record: its payload is
// the finding testEvents would give it, and it counts what it built.
type testPayloader struct {
	f     report.Finding
	built int
}

func (p *testPayloader) Payload(r *Rule) []byte {
	p.built++
	g := p.f
	g.RuleID, g.SourceURI = r.ID, ""
	return report.AppendFinding(nil, &g)
}

func (p *testPayloader) EventID() string { return p.f.EventID }

// TestReducerMatchesEager: reducing each object's events (the earliest
// event and the latest time per new_terms combination and bucket, no
// payload when another committed object has an earlier event; an ES|QL
// event's payload only on its group's latest in a segment) gives the
// decisions, details included, of keeping every event with its payload,
// with records out of time order within objects; and it keeps fewer events
// and builds fewer payloads.
func TestReducerMatchesEager(t *testing.T) {
	rules := []*Rule{
		mustParse(t, fmt.Sprintf(head, "nt-user")+`type = "new_terms"
query = "event.action: GetCallerIdentity"
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-1h"
`),
		mustParse(t, fmt.Sprintf(head, "nt-user-region")+`type = "new_terms"
query = "event.action: *"
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name", "cloud.region"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-30m"
`),
		mustParse(t, fmt.Sprintf(head, "th-user")+`type = "threshold"
query = "event.action: GetCallerIdentity"
[rule.threshold]
field = ["user.name"]
value = 5
`),
		mustParse(t, fmt.Sprintf(head, "esql")+`type = "esql"
language = "esql"
from = "now-20m"
interval = "5m"
query = '''
FROM logs-aws.cloudtrail-*
| WHERE event.action IN ("GetCallerIdentity", "ListBuckets")
| STATS Esql.n = COUNT(*), Esql.regions = VALUES(cloud.region) BY user.name
| WHERE Esql.n >= 3
'''
`),
		mustParse(t, fmt.Sprintf(head, "seq")+`type = "eql"
language = "eql"
query = '''
sequence by user.name with maxspan=10m
  [any where event.action == "GetCallerIdentity"]
  [any where event.action == "ListBuckets"]
'''
`),
	}
	type record = reducerRecord
	rng := rand.New(rand.NewPCG(7, 7))
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var objects [][]record
	for range 12 {
		var recs []record
		for range 80 {
			name := fmt.Sprintf("user%d", rng.IntN(5))
			if rng.IntN(8) == 0 {
				name = fmt.Sprintf("rare%d", rng.IntN(30))
			}
			action := []string{"GetCallerIdentity", "GetCallerIdentity", "ListBuckets"}[rng.IntN(3)]
			at := start.Add(time.Duration(rng.IntN(8*3600)) * time.Second) // shuffled within the object
			recs = append(recs, record{at, mapDoc{"event.action": {action}, "user.name": {name},
				"cloud.region": {[]string{"us-east-1", "eu-west-1"}[rng.IntN(2)]}}})
		}
		objects = append(objects, recs)
	}
	finding := func(o, i int, t time.Time) report.Finding {
		return report.Finding{EventTime: t, EventID: fmt.Sprintf("o%d-r%d", o, i), SourceURI: fmt.Sprintf("obj%02d", o), RecordIndex: int64(i)}
	}

	eager := NewAggregator(AggOptions{Start: start, Dir: t.TempDir()})
	nEager, nEagerESQL := 0, 0
	for o, recs := range objects {
		for i, rc := range recs {
			for _, r := range rules {
				if r.Match(rc.doc) {
					f := finding(o, i, rc.t)
					f.RuleID = r.ID
					for _, e := range testEvents(r, rc.doc, &f, false, nil) {
						nEager++
						if r.ID == "esql" {
							nEagerESQL++
						}
						if err := eager.Add(&e); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
		}
	}

	want := flushAll(t, eager)
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			reduceAndCompare(t, rules, objects, finding, start, want, nEager, nEagerESQL, keep)
		})
	}
}

// reducerRecord is a record of TestReducerMatchesEager.
type reducerRecord struct {
	t   time.Time
	doc mapDoc
}

// keepingPayloader is a testPayloader that keeps records (Keeper).
type keepingPayloader struct {
	*testPayloader
	kept int
}

func (p *keepingPayloader) Keep() any {
	p.kept++
	return p.f
}

func (p *keepingPayloader) PayloadOf(r *Rule, kept any) []byte {
	p.built++
	g := kept.(report.Finding)
	g.RuleID, g.SourceURI = r.ID, ""
	return report.AppendFinding(nil, &g)
}

// reduceAndCompare reduces the objects' events through a Reducer (whose
// payloader keeps records with keep) and compares the decisions with want.
func reduceAndCompare(t *testing.T, rules []*Rule, objects [][]reducerRecord, finding func(o, i int, t time.Time) report.Finding,
	start time.Time, want []report.Finding, nEager, nEagerESQL int, keep bool) {
	lazy := NewAggregator(AggOptions{Start: start, Dir: t.TempDir()})
	shared := NewShared(1 << 16)
	p := &testPayloader{}
	var pl Payloader = p
	kp := &keepingPayloader{testPayloader: p}
	if keep {
		pl = kp
	}
	x := NewReducer(shared, pl, false)
	nLazy, esqlEvents, esqlPayloads := 0, 0, 0
	for o, recs := range objects {
		x.Begin(fmt.Sprintf("obj%02d", o), nil)
		for i, rc := range recs {
			p.f = finding(o, i, rc.t)
			for _, r := range rules {
				if r.Match(rc.doc) {
					x.Add(r, rc.doc, rc.t, int64(i))
				}
			}
		}
		evs := x.End()
		nLazy += len(evs)
		for i := range evs {
			if evs[i].Rule.ID == "esql" {
				esqlEvents++
				if evs[i].Payload != nil {
					esqlPayloads++
				}
			}
			if evs[i].Source != fmt.Sprintf("obj%02d", o) {
				t.Fatalf("event of object %d with source %q", o, evs[i].Source)
			}
			if err := lazy.Add(&evs[i]); err != nil {
				t.Fatal(err)
			}
		}
		shared.Commit(evs) // objects committed in order, as the scan's writer does
	}

	got := flushAll(t, lazy)
	byRule := map[string]int{}
	for _, f := range want {
		byRule[f.RuleID]++
	}
	if len(byRule) != len(rules) {
		t.Errorf("findings by rule %v: want every rule to fire", byRule)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reduced: %d findings, every event: %d; they differ", len(got), len(want))
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("first difference at %d:\nreduced %+v\nevery   %+v", i, got[i], want[i])
				break
			}
		}
	}
	if nLazy >= nEager || p.built >= nEager {
		t.Errorf("reduced: %d events, %d payloads; every event: %d; want fewer", nLazy, p.built, nEager)
	}
	// ES|QL: one event per object, group and segment, with the state of its
	// rows and the latest one's payload.
	if esqlEvents == 0 || esqlEvents >= nEagerESQL || esqlPayloads != esqlEvents {
		t.Errorf("ES|QL: %d events (%d with a payload), every row: %d; want fewer, each with a payload", esqlEvents, esqlPayloads, nEagerESQL)
	}
	if keep && kp.kept == 0 {
		t.Error("no record kept: the Keeper path is not tested")
	}
	t.Logf("%d findings %v; events: reduced %d, every %d; payloads built %d, records kept %d; ES|QL events %d (every row: %d), with payload %d", len(want), byRule, nLazy, nEager, p.built, kp.kept, esqlEvents, nEagerESQL, esqlPayloads)
}

// TestReducerOwnsESQLValues: the values an ES|QL group keeps across the
// records of an object are the records' own, not views of bytes the next
// record overwrites (the scan decodes every record of an object into one
// buffer).
func TestReducerOwnsESQLValues(t *testing.T) {
	r := mustParse(t, fmt.Sprintf(head, "esql")+`type = "esql"
language = "esql"
from = "now-20m"
interval = "5m"
query = '''
FROM logs-aws.cloudtrail-*
| STATS Esql.agents = VALUES(user_agent.original), Esql.first = MIN(user_agent.original) BY user.name
'''
`)
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	agents := []string{"agent-a/1.0", "agent-b/2.0", "agent-c/3.0", "zzzzzzzz/9.9"}
	buf := make([]byte, 0, 4096)
	rec := ecs.NewRecord(ecs.Options{})
	p := &testPayloader{}
	x := NewReducer(nil, p, false)
	x.Begin("obj", nil)
	for i, a := range agents {
		at := start.Add(time.Duration(i) * time.Second)
		buf = fmt.Appendf(buf[:0], `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/alice","accountId":"1","userName":"alice"},"eventTime":%q,"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":%q,"eventID":"e%d","recipientAccountId":"1"}`,
			at.Format(time.RFC3339), a, i)
		if err := rec.Reset(buf); err != nil {
			t.Fatal(err)
		}
		if !r.Match(rec) {
			t.Fatalf("record %d does not match", i)
		}
		p.f = report.Finding{EventTime: at, EventID: fmt.Sprint("e", i), RecordIndex: int64(i)}
		x.Add(r, rec, at, int64(i))
	}
	clear(buf[:cap(buf)]) // what the next object would do to the buffer
	a := NewAggregator(AggOptions{Dir: t.TempDir()})
	for _, e := range x.End() {
		if err := a.Add(&e); err != nil {
			t.Fatal(err)
		}
	}
	got := flushAll(t, a)
	if len(got) == 0 {
		t.Fatal("no finding")
	}
	want := `{"Esql.agents":["agent-a/1.0","agent-b/2.0","agent-c/3.0","zzzzzzzz/9.9"],"Esql.first":"agent-a/1.0","user.name":"alice"}`
	if !strings.Contains(got[0].Details, want) {
		t.Errorf("details %s\n\twant them to hold %s", got[0].Details, want)
	}
}
