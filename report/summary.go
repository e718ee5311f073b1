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
	Complete bool // false when the scan did not read everything it listed
	// Interrupted: a signal (SIGINT, SIGTERM) ended the scan before it
	// finished; an incomplete scan that is not interrupted stopped on an
	// error (a listing, a write).
	Interrupted bool

	Window  TimeWindow
	Rules   RuleStats
	Objects ObjectStats

	Failures []ObjectFailure

	BytesCompressed int64 // bytes fetched
	BytesRead       int64 // bytes after decompression

	Records RecordStats

	Findings       int64
	FindingsByRule []RuleCount // the writers sort a copy: JSON by count desc, then id; text by severity first

	// Tuning counts what --exclude and --exceptions dropped; nil when
	// neither was given.
	Tuning *TuningStats

	// NewTerms says, per new_terms rule that saw events, which span only
	// built history and from when events were judged.
	NewTerms []HistorySpan

	Output string // where the findings went; "-" for stdout

	// Memory is the process's budget (--memory) and its peak resident
	// set, read from the OS when the scan ends (0 where it cannot be).
	Memory MemoryStats

	// Spilled is the aggregate state, the findings (sorted into output
	// order) and --verify's per-log state that did not fit in memory and
	// went to the work directory:
	// sorted runs, and their bytes before compression.
	Spilled SpillStats

	// NotEvaluated says what the scan could not evaluate and why (the
	// aggregate rules, when their state could not spill to the work
	// directory); empty when everything read was evaluated.
	NotEvaluated string

	// Version is the trailsweep version that ran the scan.
	Version string
	// Filters are the filters in force, as given on the command line.
	Filters Filters
	// Coverage is what the scan read and what it pruned.
	Coverage Coverage
	// Integrity is what scan --verify found; nil without it.
	Integrity *IntegrityStats

	// Warnings are things that make the result less than it seems: a
	// source that listed no log object (with what it does hold), new_terms
	// rules that cannot fire on the span. Printed on stderr as they are
	// found and again in the summary.
	Warnings []string
}

// IntegrityStats are the log files of a scan --verify per state
// (verified, modified, deleted, unverified), the digests per state, the
// gaps, and the modified and deleted logs by name.
type IntegrityStats struct {
	Logs     map[string]int64 `json:"logs"`
	Digests  map[string]int64 `json:"digests"`
	Gaps     int              `json:"gaps"`
	Modified []string         `json:"modified"`
	Deleted  []string         `json:"deleted"`
}

// Filters are the filters in force: the key-path filters (--accounts,
// --regions) and the rule selection flags, each as "--flag value".
type Filters struct {
	Accounts, Regions []string
	Selection         []string
}

// AccountsNote says what --accounts filters, for the summary.
const AccountsNote = "--accounts reads the account folder of the key path; findings show each record's recipientAccountId, which can differ (an organization trail, a delegated bucket)"

// Coverage is what a scan read and pruned.
type Coverage struct {
	// Events is the span of the eventTime of the records read (zero when
	// none had one).
	Events TimeWindow
	// Accounts, Regions and Days (day folders, as YYYY/MM/DD) are the
	// layout folders the scan listed objects from, and those the source
	// holds that the filters pruned (when the source's layout could be
	// surveyed: local trees).
	Accounts, Regions, Days Levels
	// Skipped are the first MaxSkippedListed skipped objects, by name.
	Skipped []SkippedObject
	// Surveyed is false when what was pruned is unknown (an S3 source).
	Surveyed bool
}

// Levels are the folders of one layout level scanned and pruned. The
// lists are sorted; they may be nil while the counts are not (see
// SetLevels).
type Levels struct {
	Scanned, Pruned         int
	ScannedList, PrunedList []string
}

// MaxLevelList is how long a list of Levels is kept; beyond it only the
// count is.
const MaxLevelList = 20

