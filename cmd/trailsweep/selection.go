package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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
// before --since from the same sources; anything else is a path or s3://
// URI read whole (its source shard-wrapped by wrap, when not nil). It
// returns the scan reading history only and the options of the
// Aggregator that decides the hunt. Without --history it is nil, with the
// options of a scan whose history starts at --since.
func historyPlan(ctx context.Context, history string, cfg scan.Config, s3 reader.S3Options, wrap func(reader.Source) reader.Source) (*scan.Config, rule.AggOptions, error) {
	if history == "" {
		return nil, cfg.AggOptions(cfg.Filter.Since), nil
	}
	hcfg := cfg
	hcfg.HistoryOnly, hcfg.Progress = true, nil
	var opts rule.AggOptions
	if d, err := eql.ParseDuration(strings.TrimSpace(history)); err == nil {
		if cfg.Filter.Since.IsZero() {
			return nil, opts, usageErr("--history %s needs --since (the history span ends where the scan starts)", history)
		}
		hcfg.Filter.Until = cfg.Filter.Since
		hcfg.Filter.Since = cfg.Filter.Since.Add(-d)
		opts = cfg.AggOptions(hcfg.Filter.Since)
	} else {
		if _, err := os.Stat(history); err != nil && !strings.HasPrefix(history, "s3://") {
			return nil, opts, usageErr("--history %s: not a window (30d) and %w", history, err)
		}
		src, err := reader.Open(ctx, history, s3)
		if err != nil {
			return nil, opts, &exitError{code: exitUsage, err: fmt.Errorf("--history %s: %w", history, err)}
		}
		if wrap != nil {
			src = wrap(src)
		}
		hcfg.Sources = []reader.Source{src}
		hcfg.Filter = reader.Filter{Until: cfg.Filter.Since}
		opts = cfg.AggOptions(time.Time{})
	}
	opts.HistorySource = "--history " + history
	return &hcfg, opts, nil
}

// runHistory reads the --history span planned by historyPlan (nothing when
// hcfg is nil) into agg, or, when sink is an ObjectSink (a shard's stage),
// into sink.
func runHistory(ctx context.Context, history string, hcfg *scan.Config, agg *rule.Aggregator, sink scan.Sink, stderr io.Writer) error {
	if hcfg == nil {
		return nil
	}
	hcfg.Aggregator = agg
	if sink == nil {
		sink = discard{}
	}
	start := time.Now()
	sum, err := scan.Run(ctx, *hcfg, sink)
	if err != nil {
		return fmt.Errorf("--history: %w", err)
	}
	fmt.Fprintf(stderr, "trailsweep: history %s: %d objects, %d records read in %s\n", report.Clean(history),
		sum.Objects.Scanned, sum.Records.Read, time.Since(start).Round(time.Millisecond))
	return nil
}

// discard is a scan.Sink that drops findings (a history scan has none).
type discard struct{}

func (discard) Write(*report.Finding) error { return nil }

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
