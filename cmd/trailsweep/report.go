package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/trailsweep/trailsweep/report"
)

type reportFlags struct {
	html, summary, title string
}

func newReportCmd(stdout, stderr io.Writer) *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "report FINDINGS... --html OUT.html [--summary FILE]",
		Short: "Render findings files (Parquet, CSV, JSONL, or directories of them) as a self-contained HTML report",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("report needs at least one findings file or directory")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error { return runReport(&rf, args, stdout, stderr) },
	}
	f := cmd.Flags()
	f.StringVar(&rf.html, "html", "", "the HTML report to write (required)")
	f.StringVar(&rf.summary, "summary", "", "the scan's --summary JSON, for the coverage section")
	f.StringVar(&rf.title, "title", "", "the report's title (default: the summary's sources, else the findings paths)")
	return cmd
}

func runReport(rf *reportFlags, args []string, stdout, stderr io.Writer) error {
	if rf.html == "" {
		return usageErr("report needs --html OUT.html")
	}
	var sum *report.Summary
	if rf.summary != "" {
		f, err := os.Open(rf.summary)
		if err != nil {
			return usageErr("--summary: %w", err)
		}
		sum, err = report.ReadSummaryJSON(f)
		f.Close()
		if err != nil {
			return usageErr("--summary %s: %w", rf.summary, err)
		}
	}
	h, err := report.NewHTML("")
	if err != nil {
		return &exitError{code: exitIncomplete, err: err}
	}
	defer h.Close()
	for _, a := range args {
		for f, err := range report.ReadFindings(a) {
			if err != nil {
				return usageErr("%w", err)
			}
			if err := h.Add(f); err != nil {
				return &exitError{code: exitIncomplete, err: err}
			}
		}
	}
	title := rf.title
	if title == "" && sum == nil {
		title = fmt.Sprint(args)
	}
	if err := h.WriteFile(rf.html, sum, title); err != nil {
		return &exitError{code: exitIncomplete, err: fmt.Errorf("--html: %w", err)}
	}
	fmt.Fprintf(stderr, "trailsweep: %d findings in %s\n", h.Len(), report.Clean(rf.html))
	return nil
}