// SetLevels returns the Levels of scanned and pruned folders, keeping the
// lists when they have at most MaxLevelList entries.
func SetLevels(scanned, pruned []string) Levels {
	l := Levels{Scanned: len(scanned), Pruned: len(pruned)}
	if len(scanned) <= MaxLevelList {
		l.ScannedList = slices.Sorted(slices.Values(scanned))
	}
	if len(pruned) <= MaxLevelList {
		l.PrunedList = slices.Sorted(slices.Values(pruned))
	}
	return l
}

// SkippedObject is one object listed and not read, and why.
type SkippedObject struct{ URI, Reason string }

// MaxSkippedListed caps Coverage.Skipped.
const MaxSkippedListed = 20

// MemoryStats are a budget and the peak resident set, in bytes.
type MemoryStats struct{ Budget, PeakRSS int64 }

// SpillStats counts what an external sort wrote to the work directory.
type SpillStats struct {
	Runs  int
	Bytes int64
}

// AddObject counts one object read (failure nil) or failed (failure
// set): the object, its failure, its bytes and its records.
func (s *Summary) AddObject(failure *ObjectFailure, bytesIn, bytesOut int64, records RecordStats) {
	if failure != nil {
		s.Objects.Failed++
		s.Failures = append(s.Failures, *failure)
	} else {
		s.Objects.Scanned++
	}
	s.BytesCompressed += bytesIn
	s.BytesRead += bytesOut
	s.Records.Add(records)
}

// TimeWindow is the scanned event-time window; a zero bound is open.
type TimeWindow struct{ Since, Until time.Time }

// RuleStats counts rules: loaded from disk, runnable by this build, and
// unsupported (skipped, with a warning elsewhere). Silent are the runnable
// rules that produced no finding and CannotFire the new_terms rules whose
// history window is longer than the span scanned (they can produce none);
// the id lists hold at most MaxRuleIDs. LoadErrors are the rule files that
// failed to load, with why.
type RuleStats struct {
	Loaded, Runnable, Unsupported int

	Silent, CannotFire       int
	SilentIDs, CannotFireIDs []string
	LoadErrors               []string
}

// MaxRuleIDs caps RuleStats.SilentIDs and CannotFireIDs.
const MaxRuleIDs = 20

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
// people, Kind for machines (see reader.ErrorKind). Shard is the shard
// (I/N) that failed it, in the summary of a sharded hunt's reduce.
type ObjectFailure struct{ URI, Reason, Kind, Shard string }

// HistorySpan says, for one new_terms rule, which span of the data only
// built history and from when events were judged: an event earlier than
// DetectionFrom had less than a whole history window before it and is never
// reported as new.
type HistorySpan struct {
	RuleID, RuleName, RuleSource string
	Source                       string // "scan" (the scan's first window) or "--history …"
	HistoryFrom, DetectionFrom   time.Time
}

// TuningStats counts what the tuning of a scan dropped. Excluded records
// (dropped by an --exclude before any rule saw them) are counted as
// evaluated too; Suppressed are the matches an exception dropped — for an
// aggregate rule, the records withheld from its aggregate.
type TuningStats struct {
	Excluded, Suppressed int64
	Excludes             []TuningCount // per --exclude, in order
	Exceptions           []TuningCount // per exception, in file order
	SuppressedByRule     []RuleCount   // Suppressed, per rule
}

