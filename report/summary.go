package report

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Summary describes one scan, for the end-of-run report on stderr
// (WriteText) or for machines (WriteJSON).
type Summary struct {
	Sources  []string
	Started  time.Time
	Duration time.Duration
	Complete bool // false when the scan was interrupted

	Window  TimeWindow
	Rules   RuleStats
	Objects ObjectStats

	Failures []ObjectFailure

	BytesCompressed int64 // bytes fetched
	BytesRead       int64 // bytes after decompression

	Records RecordStats

	Findings       int64
	FindingsByRule []RuleCount // the writers sort a copy: JSON by count desc, then id; text by severity first

	// NewTerms says, per new_terms rule that saw events, which span only
	// built history and from when events were judged.
	NewTerms []HistorySpan

	Output string // where the findings went; "-" for stdout

	// Memory is the process's budget (--memory) and its peak resident
	// set, read from the OS when the scan ends (0 where it cannot be).
	Memory MemoryStats

	// Spilled is the aggregate state and the findings (sorted into output
	// order) that did not fit in memory and went to the work directory:
	// sorted runs, and their bytes before compression.
	Spilled SpillStats

	// NotEvaluated says what the scan could not evaluate and why (the
	// aggregate rules, when their state could not spill to the work
	// directory); empty when everything read was evaluated.
	NotEvaluated string
}

// MemoryStats are a budget and the peak resident set, in bytes.
type MemoryStats struct{ Budget, PeakRSS int64 }

// SpillStats counts what an external sort wrote to the work directory.
type SpillStats struct {
	Runs  int
	Bytes int64
}

// TimeWindow is the scanned event-time window; a zero bound is open.
type TimeWindow struct{ Since, Until time.Time }

// RuleStats counts rules: loaded from disk, runnable by this build, and
// unsupported (skipped, with a warning elsewhere).
type RuleStats struct{ Loaded, Runnable, Unsupported int }

// ObjectStats counts log objects. In a complete scan
// Listed = Scanned + Failed + the sum of Skipped; an interrupted scan leaves
// the rest not reached.
type ObjectStats struct {
	Listed, Scanned, Failed int64
	Skipped                 map[string]int64 // by reason
}

// SkippedTotal returns the sum of o.Skipped.
func (o ObjectStats) SkippedTotal() int64 {
	var n int64
	for _, v := range o.Skipped {
		n += v
	}
	return n
}

// NotReached returns the listed objects that were neither scanned, skipped
// nor failed (negative if the counts exceed Listed).
func (o ObjectStats) NotReached() int64 {
	return o.Listed - o.Scanned - o.Failed - o.SkippedTotal()
}

// RecordStats counts records read, evaluated against the rules, dropped for
// falling outside the window, and malformed. MalformedBy counts the
// malformed records whose reason names a field, by reason ("userIdentity.type
// is an object": an object where CloudTrail writes a string, which
// Elasticsearch rejects); they are counted in Malformed too. Nil when there
// are none.
type RecordStats struct {
	Read, Evaluated, OutsideWindow, Malformed int64
	MalformedBy                               map[string]int64 `json:",omitempty"`
}

// AddMalformed counts one malformed record, under reason when it is not "".
func (r *RecordStats) AddMalformed(reason string) {
	r.Malformed++
	if reason == "" {
		return
	}
	if r.MalformedBy == nil {
		r.MalformedBy = make(map[string]int64)
	}
	r.MalformedBy[reason]++
}

// ObjectFailure is an object that could not be read, and why: Reason for
// people, Kind for machines (see reader.ErrorKind).
type ObjectFailure struct{ URI, Reason, Kind string }

// HistorySpan says, for one new_terms rule, which span of the data only
// built history and from when events were judged: an event earlier than
// DetectionFrom had less than a whole history window before it and is never
// reported as new.
type HistorySpan struct {
	RuleID, RuleName, RuleSource string
	Source                       string // "scan" (the scan's first window) or "--history …"
	HistoryFrom, DetectionFrom   time.Time
}

// RuleCount is the number of findings of one rule.
type RuleCount struct {
	RuleID, RuleName string
	RuleSource       string // rule ids are unique within a source only
	Severity         string
	Count            int64
}

// Add adds o's counts to r.
func (r *RecordStats) Add(o RecordStats) {
	r.Read += o.Read
	r.Evaluated += o.Evaluated
	r.OutsideWindow += o.OutsideWindow
	r.Malformed += o.Malformed
	for reason, n := range o.MalformedBy {
		if r.MalformedBy == nil {
			r.MalformedBy = make(map[string]int64)
		}
		r.MalformedBy[reason] += n
	}
}

