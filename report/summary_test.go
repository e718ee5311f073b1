package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sampleSummary: 150 scanned, 28 skipped, the given failures, and notReached
// more listed (negative: fewer listed than accounted for).
func sampleSummary(complete bool, failures int, notReached int64) *Summary {
	s := &Summary{
		Sources:  []string{"s3://trail-bucket/AWSLogs/", "./logs\x1b[2J"},
		Started:  time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC),
		Duration: 4 * time.Second,
		Complete: complete,
		Window:   TimeWindow{Since: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		Rules:    RuleStats{Loaded: 12, Runnable: 10, Unsupported: 2},
		Objects: ObjectStats{
			Listed: 178 + int64(failures) + notReached, Scanned: 150, Failed: int64(failures),
			Skipped: map[string]int64{"digest": 20, "outside window": 5, "already done": 3},
		},
		BytesCompressed: 8_000_000,
		BytesRead:       80_000_000,
		Records: RecordStats{Read: 40_000, Evaluated: 39_000, OutsideWindow: 900, Malformed: 100,
			MalformedBy: map[string]int64{"userIdentity.type is an object": 7, "eventSource holds an object in an array\x1b[2J": 2}},
		Output: "out.parquet",
		Tuning: &TuningStats{Excluded: 4, Suppressed: 3,
			Excludes:         []TuningCount{{Query: "user.name: ci", Origin: "--exclude", Count: 4}},
			Exceptions:       []TuningCount{{Rule: "*", Query: "source.ip: 10.0.0.0/8", Reason: "VPN\x1b[2J", Origin: "exc.yaml:2", Count: 3}},
			SuppressedByRule: []RuleCount{{RuleID: "r-a", RuleName: "name of r-a", Count: 3}}},
	}
	for i := range failures {
		s.Failures = append(s.Failures, ObjectFailure{
			URI:    fmt.Sprintf("s3://trail-bucket/k%03d.json.gz", i),
			Reason: "gzip: invalid header\x1b]0;pwned\x07",
		})
	}
	var c RuleCounter
	for i, id := range []string{"r-b", "r-a", "r-c", "r-a", "r-b", "r-a"} {
		c.Add(&Finding{RuleID: id, RuleName: "name of " + id, RecordIndex: int64(i)})
	}
	s.Findings = c.Total()
	s.FindingsByRule = c.Counts()
	return s
}

func TestRuleCounter(t *testing.T) {
	var c RuleCounter
	for _, id := range []string{"b", "a", "c", "c", "b", "d"} {
		c.Add(&Finding{RuleID: id, RuleName: "n" + id})
	}
	want := []RuleCount{{"b", "nb", "", "", 2}, {"c", "nc", "", "", 2}, {"a", "na", "", "", 1}, {"d", "nd", "", "", 1}}
	if got := c.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("Counts() = %v, want %v", got, want)
	}
	// One id in two sources is two rules (SigmaHQ reuses some Elastic ids).
	var two RuleCounter
	two.Add(&Finding{RuleID: "x", RuleSource: "elastic", RuleName: "E"})
	two.Add(&Finding{RuleID: "x", RuleSource: "sigma", RuleName: "S"})
	if got := two.Counts(); len(got) != 2 || got[0].RuleSource == got[1].RuleSource {
		t.Errorf("same id, two sources: Counts() = %v, want two entries", got)
	}
	if got := c.Total(); got != 6 {
		t.Errorf("Total() = %d, want 6", got)
	}
}