// TuningCount is one exclusion or exception and how many records (matches,
// for an exception) it dropped. Rule is the exception's rule id or "*";
// Origin is "--exclude" or the exception's FILE:LINE.
type TuningCount struct {
	Rule, Query, Reason, Origin string
	Count                       int64
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

	incomplete := "INCOMPLETE: the scan stopped on an error; findings and counts cover only part of the input.\n"
	if s.Interrupted {
		incomplete = "INCOMPLETE: the scan was interrupted; findings and counts cover only part of the input.\n"
	}
	if !s.Complete {
		p("%s", incomplete)
	}
	if s.NotEvaluated != "" {
		p("NOT EVALUATED: %s\n", Clean(s.NotEvaluated))
	}
	p("trailsweep summary\n")
	p("  sources:   %s\n", cleanJoin(s.Sources))
	p("  window:    %s .. %s\n", bound(s.Window.Since), bound(s.Window.Until))
	if in := s.Integrity; in != nil {
		p("  integrity: logs %d verified, %d modified, %d deleted, %d unverified; digests %d valid of %d; gaps %d\n",
			in.Logs["verified"], in.Logs["modified"], in.Logs["deleted"], in.Logs["unverified"],
			in.Digests["valid"], sumCounts(in.Digests), in.Gaps)
		for _, u := range in.Modified {
			p("    modified: %s\n", Clean(u))
		}
		for _, u := range in.Deleted {
			p("    deleted:  %s\n", Clean(u))
		}
	}
	if !s.Started.IsZero() {
		p("  started:   %s\n", s.Started.UTC().Format(time.RFC3339))
	}
	p("  duration:  %s\n", s.Duration.Round(time.Millisecond))
	if s.Version != "" {
		p("  version:   trailsweep %s\n", Clean(s.Version))
	}
	if f := s.Filters; len(f.Accounts)+len(f.Regions)+len(f.Selection) > 0 {
		var parts []string
		if len(f.Accounts) > 0 {
			parts = append(parts, "--accounts "+strings.Join(f.Accounts, ","))
		}
		if len(f.Regions) > 0 {
			parts = append(parts, "--regions "+strings.Join(f.Regions, ","))
		}
		p("  filters:   %s\n", cleanJoin(append(parts, f.Selection...)))
		if len(f.Accounts) > 0 {
			p("             note: %s\n", AccountsNote)
		}
	}
	p("  rules:     %d loaded, %d runnable, %d unsupported\n", s.Rules.Loaded, s.Rules.Runnable, s.Rules.Unsupported)
	if n := s.Rules.CannotFire; n > 0 {
		p("             cannot fire on this span: %d rules, use --history (new_terms history window longer than the span)%s\n", n, idList(s.Rules.CannotFireIDs, n))
	}
	if n := s.Rules.Silent; n > 0 {
		p("             produced nothing: %d rules%s\n", n, idList(s.Rules.SilentIDs, n))
	}
	if n := len(s.Rules.LoadErrors); n > 0 {
		p("             not loaded (%d):\n", n)
		for i, e := range s.Rules.LoadErrors {
			if i == maxTextFailures {
				p("               ... and %d more\n", n-i)
				break
			}
			p("               %s\n", Clean(e))
		}
	}
	c := s.Coverage
	if !c.Events.Since.IsZero() {
		p("  events:    %s .. %s (first and last eventTime read)\n", bound(c.Events.Since), bound(c.Events.Until))
	}
	for _, l := range []struct {
		name string
		lv   Levels
	}{{"accounts", c.Accounts}, {"regions", c.Regions}, {"days", c.Days}} {
		if l.lv.Scanned == 0 && l.lv.Pruned == 0 {
			continue
		}
		p("  %-10s %d scanned%s", l.name+":", l.lv.Scanned, levelList(l.lv.ScannedList, l.name == "days"))
		if c.Surveyed {
			p(", %d pruned%s", l.lv.Pruned, levelList(l.lv.PrunedList, l.name == "days"))
		}
		p("\n")
	}

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
		for _, so := range s.Coverage.Skipped {
			p("               %s: %s\n", Clean(so.URI), Clean(so.Reason))
		}
		if n := o.SkippedTotal() - int64(len(s.Coverage.Skipped)); n > 0 && len(s.Coverage.Skipped) > 0 {
			p("               ... and %d more\n", n)
		}
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
		p("  spilled:   %d sorted runs of aggregate state, findings and log integrity state to the work directory (%s before compression)\n", s.Spilled.Runs, megabytes(s.Spilled.Bytes))
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
	if t := s.Tuning; t != nil {
		p("  tuning:    %d records excluded, %d matches suppressed by exceptions\n", t.Excluded, t.Suppressed)
		for _, x := range t.Excludes {
			p("    %8d  --exclude %s\n", x.Count, Clean(x.Query))
		}
		for _, x := range t.Exceptions {
			p("    %8d  exception %s rule %s: %s", x.Count, Clean(x.Origin), Clean(x.Rule), Clean(x.Query))
			if x.Reason != "" {
				p(" (%s)", Clean(x.Reason))
			}
			p("\n")
		}
		sup := slices.Clone(t.SuppressedByRule)
		SortRuleCounts(sup)
		for i, rc := range sup {
			if i == maxTextRules {
				p("    ... and %d more rules\n", len(sup)-i)
				break
			}
			p("    %8d  suppressed  %s  %s\n", rc.Count, Clean(rc.RuleID), Clean(rc.RuleName))
		}
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
			if f.Shard != "" {
				p("    shard %s: %s: %s\n", Clean(f.Shard), Clean(f.URI), Clean(f.Reason))
				continue
			}
			p("    %s: %s\n", Clean(f.URI), Clean(f.Reason))
		}
	}
	for _, w := range s.Warnings {
		p("WARNING: %s\n", Clean(w))
	}
	if !s.Complete {
		p("%s", incomplete)
	}
	return bw.Flush()
}

