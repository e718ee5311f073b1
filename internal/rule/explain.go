package rule

import (
	"strconv"

	"github.com/trailsweep/trailsweep/internal/eql"
	"github.com/trailsweep/trailsweep/internal/kql"
	"github.com/trailsweep/trailsweep/internal/query"
	"github.com/trailsweep/trailsweep/internal/sigma"
)

// Explanation says whether a rule's query matches a record and which part
// of it decided: KQL and EQL subexpressions print as query text that parses
// back, Sigma's as condition text (see kql.Matcher.Explain,
// eql.Matcher.Explain, sigma.Detection.Explain).
type Explanation struct {
	Match  bool
	Clause string
}

// Explain evaluates r's query over d, as Match does, and says which clause
// decided. For an aggregate rule it explains the query that selects events
// (a sequence: the first step that holds, else why each fails), which alone
// does not make a finding. A rule without a compiled query never matches.
func (r *Rule) Explain(d query.Doc) Explanation {
	switch m := r.m.(type) {
	case *kql.Matcher:
		ok, why := m.Explain(d)
		return Explanation{ok, why.String()}
	case *eql.Matcher:
		ok, why := m.Explain(d)
		return Explanation{ok, why.String()}
	case *sigma.Detection:
		ok, why := m.Explain(d)
		return Explanation{ok, why}
	case *orMatcher:
		var e Explanation
		for i, s := range m.steps {
			ok, why := s.Explain(d)
			clause := "step " + strconv.Itoa(i+1) + ": " + why.String()
			if ok {
				return Explanation{true, clause}
			}
			if e.Clause != "" {
				e.Clause += "; "
			}
			e.Clause += clause
		}
		return e
	case nil:
		return Explanation{Clause: "no compiled query"}
	}
	return Explanation{Match: r.m.Match(d)}
}
