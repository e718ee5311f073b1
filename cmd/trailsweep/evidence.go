package main

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/internal/verify"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// commandLine is the command as parsed: its path, each flag set (by name,
// values redacted as in messages) and the arguments.
func commandLine(cmd *cobra.Command, args []string) []string {
	line := strings.Fields(cmd.CommandPath())
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				line = append(line, "--"+f.Name+"="+reader.Redact(v))
			}
			return
		}
		line = append(line, "--"+f.Name+"="+reader.Redact(f.Value.String()))
	})
	return append(line, args...)
}

// writeEvidence writes --evidence once the output is closed: the scan's
// settings, the findings file's hash, and every object ev recorded, with
// its integrity when res (--verify) is not nil.
func writeEvidence(ev *report.Evidence, sf *scanFlags, sum *report.Summary, set *rule.Set, res *verify.Result, complete bool) error {
	h := report.EvidenceHeader{
		Tool: "trailsweep", ToolVersion: buildVersion(), CommandLine: sf.commandLine,
		Created: time.Now().UTC(), Sources: sum.Sources, RulesHash: scan.RulesHash(set),
		Complete: complete && sum.Complete,
	}
	if t := sum.Window.Since; !t.IsZero() {
		h.Window.Since = t.UTC().Format(time.RFC3339)
	}
	if t := sum.Window.Until; !t.IsZero() {
		h.Window.Until = t.UTC().Format(time.RFC3339)
	}
	if sum.Output != "" && !isS3(sf.out) {
		f, err := report.HashFile(sf.out)
		if err != nil {
			return err
		}
		h.Findings = f
	}
	var integrity func(o *report.EvidenceObject) string
	if res != nil {
		h.Integrity, integrity = evidenceIntegrity(res)
	}
	return ev.WriteFile(sf.evidence, h, integrity)
}

// evidenceIntegrity returns the chain heads and gaps res found, and each
// object's status: a log's or a digest's verdict, unverified for a log
// res does not know, nothing for other skipped objects.
func evidenceIntegrity(res *verify.Result) (*report.EvidenceIntegrity, func(o *report.EvidenceObject) string) {
	in := &report.EvidenceIntegrity{}
	state := map[string]string{}
	for _, l := range res.Logs {
		state[l.URI] = l.Status
	}
	heads := map[string]int{} // chain -> index in in.Heads
	for _, d := range res.Digests {
		state[d.URI] = d.Status
		h := report.EvidenceHead{Chain: d.Chain, URI: d.URI, EndTime: d.End, Status: d.Status}
		if i, ok := heads[d.Chain]; !ok {
			heads[d.Chain] = len(in.Heads)
			in.Heads = append(in.Heads, h)
		} else if d.End > in.Heads[i].EndTime {
			in.Heads[i] = h
		}
	}
	for _, g := range res.Gaps {
		in.Gaps = append(in.Gaps, report.EvidenceGap{Chain: g.Chain, From: g.From, To: g.To})
	}
	return in, func(o *report.EvidenceObject) string {
		st, ok := state[o.URI]
		if !ok {
			st, ok = state[filepath.Clean(o.URI)]
		}
		switch {
		case ok:
			return st
		case o.Status == "skipped" && o.Reason != reader.SkipDigest:
			return ""
		}
		return report.IntegrityUnverified
	}
}
