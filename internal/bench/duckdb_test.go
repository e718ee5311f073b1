package bench

import (
	"strings"
	"testing"
)

func TestSQLString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "''"}, {"/a/b", "'/a/b'"}, {"/it's/here", "'/it''s/here'"}, {"''", "''''''"},
	} {
		if got := sqlString(tt.in); got != tt.want {
			t.Errorf("sqlString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSeedSQL(t *testing.T) {
	for _, columns := range []bool{false, true} {
		got := SeedSQL("/tmp/o'k", columns)
		for _, want := range []string{
			"read_json('/tmp/o''k/**/*.json.gz'",
			"unnest(Records) AS r",
			"r.eventSource = 'lambda.amazonaws.com'",
			"r.eventName LIKE 'CreateEventSourceMapping%'",
			"coalesce(r.errorCode, '') IN ('', '-', 'none')",
			"coalesce(r.errorMessage, '') IN ('', '-', 'none')",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("SeedSQL(columns %v) lacks %q:\n%s", columns, want, got)
			}
		}
		if has := strings.Contains(got, "columns = {Records: 'STRUCT(eventSource VARCHAR, eventName VARCHAR, errorCode VARCHAR, errorMessage VARCHAR)[]'}"); has != columns {
			t.Errorf("SeedSQL(columns %v) names the columns: %v", columns, has)
		}
	}
}
