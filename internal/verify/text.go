package verify

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText writes one line per digest, gap and log file, then a summary
// line: KIND STATUS WHERE DETAIL, tab-aligned.
func (r *Result) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, d := range r.Digests {
		span := ""
		if d.Start != "" || d.End != "" {
			span = d.Start + ".." + d.End
		}
		fmt.Fprintf(tw, "digest\t%s\t%s\t%s\t%s\n", d.Status, d.URI, span, d.Detail)
	}
	for _, g := range r.Gaps {
		fmt.Fprintf(tw, "gap\t%s\t%s\t%s..%s\t%s\n", "no digest", g.Chain, g.From, g.To, "delivery stopped or validation off")
	}
	for _, l := range r.Logs {
		fmt.Fprintf(tw, "log\t%s\t%s\t\t%s\n", l.Status, l.URI, l.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

// Summary is one line of counts.
func (r *Result) Summary() string {
	logs := map[string]int{}
	for _, l := range r.Logs {
		logs[l.Status]++
	}
	digests := map[string]int{}
	for _, d := range r.Digests {
		digests[d.Status]++
	}
	s := fmt.Sprintf("logs: %d verified, %d modified, %d deleted, %d unverified; digests: %d valid",
		logs[LogVerified], logs[LogModified], logs[LogDeleted], logs[LogUnverified], digests[DigestValid])
	for _, st := range []string{DigestModified, DigestMoved, DigestMissing, DigestSignatureInvalid} {
		if digests[st] > 0 {
			s += fmt.Sprintf(", %d %s", digests[st], st)
		}
	}
	s += fmt.Sprintf("; gaps: %d", len(r.Gaps))
	if len(r.Errors) > 0 {
		s += fmt.Sprintf("; %d unreadable", len(r.Errors))
	}
	if r.OK() {
		return s + " — VERIFIED"
	}
	return s + " — NOT VERIFIED"
}