var objectsLine = regexp.MustCompile(`objects:\s+(\d+) listed = (\d+) scanned \+ (\d+) skipped \+ (\d+) failed(?: \+ (\d+) not reached)?(?: \(counts exceed listed by \d+\))?\n`)

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSummaryText(t *testing.T) {
	tests := []struct {
		name       string
		complete   bool
		failures   int
		notReached int64
	}{
		{"complete", true, 22, 0},
		{"interrupted", false, 2, 20},
		{"many failures", true, 75, 0},
		{"counts exceed listed", true, 1, -5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sampleSummary(tt.complete, tt.failures, tt.notReached)
			var buf bytes.Buffer
			if err := s.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			checkClean(t, "", strings.ReplaceAll(out, "\n", ""))

			m := objectsLine.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no objects line in:\n%s", out)
			}
			listed, scanned, skipped, failed, rest := atoi(t, m[1]), atoi(t, m[2]), atoi(t, m[3]), atoi(t, m[4]), atoi(t, m[5])
			if tt.notReached >= 0 && listed != scanned+skipped+failed+rest {
				t.Errorf("printed counts do not add up: %d != %d + %d + %d + %d", listed, scanned, skipped, failed, rest)
			}
			if rest != max(tt.notReached, 0) {
				t.Errorf("not reached %d, want %d", rest, tt.notReached)
			}
			if tt.notReached < 0 && !strings.Contains(out, fmt.Sprintf("counts exceed listed by %d", -tt.notReached)) {
				t.Errorf("excess not reported:\n%s", out)
			}
			// The per-reason skips add up to the skipped total.
			var byReason int64
			sk := regexp.MustCompile(`skipped: (.*)\n`).FindStringSubmatch(out)
			if sk == nil {
				t.Fatalf("no skipped line in:\n%s", out)
			}
			for _, part := range strings.Split(sk[1], ", ") {
				n, _, _ := strings.Cut(part, " ")
				byReason += atoi(t, n)
			}
			if byReason != skipped {
				t.Errorf("skipped by reason sums to %d, printed total %d", byReason, skipped)
			}

			// Malformed records whose reason names a field, by reason, cleaned.
			if want := "malformed: 2 eventSource holds an object in an array\\x1b[2J, 7 userIdentity.type is an object\n"; !strings.Contains(out, want) {
				t.Errorf("no line %q in:\n%s", want, out)
			}

			if got := strings.Contains(out, "INCOMPLETE"); got != !tt.complete {
				t.Errorf("INCOMPLETE shown %t, want %t", got, !tt.complete)
			}
			if !tt.complete && !strings.HasPrefix(out, "INCOMPLETE") {
				t.Errorf("INCOMPLETE is not the first thing printed:\n%s", out)
			}

			shown := strings.Count(out, "gzip: invalid header")
			if want := min(tt.failures, maxTextFailures); shown != want {
				t.Errorf("%d failures printed, want %d", shown, want)
			}
			if more := tt.failures - maxTextFailures; more > 0 && !strings.Contains(out, fmt.Sprintf("... and %d more\n", more)) {
				t.Errorf("missing the %d more failures line", more)
			}
			if !strings.Contains(out, `./logs\x1b[2J`) || !strings.Contains(out, `\x1b]0;pwned\x07`) {
				t.Errorf("attacker strings not shown cleaned:\n%s", out)
			}
			// Throughput from the sample: 80 MB in 4 s, 40000 records in 4 s.
			for _, want := range []string{"20.0 MB/s decompressed", "2.0 MB/s fetched", "10000 records/s"} {
				if !strings.Contains(out, want) {
					t.Errorf("missing %q in:\n%s", want, out)
				}
			}
			// Rules in count order.
			ia, ib, ic := strings.Index(out, "r-a"), strings.Index(out, "r-b"), strings.Index(out, "r-c")
			if ia < 0 || !(ia < ib && ib < ic) {
				t.Errorf("findings by rule not sorted by count:\n%s", out)
			}
		})
	}
}