// idList formats ": a, b, c" for ids of n rules, or "" when ids is empty
// or shorter than n (capped).
func idList(ids []string, n int) string {
	if len(ids) == 0 || len(ids) < n {
		return ""
	}
	return ": " + cleanJoin(ids)
}

// levelList formats " (a, b)" for a short list of folders, or a day
// range " (first .. last)" for days.
func levelList(l []string, days bool) string {
	switch {
	case len(l) == 0:
		return ""
	case days && len(l) > 3:
		return fmt.Sprintf(" (%s .. %s)", Clean(l[0]), Clean(l[len(l)-1]))
	}
	return " (" + cleanJoin(l) + ")"
}

// WriteJSON writes the summary as one JSON object with stable snake_case
// keys: durations in seconds, times in RFC 3339 UTC (null when zero), lists
// as arrays (never null), findings_by_rule sorted as by SortRuleCounts, and
// every failure; tuning is null when the scan had no --exclude or
// --exceptions. Strings are written as they are; JSON escaping keeps them
// inert.
func (s *Summary) WriteJSON(w io.Writer) error {
	type window struct {
		Since *string `json:"since"`
		Until *string `json:"until"`
	}
	type rules struct {
		Loaded        int      `json:"loaded"`
		Runnable      int      `json:"runnable"`
		Unsupported   int      `json:"unsupported"`
		Silent        int      `json:"silent"`
		SilentIDs     []string `json:"silent_ids"`
		CannotFire    int      `json:"cannot_fire"`
		CannotFireIDs []string `json:"cannot_fire_ids"`
		LoadErrors    []string `json:"load_errors"`
	}
	type filters struct {
		Accounts  []string `json:"accounts"`
		Regions   []string `json:"regions"`
		Selection []string `json:"selection"`
		Note      string   `json:"note,omitempty"`
	}
	type levels struct {
		Scanned     int      `json:"scanned"`
		Pruned      int      `json:"pruned"`
		ScannedList []string `json:"scanned_list"`
		PrunedList  []string `json:"pruned_list"`
	}
	type skipped struct {
		URI    string `json:"uri"`
		Reason string `json:"reason"`
	}
	type span struct {
		First *string `json:"first"`
		Last  *string `json:"last"`
	}
	type coverage struct {
		Events   span      `json:"events"`
		Accounts levels    `json:"accounts"`
		Regions  levels    `json:"regions"`
		Days     levels    `json:"days"`
		Surveyed bool      `json:"surveyed"`
		Skipped  []skipped `json:"skipped_objects"`
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
		Shard  string `json:"shard,omitempty"`
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
	type tuningCount struct {
		Rule   string `json:"rule,omitempty"`
		Query  string `json:"query"`
		Reason string `json:"reason,omitempty"`
		Origin string `json:"origin"`
		Count  int64  `json:"count"`
	}
	type tuning struct {
		Excluded         int64         `json:"excluded_records"`
		Suppressed       int64         `json:"suppressed"`
		Excludes         []tuningCount `json:"excludes"`
		Exceptions       []tuningCount `json:"exceptions"`
		SuppressedByRule []ruleCount   `json:"suppressed_by_rule"`
	}
	type summary struct {
		Sources         []string        `json:"sources"`
		Started         *string         `json:"started"`
		DurationSeconds float64         `json:"duration_seconds"`
		Complete        bool            `json:"complete"`
		Interrupted     bool            `json:"interrupted"`
		Window          window          `json:"window"`
		Rules           rules           `json:"rules"`
		Objects         objects         `json:"objects"`
		Failures        []failure       `json:"failures"`
		BytesCompressed int64           `json:"bytes_compressed"`
		BytesRead       int64           `json:"bytes_read"`
		Records         records         `json:"records"`
		Findings        int64           `json:"findings"`
		FindingsByRule  []ruleCount     `json:"findings_by_rule"`
		Tuning          *tuning         `json:"tuning"`
		NewTerms        []newTerms      `json:"new_terms_history"`
		Output          string          `json:"output"`
		Memory          memory          `json:"memory"`
		Spilled         spilled         `json:"spilled"`
		NotEvaluated    string          `json:"not_evaluated,omitempty"`
		Throughput      throughput      `json:"throughput"`
		Version         string          `json:"version"`
		Filters         filters         `json:"filters"`
		Coverage        coverage        `json:"coverage"`
		Integrity       *IntegrityStats `json:"integrity,omitempty"`
		Warnings        []string        `json:"warnings"`
	}
	o := s.Objects
	out := summary{
		Sources:         nonNil(s.Sources),
		Started:         jsonTime(s.Started),
		DurationSeconds: s.Duration.Seconds(),
		Complete:        s.Complete,
		Interrupted:     s.Interrupted,
		Window:          window{jsonTime(s.Window.Since), jsonTime(s.Window.Until)},
		Rules: rules{s.Rules.Loaded, s.Rules.Runnable, s.Rules.Unsupported, s.Rules.Silent, nonNil(s.Rules.SilentIDs),
			s.Rules.CannotFire, nonNil(s.Rules.CannotFireIDs), nonNil(s.Rules.LoadErrors)},
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
		Version:         s.Version,
		Filters:         filters{nonNil(s.Filters.Accounts), nonNil(s.Filters.Regions), nonNil(s.Filters.Selection), ""},
		Integrity:       s.Integrity,
		Warnings:        nonNil(s.Warnings),
	}
	if len(s.Filters.Accounts) > 0 {
		out.Filters.Note = AccountsNote
	}
	lv := func(l Levels) levels {
		return levels{l.Scanned, l.Pruned, nonNil(l.ScannedList), nonNil(l.PrunedList)}
	}
	c := s.Coverage
	out.Coverage = coverage{Events: span{jsonTime(c.Events.Since), jsonTime(c.Events.Until)},
		Accounts: lv(c.Accounts), Regions: lv(c.Regions), Days: lv(c.Days), Surveyed: c.Surveyed,
		Skipped: make([]skipped, len(c.Skipped))}
	for i, so := range c.Skipped {
		out.Coverage.Skipped[i] = skipped(so)
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
	if t := s.Tuning; t != nil {
		out.Tuning = &tuning{Excluded: t.Excluded, Suppressed: t.Suppressed,
			Excludes: make([]tuningCount, len(t.Excludes)), Exceptions: make([]tuningCount, len(t.Exceptions)),
			SuppressedByRule: make([]ruleCount, len(t.SuppressedByRule))}
		for i, x := range t.Excludes {
			out.Tuning.Excludes[i] = tuningCount(x)
		}
		for i, x := range t.Exceptions {
			out.Tuning.Exceptions[i] = tuningCount(x)
		}
		sup := slices.Clone(t.SuppressedByRule)
		SortRuleCounts(sup)
		for i, rc := range sup {
			out.Tuning.SuppressedByRule[i] = ruleCount(rc)
		}
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

func sumCounts(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
