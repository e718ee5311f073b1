package esql

import (
	"strings"
	"testing"
)

// TestTextFastPath checks that comparisons, LIKE, IN and IS NULL of a
// source field against string literals, which read a string field as text
// (textFn) rather than as a value, give what the general evaluation gives:
// the same expression over CASE(true, field, null), which has no fast path.
// The records cover a missing field, one string, other types, several
// values and a date field; the queries a field that a command computed
// over, dropped or expanded.
func TestTextFastPath(t *testing.T) {
	recs := []string{
		`{}`,
		`{"user.name":"alice","event.action":"GetObject","@timestamp":"2026-03-01T10:00:00Z"}`,
		`{"user.name":"bob","event.action":"CreateAccessKey","@timestamp":"2026-03-01T09:00:00.123Z"}`,
		`{"user.name":["alice","bob"],"event.action":"AKIAX","@timestamp":"2026-03-01"}`,
		`{"user.name":7,"event.action":true,"@timestamp":"not a date"}`,
		`{"user.name":"","event.action":"","@timestamp":"2026-03-01T10:00:00+01:00"}`,
	}
	exprs := []string{
		`F == "alice"`, `F != "alice"`, `F < "b"`, `F >= "bob"`, `"bob" > F`, `"alice" == F`,
		`F LIKE "a*"`, `F LIKE "*e"`, `F NOT LIKE "A?I*"`, `F IN ("alice", "bob")`, `F NOT IN ("x", "")`,
		`F IS NULL`, `F IS NOT NULL`, `NOT (F == "bob") OR F IS NULL`,
	}
	fields := []string{"user.name", "event.action", "@timestamp"}
	prefixes := []string{
		"",
		`| EVAL user.name = "bob" `,
		`| DROP event.action `,
		`| MV_EXPAND user.name `,
		`| RENAME user.name AS u | EVAL user.name = u `,
	}
	for _, pre := range prefixes {
		for _, f := range fields {
			for _, e := range exprs {
				fast := strings.ReplaceAll(e, "F", f)
				general := strings.ReplaceAll(e, "F", "CASE(true, "+f+", null)")
				q := "FROM logs-aws.cloudtrail-* " + pre + "| EVAL fast = " + fast + ", general = " + general + " | KEEP fast, general"
				pq, err := Parse(q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				p, err := Compile(pq)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				for _, s := range recs {
					for _, row := range p.Prefix(docFromJSON(t, s), semanticsNow) {
						got, want := row.Get("fast"), row.Get("general")
						if got != want {
							t.Errorf("%s\n\trecord %s: fast path %v, general %v", q, s, got, want)
						}
					}
				}
			}
		}
	}
}
