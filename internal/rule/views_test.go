package rule

import (
	"fmt"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/report"
)

// Record.Values hands out strings that share the record's parsed bytes until
// the next Reset; the aggregate events of a record outlive it, so their keys
// and cardinality values must stay those of their own record after many
// more Resets of the same Record (a shared view would read a later record's
// bytes: every record has the same layout and value lengths).
func TestEventsOutliveReset(t *testing.T) {
	nt := mustParse(t, fmt.Sprintf(head, "nt")+`type = "new_terms"
query = "event.action: ConsoleLogin"
[rule.new_terms]
field = "new_terms_fields"
value = ["source.ip", "user.name"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-1d"
`)
	th := mustParse(t, fmt.Sprintf(head, "th")+`type = "threshold"
query = "event.action: ConsoleLogin"
[rule.threshold]
field = ["cloud.region"]
value = 2
[[rule.threshold.cardinality]]
field = "user.name"
value = 2
`)
	rec := ecs.NewRecord(ecs.Options{})
	var events []Event
	const n = 200
	for i := range n {
		raw := fmt.Sprintf(`{"eventTime":"2026-03-01T00:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",`+
			`"awsRegion":"region-%03d","sourceIPAddress":"10.0.%d.%d","userIdentity":{"type":"IAMUser","userName":"user-%04d"}}`,
			i, i/100+100, i%100+100, i)
		if err := rec.Reset([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		for _, r := range []*Rule{nt, th} {
			if !r.Match(rec) {
				t.Fatalf("record %d: rule %s does not match", i, r.ID)
			}
			events = testEvents(r, rec, &report.Finding{RuleID: r.ID, RecordIndex: int64(i)}, false, events)
		}
	}
	if len(events) != 2*n {
		t.Fatalf("%d events, want %d", len(events), 2*n)
	}
	for _, e := range events {
		i := int(e.Index)
		user := fmt.Sprintf("user-%04d", i)
		switch e.Rule {
		case nt:
			want := []string{fmt.Sprintf("10.0.%d.%d", i/100+100, i%100+100), user}
			if fmt.Sprint(e.Key) != fmt.Sprint(want) {
				t.Errorf("new_terms event of record %d: key %q, want %q", i, e.Key, want)
			}
		case th:
			if want := fmt.Sprintf("region-%03d", i); len(e.Key) != 1 || e.Key[0] != want {
				t.Errorf("threshold event of record %d: key %q, want [%q]", i, e.Key, want)
			}
			if len(e.Card) != 1 || e.Card[0] != user {
				t.Errorf("threshold event of record %d: cardinality %q, want [%q]", i, e.Card, user)
			}
		}
	}
}
