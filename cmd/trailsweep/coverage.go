package main

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// surveyor is a source that can say what its layout holds, filters aside
// (reader.Local, reader.S3).
type surveyor interface {
	Survey(ctx context.Context) (reader.Layout, error)
}

var (
	_ surveyor = (*reader.Local)(nil)
	_ surveyor = (*reader.S3)(nil)
)

// covered decorates a Source to observe what its listing yields: how many
// objects it listed to be read, and the account, region and day folders
// of its log objects.
type covered struct {
	reader.Source
	raw                     reader.Source // the source as opened, to survey
	toRead                  int64
	accounts, regions, days map[string]bool
}

func newCovered(src, raw reader.Source) *covered {
	return &covered{Source: src, raw: raw, accounts: map[string]bool{}, regions: map[string]bool{}, days: map[string]bool{}}
}

// List lists the source, observing each object.
func (c *covered) List(ctx context.Context, f reader.Filter, fn func(reader.Object) error) error {
	return c.Source.List(ctx, f, func(o reader.Object) error {
		if o.Skip == "" || o.Skip == reader.SkipOtherShard { // the hunt reads it, this shard or another
			c.toRead++
		}
		if k, ok := reader.ParseKey(filepath.ToSlash(o.URI)); ok && k.Kind == reader.KindLog && o.Skip == "" {
			c.accounts[k.Account] = true
			c.regions[k.Region] = true
			c.days[reader.DayFolder(k.Day)] = true
		}
		return fn(o)
	})
}

// fillCoverage completes sum with what the CLI knows and the scan does not:
// the version, the filters, the folders scanned and pruned, the rules that
// produced nothing or cannot fire on the span, the rule files not loaded,
// and, when the listing completed, a warning for each source that listed no
// object to read (with what it does hold). It reports whether some source
// listed nothing to read.
func fillCoverage(ctx context.Context, sum *report.Summary, sf *scanFlags, set *rule.Set, covs []*covered, listed bool) (empty bool) {
	sum.Version = buildVersion()
	sum.Filters = report.Filters{Accounts: sf.accounts, Regions: sf.regions, Selection: sf.rules.selection()}
	sum.Rules.LoadErrors = sf.rules.loadErrs

	scanned := [3]map[string]bool{{}, {}, {}}
	held := [3]map[string]bool{{}, {}, {}}
	sum.Coverage.Surveyed = len(covs) > 0
	for _, c := range covs {
		maps.Copy(scanned[0], c.accounts)
		maps.Copy(scanned[1], c.regions)
		maps.Copy(scanned[2], c.days)
		sv, ok := c.raw.(surveyor)
		var lay reader.Layout
		var err error
		if ok {
			lay, err = sv.Survey(ctx)
		}
		if !ok || err != nil {
			sum.Coverage.Surveyed = false
		} else {
			for i, l := range [][]string{lay.Accounts, lay.Regions, lay.Days} {
				for _, v := range l {
					held[i][v] = true
				}
			}
		}
		if listed && c.toRead == 0 {
			empty = true
			sum.Warnings = append(sum.Warnings, nothingListed(c, sf, lay, ok && err == nil))
		}
	}
	lv := func(i int) report.Levels {
		var pruned []string
		for v := range held[i] {
			if !scanned[i][v] {
				pruned = append(pruned, v)
			}
		}
		if !sum.Coverage.Surveyed {
			pruned = nil
		}
		return report.SetLevels(slices.Collect(maps.Keys(scanned[i])), pruned)
	}
	sum.Coverage.Accounts, sum.Coverage.Regions, sum.Coverage.Days = lv(0), lv(1), lv(2)

	if set == nil {
		return empty
	}
	fired := map[string]bool{}
	for _, rc := range sum.FindingsByRule {
		fired[rc.RuleSource+":"+rc.RuleID] = true
	}
	var silent []string
	for _, r := range set.Runnable() {
		if !fired[r.Source+":"+r.ID] {
			silent = append(silent, r.ID)
		}
	}
	sum.Rules.Silent = len(silent)
	if len(silent) <= report.MaxRuleIDs {
		sum.Rules.SilentIDs = silent
	}
	if span, ok := scannedSpan(sum); ok && sf.history == "" {
		var ids []string
		for _, r := range rule.CannotFire(set.Runnable(), span) {
			ids = append(ids, r.ID)
		}
		sum.Rules.CannotFire = len(ids)
		if len(ids) <= report.MaxRuleIDs {
			sum.Rules.CannotFireIDs = ids
		}
	}
	return empty
}

// scannedSpan is the time from the start of the scanned span (--since, else
// the first event read) to its exclusive end (--until, else just after the
// last event read); false when no bound is known.
func scannedSpan(sum *report.Summary) (time.Duration, bool) {
	from, to := sum.Window.Since, sum.Window.Until
	if from.IsZero() {
		from = sum.Coverage.Events.Since
	}
	if to.IsZero() && !sum.Coverage.Events.Until.IsZero() {
		to = sum.Coverage.Events.Until.Add(time.Nanosecond)
	}
	if from.IsZero() || to.IsZero() {
		return 0, false
	}
	return to.Sub(from), true
}

// nothingListed says that source c listed no object to read, under which
// filters, and what it holds (lay, when surveyed).
func nothingListed(c *covered, sf *scanFlags, lay reader.Layout, surveyed bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "source %s: no log object listed", c.raw)
	var fs []string
	if len(sf.accounts) > 0 {
		fs = append(fs, "--accounts "+strings.Join(sf.accounts, ","))
	}
	if len(sf.regions) > 0 {
		fs = append(fs, "--regions "+strings.Join(sf.regions, ","))
	}
	if sf.since != "" {
		fs = append(fs, "--since "+sf.since)
	}
	if sf.until != "" {
		fs = append(fs, "--until "+sf.until)
	}
	if len(fs) > 0 {
		fmt.Fprintf(&b, " with %s", strings.Join(fs, " "))
	}
	switch {
	case !surveyed:
		b.WriteString("; check the prefix, and --accounts, --regions and the window against the bucket's AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD folders")
		return b.String()
	case len(lay.Accounts) == 0 && len(lay.Days) == 0:
		b.WriteString("; it holds no CloudTrail log folders (…/AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/)")
		return b.String()
	}
	fmt.Fprintf(&b, "; it holds accounts %s; regions %s", short(lay.Accounts), short(lay.Regions))
	if n := len(lay.Days); n > 0 {
		fmt.Fprintf(&b, "; day folders %s .. %s (%d)", lay.Days[0], lay.Days[n-1], n)
	} else {
		b.WriteString("; no day folders")
	}
	for _, hint := range append(foldHints("account", sf.accounts, lay.Accounts), foldHints("region", sf.regions, lay.Regions)...) {
		b.WriteString("; " + hint)
	}
	return b.String()
}

// foldHints names the wanted values that match a held one only when case
// is ignored (folder names are case-sensitive: us-east-1, not US-EAST-1).
func foldHints(what string, want, held []string) []string {
	var out []string
	for _, w := range want {
		if slices.Contains(held, w) {
			continue
		}
		for _, h := range held {
			if strings.EqualFold(w, h) {
				out = append(out, fmt.Sprintf("%s %s is %s in the key path (case matters)", what, w, h))
			}
		}
	}
	return out
}

// short lists up to 10 values, then how many more.
func short(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	if len(vs) > 10 {
		return fmt.Sprintf("%s and %d more", strings.Join(vs[:10], ", "), len(vs)-10)
	}
	return strings.Join(vs, ", ")
}