// SortRuleCounts sorts rc by count, highest first, then by rule id.
func SortRuleCounts(rc []RuleCount) {
	slices.SortFunc(rc, func(a, b RuleCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.RuleID, b.RuleID)
	})
}

// severityRank orders severities, most severe first; unknown ones last.
func severityRank(s string) int {
	switch strings.ToLower(s) {
	case "critical":
		return 0
	case "high":
		return 1
	case "medium":
		return 2
	case "low":
		return 3
	}
	return 4
}

// sortBySeverity sorts rc by severity, most severe first, then as by
// SortRuleCounts.
func sortBySeverity(rc []RuleCount) {
	slices.SortFunc(rc, func(a, b RuleCount) int {
		if c := cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.RuleID, b.RuleID)
	})
}

// RuleCounter tallies findings by rule. The zero value is ready to use; it is
// not safe for concurrent use.
type RuleCounter struct {
	total  int64
	byRule map[string]*RuleCount
}

// Add counts f under its rule (source and id).
func (c *RuleCounter) Add(f *Finding) {
	if c.byRule == nil {
		c.byRule = make(map[string]*RuleCount)
	}
	key := f.RuleSource + ":" + f.RuleID
	rc := c.byRule[key]
	if rc == nil {
		rc = &RuleCount{RuleID: f.RuleID, RuleName: f.RuleName, RuleSource: f.RuleSource, Severity: f.Severity}
		c.byRule[key] = rc
	}
	rc.Count++
	c.total++
}

// Total returns the number of findings counted.
func (c *RuleCounter) Total() int64 { return c.total }

// Counts returns the per-rule counts, sorted as by SortRuleCounts.
func (c *RuleCounter) Counts() []RuleCount {
	out := make([]RuleCount, 0, len(c.byRule))
	for _, rc := range c.byRule {
		out = append(out, *rc)
	}
	SortRuleCounts(out)
	return out
}

// Caps on the lists WriteText prints; WriteJSON prints everything.
const (
	maxTextFailures = 50
	maxTextRules    = 30
)

