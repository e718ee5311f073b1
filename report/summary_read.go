package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ReadSummaryJSON reads back what the HTML report shows of a summary
// written by WriteJSON: sources, window, coverage, objects, records, rules,
// completeness, version and warnings. Other members are ignored.
func ReadSummaryJSON(r io.Reader) (*Summary, error) {
	type levels struct {
		Scanned     int      `json:"scanned"`
		Pruned      int      `json:"pruned"`
		ScannedList []string `json:"scanned_list"`
		PrunedList  []string `json:"pruned_list"`
	}
	var in struct {
		Sources  []string `json:"sources"`
		Complete bool     `json:"complete"`
		Window   struct {
			Since, Until *time.Time
		} `json:"window"`
		Rules struct {
			Loaded   int `json:"loaded"`
			Runnable int `json:"runnable"`
			Silent   int `json:"silent"`
		} `json:"rules"`
		Objects struct {
			Listed  int64            `json:"listed"`
			Scanned int64            `json:"scanned"`
			Failed  int64            `json:"failed"`
			Skipped map[string]int64 `json:"skipped"`
		} `json:"objects"`
		Records struct {
			Read      int64 `json:"read"`
			Evaluated int64 `json:"evaluated"`
			Malformed int64 `json:"malformed"`
		} `json:"records"`
		Findings int64    `json:"findings"`
		Version  string   `json:"version"`
		Warnings []string `json:"warnings"`
		Coverage struct {
			Events struct {
				First, Last *time.Time
			} `json:"events"`
			Accounts levels `json:"accounts"`
			Regions  levels `json:"regions"`
			Days     levels `json:"days"`
			Surveyed bool   `json:"surveyed"`
		} `json:"coverage"`
	}
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	lv := func(l levels) Levels {
		return Levels(l)
	}
	t := func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return p.UTC()
	}
	s := &Summary{
		Sources: in.Sources, Complete: in.Complete, Version: in.Version, Warnings: in.Warnings, Findings: in.Findings,
		Window:  TimeWindow{Since: t(in.Window.Since), Until: t(in.Window.Until)},
		Rules:   RuleStats{Loaded: in.Rules.Loaded, Runnable: in.Rules.Runnable, Silent: in.Rules.Silent},
		Objects: ObjectStats{Listed: in.Objects.Listed, Scanned: in.Objects.Scanned, Failed: in.Objects.Failed, Skipped: in.Objects.Skipped},
		Records: RecordStats{Read: in.Records.Read, Evaluated: in.Records.Evaluated, Malformed: in.Records.Malformed},
		Coverage: Coverage{Events: TimeWindow{Since: t(in.Coverage.Events.First), Until: t(in.Coverage.Events.Last)},
			Accounts: lv(in.Coverage.Accounts), Regions: lv(in.Coverage.Regions), Days: lv(in.Coverage.Days), Surveyed: in.Coverage.Surveyed},
	}
	return s, nil
}