func TestSummaryJSON(t *testing.T) {
	s := sampleSummary(false, 3, 19)
	s.FindingsByRule = slices.Clone(s.FindingsByRule)
	slices.Reverse(s.FindingsByRule) // the writer sorts
	s.Version = "v1.2.3"
	s.Filters = Filters{Accounts: []string{"111122223333"}, Selection: []string{"--min-severity high"}}
	s.Rules.Silent, s.Rules.SilentIDs = 7, []string{"a", "b", "c", "d", "e", "f", "g"}
	s.Rules.CannotFire, s.Rules.CannotFireIDs = 1, []string{"nt"}
	s.Rules.LoadErrors = []string{"bad.toml: syntax"}
	days := make([]string, 25)
	for i := range days {
		days[i] = fmt.Sprintf("2024/03/%02d", i+1)
	}
	s.Coverage = Coverage{Events: TimeWindow{time.Date(2024, 3, 1, 0, 0, 5, 0, time.UTC), time.Date(2024, 3, 25, 0, 0, 0, 0, time.UTC)},
		Accounts: SetLevels([]string{"111122223333"}, []string{"777788889999", "444455556666"}),
		Days:     SetLevels(days, nil), Surveyed: true,
		Skipped: []SkippedObject{{URI: "s3://trail-bucket/d.json.gz", Reason: "digest file"}}}
	s.Warnings = []string{"source x: no log object"}
	s.NewTerms = []HistorySpan{{RuleID: "nt", RuleName: "new", RuleSource: "elastic", Source: "scan",
		HistoryFrom: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), DetectionFrom: time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC)}}
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Sources         []string `json:"sources"`
		Started         string   `json:"started"`
		DurationSeconds float64  `json:"duration_seconds"`
		Complete        *bool    `json:"complete"`
		Interrupted     *bool    `json:"interrupted"`
		Window          struct {
			Since *string `json:"since"`
			Until *string `json:"until"`
		} `json:"window"`
		Rules struct {
			Loaded, Runnable, Unsupported, Silent int
			SilentIDs                             []string `json:"silent_ids"`
			CannotFire                            int      `json:"cannot_fire"`
			CannotFireIDs                         []string `json:"cannot_fire_ids"`
			LoadErrors                            []string `json:"load_errors"`
		} `json:"rules"`
		Objects struct {
			Listed, Scanned, Failed int64
			Skipped                 map[string]int64
			SkippedTotal            int64 `json:"skipped_total"`
			NotReached              int64 `json:"not_reached"`
		} `json:"objects"`
		Failures []struct {
			URI    string `json:"uri"`
			Reason string `json:"reason"`
		} `json:"failures"`
		BytesCompressed int64          `json:"bytes_compressed"`
		BytesRead       int64          `json:"bytes_read"`
		Records         map[string]any `json:"records"`
		Findings        int64          `json:"findings"`
		FindingsByRule  []struct {
			RuleID   string `json:"rule_id"`
			RuleName string `json:"rule_name"`
			Count    int64  `json:"count"`
		} `json:"findings_by_rule"`
		NewTerms []struct {
			RuleID        string  `json:"rule_id"`
			RuleName      string  `json:"rule_name"`
			RuleSource    string  `json:"rule_source"`
			Source        string  `json:"source"`
			HistoryFrom   *string `json:"history_from"`
			DetectionFrom *string `json:"detection_from"`
		} `json:"new_terms_history"`
		Output string `json:"output"`
		Memory struct {
			Budget  int64 `json:"budget_bytes"`
			PeakRSS int64 `json:"peak_rss_bytes"`
		} `json:"memory"`
		Spilled struct {
			Runs  int   `json:"runs"`
			Bytes int64 `json:"bytes"`
		} `json:"spilled"`
		NotEvaluated string             `json:"not_evaluated"`
		Throughput   map[string]float64 `json:"throughput"`
		Version      string             `json:"version"`
		Filters      struct {
			Accounts, Regions, Selection []string
			Note                         string
		} `json:"filters"`
		Coverage struct {
			Events struct {
				First, Last *string
			} `json:"events"`
			Accounts, Regions, Days struct {
				Scanned, Pruned int
				ScannedList     []string `json:"scanned_list"`
				PrunedList      []string `json:"pruned_list"`
			}
			Surveyed bool
			Skipped  []struct{ URI, Reason string } `json:"skipped_objects"`
		} `json:"coverage"`
		Warnings []string `json:"warnings"`
		Tuning   struct {
			Excluded   int64 `json:"excluded_records"`
			Suppressed int64 `json:"suppressed"`
			Excludes   []struct {
				Query, Origin string
				Count         int64
			} `json:"excludes"`
			Exceptions []struct {
				Rule, Query, Reason, Origin string
				Count                       int64
			} `json:"exceptions"`
			SuppressedByRule []struct {
				RuleID   string `json:"rule_id"`
				RuleName string `json:"rule_name"`
				Count    int64  `json:"count"`
			} `json:"suppressed_by_rule"`
		} `json:"tuning"`
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v in:\n%s", err, buf.String())
	}
	if tu := got.Tuning; tu.Excluded != 4 || tu.Suppressed != 3 || len(tu.Excludes) != 1 || tu.Excludes[0].Count != 4 ||
		len(tu.Exceptions) != 1 || tu.Exceptions[0].Origin != "exc.yaml:2" || tu.Exceptions[0].Reason != "VPN\x1b[2J" ||
		len(tu.SuppressedByRule) != 1 || tu.SuppressedByRule[0].Count != 3 {
		t.Errorf("tuning = %+v", tu)
	}
	if got.Complete == nil || *got.Complete {
		t.Errorf("complete = %v, want false", got.Complete)
	}
	if len(got.NewTerms) != 1 || got.NewTerms[0].Source != "scan" || got.NewTerms[0].HistoryFrom == nil ||
		*got.NewTerms[0].HistoryFrom != "2024-03-01T00:00:00Z" || *got.NewTerms[0].DetectionFrom != "2024-03-08T00:00:00Z" {
		t.Errorf("new_terms_history = %+v", got.NewTerms)
	}
	if got.Spilled.Runs != 0 || got.Spilled.Bytes != 0 || got.NotEvaluated != "" {
		t.Errorf("spilled %+v, not_evaluated %q: want none", got.Spilled, got.NotEvaluated)
	}
	if got.DurationSeconds != 4 {
		t.Errorf("duration_seconds = %v, want 4", got.DurationSeconds)
	}
	if got.Started != "2024-03-05T08:00:00Z" {
		t.Errorf("started = %q", got.Started)
	}
	if got.Window.Since == nil || *got.Window.Since != "2024-03-01T00:00:00Z" || got.Window.Until != nil {
		t.Errorf("window = %v .. %v, want 2024-03-01T00:00:00Z .. null", got.Window.Since, got.Window.Until)
	}
	o := got.Objects
	var sum int64
	for _, n := range o.Skipped {
		sum += n
	}
	if sum != o.SkippedTotal || o.Listed != o.Scanned+o.Failed+o.SkippedTotal+o.NotReached {
		t.Errorf("object counts do not add up: %+v", o)
	}
	if o.NotReached != 19 {
		t.Errorf("not_reached = %d, want 19", o.NotReached)
	}
	if len(got.Failures) != 3 || got.Failures[0].Reason != s.Failures[0].Reason {
		t.Errorf("failures %+v, want the 3 as given (JSON keeps the exact text)", got.Failures)
	}
	r := got.Rules
	if r.Loaded != 12 || r.Runnable != 10 || r.Unsupported != 2 || r.Silent != 7 || len(r.SilentIDs) != 7 ||
		r.CannotFire != 1 || !slices.Equal(r.CannotFireIDs, []string{"nt"}) || len(r.LoadErrors) != 1 {
		t.Errorf("rules %+v", r)
	}
	if got.Version != "v1.2.3" || !slices.Equal(got.Filters.Accounts, []string{"111122223333"}) || got.Filters.Note == "" ||
		!slices.Equal(got.Filters.Selection, []string{"--min-severity high"}) || len(got.Filters.Regions) != 0 {
		t.Errorf("version %q, filters %+v", got.Version, got.Filters)
	}
	c := got.Coverage
	if c.Events.First == nil || *c.Events.First != "2024-03-01T00:00:05Z" || c.Events.Last == nil || !c.Surveyed ||
		c.Accounts.Scanned != 1 || c.Accounts.Pruned != 2 || !slices.Equal(c.Accounts.PrunedList, []string{"444455556666", "777788889999"}) ||
		c.Days.Scanned != 25 || c.Days.ScannedList == nil || len(c.Days.ScannedList) != 0 ||
		len(c.Skipped) != 1 || c.Skipped[0].Reason != "digest file" {
		t.Errorf("coverage %+v", c)
	}
	if len(got.Warnings) != 1 {
		t.Errorf("warnings %v", got.Warnings)
	}
	wantRecords := map[string]any{"read": 40000.0, "evaluated": 39000.0, "outside_window": 900.0, "malformed": 100.0,
		"malformed_by_reason": map[string]any{"userIdentity.type is an object": 7.0, "eventSource holds an object in an array\x1b[2J": 2.0}}
	if !reflect.DeepEqual(got.Records, wantRecords) {
		t.Errorf("records %v, want %v", got.Records, wantRecords)
	}
	var ids []string
	var total int64
	for _, rc := range got.FindingsByRule {
		ids = append(ids, rc.RuleID)
		total += rc.Count
	}
	if want := []string{"r-a", "r-b", "r-c"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("findings_by_rule order %v, want %v", ids, want)
	}
	if total != got.Findings || got.Findings != 6 {
		t.Errorf("findings %d, by rule sum %d, want 6", got.Findings, total)
	}
	if got.Throughput["records_per_second"] != 10000 || got.Throughput["bytes_read_per_second"] != 20e6 {
		t.Errorf("throughput %v", got.Throughput)
	}
}

func TestSummaryJSONEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := (&Summary{}).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"sources": []`, `"failures": []`, `"findings_by_rule": []`, `"skipped": {}`, `"started": null`, `"since": null`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("missing %s in:\n%s", want, buf.String())
		}
	}
	buf.Reset()
	if err := (&Summary{Complete: true}).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "MB/s") || strings.Contains(buf.String(), "INCOMPLETE") {
		t.Errorf("zero-duration complete summary:\n%s", buf.String())
	}
}

// TestSummaryRulesBySeverity: the text lists rules by severity, then count,
// with their severity, and lists every high and critical rule however many
// rules of lower severity are cut.
func TestSummaryRulesBySeverity(t *testing.T) {
	var c RuleCounter
	add := func(id, sev string, n int) {
		for range n {
			c.Add(&Finding{RuleID: id, RuleName: "name of " + id, Severity: sev})
		}
	}
	for i := range 40 {
		add(fmt.Sprintf("low-%02d", i), "low", 100+i)
	}
	add("med", "medium", 50)
	add("high-1", "high", 2)
	add("high-2", "high", 5)
	add("crit", "critical", 1)
	s := Summary{Complete: true, Findings: c.Total(), FindingsByRule: c.Counts()}
	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "    ") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
	}
	want := []string{
		"1 critical crit name of crit",
		"5 high high-2 name of high-2",
		"2 high high-1 name of high-1",
		"50 medium med name of med",
		"139 low low-39 name of low-39",
	}
	if len(lines) < len(want) || !slices.Equal(lines[:len(want)], want) {
		t.Fatalf("rule lines start %q, want %q", lines[:min(len(lines), len(want))], want)
	}
	if n := len(lines); n != maxTextRules+1 || lines[n-1] != "... and 14 more rules, none high or critical" {
		t.Errorf("%d rule lines ending %q, want %d and the count of the rest", n, lines[n-1], maxTextRules+1)
	}

	// A severity from a rule file is shown cleaned.
	var odd RuleCounter
	odd.Add(&Finding{RuleID: "odd", Severity: "\x1b[31mweird"})
	s = Summary{Complete: true, Findings: 1, FindingsByRule: odd.Counts()}
	b.Reset()
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") || !strings.Contains(b.String(), `\x1b[31mweird  odd`) {
		t.Errorf("severity not cleaned:\n%q", b.String())
	}

	// More high and critical rules than the cap: all listed.
	var many RuleCounter
	for i := range 45 {
		many.Add(&Finding{RuleID: fmt.Sprintf("h%02d", i), Severity: "high"})
	}
	many.Add(&Finding{RuleID: "l", Severity: "low"})
	s = Summary{Complete: true, Findings: many.Total(), FindingsByRule: many.Counts()}
	b.Reset()
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), " h44 ") || !strings.Contains(b.String(), "... and 1 more rules, none high or critical") {
		t.Errorf("high rules hidden past the cap:\n%s", b.String())
	}
}