// WriteText writes a human-readable summary, meant for stderr. Every string
// that may come from the input or the command line (sources, URIs, reasons,
// rule names, the output path) goes through Clean. It shows how the listed
// objects split into scanned, skipped (by reason), failed and not reached,
// the findings per rule with its severity (by severity, then count: every
// high and critical rule, the others up to 30 lines in all, then how many
// more), the failures with their reasons (at most 50, then how many more),
// throughput, and, when the scan is not complete, an INCOMPLETE banner at
// the top and the bottom.
func (s *Summary) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	const incomplete = "INCOMPLETE: the scan was interrupted; findings and counts cover only part of the input.\n"
	if !s.Complete {
		p("%s", incomplete)
	}
	if s.NotEvaluated != "" {
		p("NOT EVALUATED: %s\n", Clean(s.NotEvaluated))
	}
	p("trailsweep summary\n")
	p("  sources:   %s\n", cleanJoin(s.Sources))
	p("  window:    %s .. %s\n", bound(s.Window.Since), bound(s.Window.Until))
	if !s.Started.IsZero() {
		p("  started:   %s\n", s.Started.UTC().Format(time.RFC3339))
	}
	p("  duration:  %s\n", s.Duration.Round(time.Millisecond))
	p("  rules:     %d loaded, %d runnable, %d unsupported\n", s.Rules.Loaded, s.Rules.Runnable, s.Rules.Unsupported)

	o := s.Objects
	p("  objects:   %d listed = %d scanned + %d skipped + %d failed", o.Listed, o.Scanned, o.SkippedTotal(), o.Failed)
	switch nr := o.NotReached(); {
	case nr > 0:
		p(" + %d not reached", nr)
	case nr < 0:
		p(" (counts exceed listed by %d)", -nr)
	}
	p("\n")
	if len(o.Skipped) > 0 {
		reasons := slices.Sorted(maps.Keys(o.Skipped))
		parts := make([]string, len(reasons))
		for i, r := range reasons {
			parts[i] = fmt.Sprintf("%d %s", o.Skipped[r], Clean(r))
		}
		p("             skipped: %s\n", strings.Join(parts, ", "))
	}

	secs := s.Duration.Seconds()
	p("  bytes:     %s fetched, %s decompressed", megabytes(s.BytesCompressed), megabytes(s.BytesRead))
	if secs > 0 {
		p(" (%.1f MB/s fetched, %.1f MB/s decompressed)", float64(s.BytesCompressed)/1e6/secs, float64(s.BytesRead)/1e6/secs)
	}
	p("\n")
	r := s.Records
	p("  records:   %d read, %d evaluated, %d outside window, %d malformed", r.Read, r.Evaluated, r.OutsideWindow, r.Malformed)
	if secs > 0 {
		p(" (%.0f records/s)", float64(r.Read)/secs)
	}
	p("\n")
	if len(r.MalformedBy) > 0 {
		reasons := slices.Sorted(maps.Keys(r.MalformedBy))
		parts := make([]string, len(reasons))
		for i, why := range reasons {
			parts[i] = fmt.Sprintf("%d %s", r.MalformedBy[why], Clean(why))
		}
		p("             malformed: %s\n", strings.Join(parts, ", "))
	}

	if s.Memory.PeakRSS > 0 {
		p("  memory:    peak RSS %.0f MiB of a %.0f MiB budget\n", float64(s.Memory.PeakRSS)/(1<<20), float64(s.Memory.Budget)/(1<<20))
	}
	if s.Spilled.Runs > 0 {
		p("  spilled:   %d sorted runs of aggregate state and findings to the work directory (%s before compression)\n", s.Spilled.Runs, megabytes(s.Spilled.Bytes))
	}
	p("  findings:  %d", s.Findings)
	if s.Output != "" {
		out := s.Output
		if out == Stdout {
			out = "stdout"
		}
		p(" -> %s", Clean(out))
	}
	p("\n")
	// By severity, then count; every high and critical rule is listed,
	// the others up to maxTextRules lines in all.
	rules := slices.Clone(s.FindingsByRule)
	sortBySeverity(rules)
	for i, rc := range rules {
		if i >= maxTextRules && severityRank(rc.Severity) > 1 {
			p("    ... and %d more rules, none high or critical\n", len(rules)-i)
			break
		}
		sev := rc.Severity
		if sev == "" {
			sev = "-"
		}
		p("    %8d  %-8s  %s  %s\n", rc.Count, Clean(sev), Clean(rc.RuleID), Clean(rc.RuleName))
	}

	// new_terms spans, one line per distinct (source, history, detection).
	type span struct {
		source   string
		from, to time.Time
	}
	var spans []span
	perSpan := map[span]int{}
	for _, h := range s.NewTerms {
		k := span{h.Source, h.HistoryFrom, h.DetectionFrom}
		if perSpan[k] == 0 {
			spans = append(spans, k)
		}
		perSpan[k]++
	}
	for _, k := range spans {
		p("  new_terms: history %s .. %s (%s), detection from %s: %d rule(s)\n",
			k.from.UTC().Format(time.RFC3339), k.to.UTC().Format(time.RFC3339), Clean(k.source),
			k.to.UTC().Format(time.RFC3339), perSpan[k])
	}

	if len(s.Failures) > 0 {
		p("  failures (%d):\n", len(s.Failures))
		for i, f := range s.Failures {
			if i == maxTextFailures {
				p("    ... and %d more\n", len(s.Failures)-i)
				break
			}
			p("    %s: %s\n", Clean(f.URI), Clean(f.Reason))
		}
	}
	if !s.Complete {
		p("%s", incomplete)
	}
	return bw.Flush()
}

