package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailsweep/trailsweep/internal/eql"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// selectFlags are the rule selection flags, shared by scan and rules.
type selectFlags struct{ sel rule.Selection }

func (s *selectFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.sel.MinSeverity, "min-severity", "", "only rules of at least this severity: low|medium|high|critical")
	f.StringArrayVar(&s.sel.IDs, "rule-id", nil, "only this rule id, repeatable")
	f.StringArrayVar(&s.sel.ExcludeIDs, "exclude-rule-id", nil, "not this rule id, repeatable")
	f.StringArrayVar(&s.sel.Tactics, "tactic", nil, "only rules mapped to this ATT&CK tactic (name or TA id), repeatable")
	f.StringArrayVar(&s.sel.Techniques, "technique", nil, "only rules mapped to this ATT&CK technique (T1078 includes its sub-techniques), repeatable")
	f.StringArrayVar(&s.sel.Types, "rule-type", nil, "only rules of this type (query, eql, new_terms, threshold, …), repeatable")
}

// apply narrows rules; an unknown value is a usage error.
func (s *selectFlags) apply(rules []*rule.Rule) ([]*rule.Rule, error) {
	out, err := rule.Select(rules, s.sel)
	if err != nil {
		return nil, usageErr("%w", err)
	}
	return out, nil
}

func newRulesLintCmd(stdout, stderr io.Writer) *cobra.Command {
	var rf ruleFlags
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Warn about rules that read fields the ECS view never produces here",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			set, err := rf.load(stderr)
			if err != nil {
				return err
			}
			ws := rule.Lint(set.All())
			for _, w := range ws {
				fmt.Fprintln(stdout, report.Clean(w.String()))
			}
			fmt.Fprintf(stdout, "%d warning(s)\n", len(ws))
			return nil
		},
	}
	rf.add(cmd)
	return cmd
}

// historyPlan is the --history pre-scan: a window (30d) is the span just
// before the scan's window from the same sources; anything else is a path
// or s3:// URI read whole (its source shard-wrapped by wrap, when not nil),
// up to the window's start. nil without --history.
func historyPlan(ctx context.Context, history string, sources []reader.Source, filter reader.Filter, s3 reader.S3Options, wrap func(reader.Source) reader.Source) (*scan.History, error) {
	if history == "" {
		return nil, nil
	}
	h := &scan.History{Name: "--history " + history}
	if d, err := eql.ParseDuration(strings.TrimSpace(history)); err == nil {
		if filter.Since.IsZero() {
			return nil, usageErr("--history %s needs --since (the history span ends where the scan starts)", history)
		}
		h.Sources, h.Filter = sources, filter
		h.Filter.Until = filter.Since
		h.Filter.Since = filter.Since.Add(-d)
		return h, nil
	}
	if _, err := os.Stat(history); err != nil && !strings.HasPrefix(history, "s3://") {
		return nil, usageErr("--history %s: not a window (30d) and %w", history, err)
	}
	src, err := reader.Open(ctx, history, s3)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("--history %s: %w", history, err)}
	}
	if wrap != nil {
		src = wrap(src)
	}
	h.Sources = []reader.Source{src}
	h.Filter = reader.Filter{Until: filter.Since}
	return h, nil
}

// selection returns the rule selection flags in force, as "--flag value".
func (rf *ruleFlags) selection() []string {
	s := rf.sel.sel
	var out []string
	add := func(flag string, vals ...string) {
		for _, v := range vals {
			if v != "" {
				out = append(out, flag+" "+v)
			}
		}
	}
	add("--min-severity", s.MinSeverity)
	add("--rule-id", s.IDs...)
	add("--exclude-rule-id", s.ExcludeIDs...)
	add("--tactic", s.Tactics...)
	add("--technique", s.Techniques...)
	add("--rule-type", s.Types...)
	add("--status", rf.statuses...)
	return out
}
