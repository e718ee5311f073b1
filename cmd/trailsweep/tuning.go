package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/report"
)

// loadTuning compiles --exclude queries and the --exceptions file; nil when
// neither is given. Bad KQL or YAML is a usage error naming the flag or the
// file and line. An exception naming a rule id the selection does not hold
// is a warning: it can drop nothing.
func loadTuning(excludes []string, exceptions string, set *rule.Set, stderr io.Writer) (*rule.Tuning, error) {
	if len(excludes) == 0 && exceptions == "" {
		return nil, nil
	}
	t := &rule.Tuning{}
	for i, q := range excludes {
		x, err := rule.NewExclusion("--exclude "+strconv.Itoa(i+1), q)
		if err != nil {
			return nil, usageErr("%w", err)
		}
		t.Excludes = append(t.Excludes, x)
	}
	if exceptions != "" {
		data, err := os.ReadFile(exceptions)
		if err != nil {
			return nil, usageErr("--exceptions: %w", err)
		}
		if t.Exceptions, err = rule.ParseExceptions(exceptions, data); err != nil {
			return nil, usageErr("--exceptions %w", err)
		}
		ids := map[string]bool{}
		for _, r := range set.Runnable() {
			ids[r.ID] = true
		}
		for _, e := range t.Exceptions {
			if e.Rule != "*" && !ids[e.Rule] {
				fmt.Fprintf(stderr, "trailsweep: warning: exception %s: no selected rule has id %s\n", report.Clean(e.Origin), report.Clean(e.Rule))
			}
		}
	}
	return t, nil
}