// WriteJSON writes the summary as one JSON object with stable snake_case
// keys: durations in seconds, times in RFC 3339 UTC (null when zero), lists
// as arrays (never null), findings_by_rule sorted as by SortRuleCounts, and
// every failure. Strings are written as they are; JSON escaping keeps them
// inert.
func (s *Summary) WriteJSON(w io.Writer) error {
	type window struct {
		Since *string `json:"since"`
		Until *string `json:"until"`
	}
	type rules struct {
		Loaded      int `json:"loaded"`
		Runnable    int `json:"runnable"`
		Unsupported int `json:"unsupported"`
	}
	type objects struct {
		Listed       int64            `json:"listed"`
		Scanned      int64            `json:"scanned"`
		Failed       int64            `json:"failed"`
		Skipped      map[string]int64 `json:"skipped"`
		SkippedTotal int64            `json:"skipped_total"`
		NotReached   int64            `json:"not_reached"`
	}
	type failure struct {
		URI    string `json:"uri"`
		Reason string `json:"reason"`
		Kind   string `json:"kind,omitempty"`
	}
	type records struct {
		Read          int64 `json:"read"`
		Evaluated     int64 `json:"evaluated"`
		OutsideWindow int64 `json:"outside_window"`
		Malformed     int64 `json:"malformed"`
		// MalformedBy: the malformed records whose reason names a field, by reason.
		MalformedBy map[string]int64 `json:"malformed_by_reason"`
	}
	type newTerms struct {
		RuleID        string  `json:"rule_id"`
		RuleName      string  `json:"rule_name"`
		RuleSource    string  `json:"rule_source"`
		Source        string  `json:"source"`
		HistoryFrom   *string `json:"history_from"`
		DetectionFrom *string `json:"detection_from"`
	}
	type ruleCount struct {
		RuleID     string `json:"rule_id"`
		RuleName   string `json:"rule_name"`
		RuleSource string `json:"rule_source,omitempty"`
		Severity   string `json:"severity,omitempty"`
		Count      int64  `json:"count"`
	}
	type throughput struct {
		BytesCompressedPerSecond float64 `json:"bytes_compressed_per_second"`
		BytesReadPerSecond       float64 `json:"bytes_read_per_second"`
		RecordsPerSecond         float64 `json:"records_per_second"`
	}
	type memory struct {
		Budget  int64 `json:"budget_bytes"`
		PeakRSS int64 `json:"peak_rss_bytes"`
	}
	type spilled struct {
		Runs  int   `json:"runs"`
		Bytes int64 `json:"bytes"`
	}
	type summary struct {
		Sources         []string    `json:"sources"`
		Started         *string     `json:"started"`
		DurationSeconds float64     `json:"duration_seconds"`
		Complete        bool        `json:"complete"`
		Window          window      `json:"window"`
		Rules           rules       `json:"rules"`
		Objects         objects     `json:"objects"`
		Failures        []failure   `json:"failures"`
		BytesCompressed int64       `json:"bytes_compressed"`
		BytesRead       int64       `json:"bytes_read"`
		Records         records     `json:"records"`
		Findings        int64       `json:"findings"`
		FindingsByRule  []ruleCount `json:"findings_by_rule"`
		NewTerms        []newTerms  `json:"new_terms_history"`
		Output          string      `json:"output"`
		Memory          memory      `json:"memory"`
		Spilled         spilled     `json:"spilled"`
		NotEvaluated    string      `json:"not_evaluated,omitempty"`
		Throughput      throughput  `json:"throughput"`
	}
	o := s.Objects
	out := summary{
		Sources:         nonNil(s.Sources),
		Started:         jsonTime(s.Started),
		DurationSeconds: s.Duration.Seconds(),
		Complete:        s.Complete,
		Window:          window{jsonTime(s.Window.Since), jsonTime(s.Window.Until)},
		Rules:           rules{s.Rules.Loaded, s.Rules.Runnable, s.Rules.Unsupported},
		Objects: objects{
			Listed: o.Listed, Scanned: o.Scanned, Failed: o.Failed,
			Skipped: o.Skipped, SkippedTotal: o.SkippedTotal(), NotReached: o.NotReached(),
		},
		Failures:        make([]failure, len(s.Failures)),
		BytesCompressed: s.BytesCompressed,
		BytesRead:       s.BytesRead,
		Records:         records{s.Records.Read, s.Records.Evaluated, s.Records.OutsideWindow, s.Records.Malformed, s.Records.MalformedBy},
		Findings:        s.Findings,
		FindingsByRule:  make([]ruleCount, len(s.FindingsByRule)),
		Output:          s.Output,
		Memory:          memory(s.Memory),
		Spilled:         spilled(s.Spilled),
		NotEvaluated:    s.NotEvaluated,
	}
	out.NewTerms = make([]newTerms, len(s.NewTerms))
	for i, h := range s.NewTerms {
		out.NewTerms[i] = newTerms{h.RuleID, h.RuleName, h.RuleSource, h.Source, jsonTime(h.HistoryFrom), jsonTime(h.DetectionFrom)}
	}
	if out.Records.MalformedBy == nil {
		out.Records.MalformedBy = map[string]int64{}
	}
	if out.Objects.Skipped == nil {
		out.Objects.Skipped = map[string]int64{}
	}
	for i, f := range s.Failures {
		out.Failures[i] = failure(f)
	}
	rcs := slices.Clone(s.FindingsByRule)
	SortRuleCounts(rcs)
	for i, rc := range rcs {
		out.FindingsByRule[i] = ruleCount(rc)
	}
	if secs := s.Duration.Seconds(); secs > 0 {
		out.Throughput = throughput{
			BytesCompressedPerSecond: float64(s.BytesCompressed) / secs,
			BytesReadPerSecond:       float64(s.BytesRead) / secs,
			RecordsPerSecond:         float64(s.Records.Read) / secs,
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}

func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

func bound(t time.Time) string {
	if t.IsZero() {
		return "open"
	}
	return t.UTC().Format(time.RFC3339)
}

func cleanJoin(ss []string) string {
	if len(ss) == 0 {
		return "-"
	}
	c := make([]string, len(ss))
	for i, s := range ss {
		c[i] = Clean(s)
	}
	return strings.Join(c, ", ")
}

// megabytes formats n bytes in decimal megabytes.
func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
