package rule

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// Adhoc turns KQL queries given on the command line (--query) into rules:
// the N-th query (1-based) becomes rule "adhoc-N", named by the query text,
// type "query", language "kuery", Source "adhoc", Path "", and severity
// "medium", since the user gave no severity and an explicit search is worth
// more than a low-severity default.
//
// An empty query is refused: it would match every record. So is a query on
// a field the ECS view never produces (a raw CloudTrail name such as
// sourceIPAddress, a typo): its conditions could never hold, and the error
// names the ECS field to use when there is one. (A rule file with such a
// field loads, and `rules lint` warns about it.)
// A query that does not parse makes Adhoc fail with a *LoadError whose Path
// is "--query N" and whose message gives the position inside the query, e.g.
// `--query 2: query 1:14: unexpected ")"`.
func Adhoc(queries []string) ([]*Rule, error) {
	rules := make([]*Rule, 0, len(queries))
	for i, q := range queries {
		n := strconv.Itoa(i + 1)
		if strings.TrimSpace(q) == "" {
			return nil, &LoadError{Path: "--query " + n, Msg: "empty query (it would match every record)"}
		}
		m, err := compile(q)
		if err != nil {
			return nil, &LoadError{Path: "--query " + n, Msg: err.Error(), Err: err}
		}
		if msg := unknownField(m.Fields()); msg != "" {
			return nil, &LoadError{Path: "--query " + n, Msg: msg}
		}
		rules = append(rules, &Rule{
			ID:        "adhoc-" + n,
			Name:      q,
			Source:    SourceAdhoc,
			Type:      "query",
			Language:  "kuery",
			Query:     q,
			Digest:    digest([]byte(q)),
			Severity:  "medium",
			RiskScore: 47,
			Supported: true,
			m:         m,
		})
	}
	return rules, nil
}

// unknownField describes the first of fields the ECS view never produces,
// and why (with the ECS fields to use instead of a raw CloudTrail name);
// "" when the view has them all.
func unknownField(fields []ecs.Field) string {
	for _, f := range fields {
		if why, lacks := ecs.Lacks(f.Name); lacks {
			return fmt.Sprintf("field %s: %s (see README, How faithful the ECS view is)", f.Name, why)
		}
	}
	return ""
}
