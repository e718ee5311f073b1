package scan

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// eventCount is an ObjectSink that counts the aggregate events of objects.
type eventCount struct {
	collect
	events int
	// new_terms: events with a finding, and distinct (object, rule,
	// combination, bucket) slots
	built int
	slots map[string]bool
}

func (c *eventCount) Object(r ObjectResult) error {
	c.events += len(r.Events)
	for _, e := range r.Events {
		b, ok := e.Rule.NewTermsBucket(e.Time)
		if !ok {
			continue
		}
		if e.Finding.RuleID != "" {
			c.built++
		}
		c.slots[fmt.Sprint(r.Object.URI, e.Rule.ID, e.Key, b)] = true
	}
	return nil
}

// TestLazyAggregateEvents: building findings only for the events that can
// become one (the earliest per new_terms combination and bucket in an
// object, plus the latest time; none when another committed object has an
// earlier event of it) gives the findings, details included, of building one
// for every event, with records out of time order within objects, and keeps
// fewer events and findings.
func TestLazyAggregateEvents(t *testing.T) {
	var rules []*rule.Rule
	for i, src := range []string{
		// new_terms on one field and on two (several combinations per record
		// when a field has several values is covered by the rule tests).
		`[metadata]
creation_date = "2026/01/01"
[rule]
rule_id = "nt-user"
name = "new user"
description = "d"
risk_score = 21
severity = "low"
type = "new_terms"
language = "kuery"
index = ["logs-aws.cloudtrail-*"]
query = "event.action: GetCallerIdentity"
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-1h"
`,
		`[metadata]
creation_date = "2026/01/01"
[rule]
rule_id = "nt-user-region"
name = "new user and region"
description = "d"
risk_score = 21
severity = "low"
type = "new_terms"
language = "kuery"
index = ["logs-aws.cloudtrail-*"]
query = "event.provider: sts.amazonaws.com"
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name", "cloud.region"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-30m"
`,
		`[metadata]
creation_date = "2026/01/01"
[rule]
rule_id = "th-user"
name = "many calls"
description = "d"
risk_score = 21
severity = "low"
type = "threshold"
language = "kuery"
index = ["logs-aws.cloudtrail-*"]
query = "event.action: GetCallerIdentity"
[rule.threshold]
field = ["user.name"]
value = 5
`,
	} {
		r, lerr := rule.Parse(fmt.Sprintf("r%d.toml", i), []byte(src), "elastic")
		if lerr != nil {
			t.Fatal(lerr)
		}
		if !r.Runnable() {
			t.Fatalf("rule %s: %s", r.ID, r.Reason)
		}
		rules = append(rules, r)
	}
	set, err := rule.NewSet(rules)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var files []gen.File
	for o := range 12 {
		var recs []gen.Record
		for range 80 {
			name := fmt.Sprintf("user%d", rng.IntN(5))
			if rng.IntN(8) == 0 {
				name = fmt.Sprintf("rare%d", rng.IntN(30))
			}
			id := gen.IAMUser("111122223333", name, "AKIAEXAMPLE000000001")
			at := start.Add(time.Duration(rng.IntN(8*3600)) * time.Second) // shuffled within the object
			region := []string{"us-east-1", "eu-west-1"}[rng.IntN(2)]
			recs = append(recs, gen.Event(id, at, region, "sts.amazonaws.com", "GetCallerIdentity", "", ""))
		}
		files = append(files, gen.File{Key: gen.LogKey("", "111122223333", "us-east-1", start.Add(time.Duration(o)*time.Hour), fmt.Sprint(o)),
			Body: gen.Gzip(gen.LogFile(recs...))})
	}
	dir := t.TempDir()
	if err := gen.WriteTree(dir, files); err != nil {
		t.Fatal(err)
	}
	src, err := reader.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	run := func(eager bool) ([]report.Finding, *eventCount) {
		t.Helper()
		eagerEvents = eager
		defer func() { eagerEvents = false }()
		cfg := Config{Sources: []reader.Source{src}, Rules: set, Workers: 2, Filter: reader.Filter{Since: start}}
		var sink collect
		if _, err := Run(context.Background(), cfg, &sink); err != nil {
			t.Fatal(err)
		}
		count := &eventCount{slots: map[string]bool{}}
		if _, err := Run(context.Background(), cfg, count); err != nil {
			t.Fatal(err)
		}
		return sink.fs, count
	}
	lazy, cLazy := run(false)
	eager, cEager := run(true)
	nLazy, nEager := cLazy.events, cEager.events
	// Findings are built for fewer events than there are combinations per
	// object: other objects' committed events make later ones bare.
	if cLazy.built >= len(cEager.slots) {
		t.Errorf("new_terms events with a finding: %d, combinations and buckets per object: %d; want fewer", cLazy.built, len(cEager.slots))
	}
	if len(eager) == 0 {
		t.Fatal("no aggregate finding: the test checks nothing")
	}
	byRule := map[string]int{}
	for _, f := range eager {
		byRule[f.RuleID]++
	}
	if len(byRule) != 3 {
		t.Errorf("findings by rule %v: want all three rules to fire", byRule)
	}
	if !reflect.DeepEqual(lazy, eager) {
		t.Errorf("lazy events: %d findings, eager: %d; they differ", len(lazy), len(eager))
		for i := range min(len(lazy), len(eager)) {
			if !reflect.DeepEqual(lazy[i], eager[i]) {
				t.Errorf("first difference at %d:\nlazy  %+v\neager %+v", i, lazy[i], eager[i])
				break
			}
		}
	}
	if nLazy >= nEager {
		t.Errorf("events kept: lazy %d, eager %d; want fewer", nLazy, nEager)
	}
	t.Logf("%d findings; events kept: lazy %d, eager %d; new_terms findings built: lazy %d, eager %d, slots %d",
		len(eager), nLazy, nEager, cLazy.built, cEager.built, len(cEager.slots))
}
