package reader

import (
	"path"
	"strings"
	"time"
)

// The three kinds of CloudTrail folders below an account.
const (
	KindLog     = "CloudTrail"
	KindDigest  = "CloudTrail-Digest"
	KindInsight = "CloudTrail-Insight"
)

// Reasons set in Object.Skip.
const (
	SkipDigest  = "digest file"
	SkipInsight = "insight file"
	SkipNotLog  = "not a log file"
	SkipSpecial = "special file" // a device, FIFO or socket in a local tree: never opened
	SkipLoop    = "symlink loop" // a local folder reached again below itself through a link
)

// Key is an object key of the CloudTrail layout,
// [prefix/]AWSLogs/[o-ORGID/]ACCOUNT/KIND/REGION/YYYY/MM/DD/NAME.
type Key struct {
	Prefix  string    // the part before AWSLogs/, without its trailing slash; "" when none
	Org     string    // the organization folder including "o-" (e.g. "o-abc123"); "" for account trails
	Account string    // the 12-digit account ID
	Kind    string    // KindLog, KindDigest or KindInsight
	Region  string    // e.g. "us-east-1"
	Day     time.Time // the delivery day, midnight UTC
	Name    string    // the file name
}

// ParseKey parses an object key (or a slash-separated local path) that
// follows the CloudTrail layout. It reports false for any other key,
// including keys with extra folders below the day folder. When the key holds
// several AWSLogs folders, the one followed by a valid layout wins.
func ParseKey(key string) (Key, bool) {
	segs := strings.Split(key, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i] != "AWSLogs" {
			continue
		}
		rest := segs[i+1:]
		var k Key
		if len(rest) == 8 && isOrg(rest[0]) {
			k.Org, rest = rest[0], rest[1:]
		}
		if len(rest) != 7 || !isAccount(rest[0]) || !isKind(rest[1]) || rest[2] == "" || rest[6] == "" {
			continue
		}
		day, ok := parseDay(rest[3], rest[4], rest[5])
		if !ok {
			continue
		}
		k.Prefix = strings.Join(segs[:i], "/")
		k.Account, k.Kind, k.Region, k.Day, k.Name = rest[0], rest[1], rest[2], day, rest[6]
		return k, true
	}
	return Key{}, false
}

// Skip returns the Object.Skip reason for a file of this key: SkipDigest,
// SkipInsight, SkipNotLog for a log folder file with an unexpected name, or "".
func (k Key) Skip() string {
	switch k.Kind {
	case KindDigest:
		return SkipDigest
	case KindInsight:
		return SkipInsight
	}
	return nameSkip(k.Name)
}

// logSuffixes are the file names read inside a folder; other files are
// listed with SkipNotLog.
var logSuffixes = []string{".json", ".json.gz", ".gz", ".jsonl", ".ndjson"}

// nameSkip returns SkipNotLog unless name ends in one of logSuffixes.
func nameSkip(name string) string {
	name = strings.ToLower(path.Base(name))
	for _, s := range logSuffixes {
		if strings.HasSuffix(name, s) {
			return ""
		}
	}
	return SkipNotLog
}

func isOrg(s string) bool { return len(s) > 2 && strings.HasPrefix(s, "o-") }

func isAccount(s string) bool { return len(s) == 12 && isDigits(s) }

func isKind(s string) bool { return s == KindLog || s == KindDigest || s == KindInsight }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isYear(s string) bool  { return len(s) == 4 && isDigits(s) }
func isMonth(s string) bool { return len(s) == 2 && isDigits(s) && atoi(s) >= 1 && atoi(s) <= 12 }

// parseDay parses the YYYY, MM and DD folders of a key into midnight UTC.
func parseDay(y, m, d string) (time.Time, bool) {
	if !isYear(y) || !isMonth(m) || len(d) != 2 || !isDigits(d) {
		return time.Time{}, false
	}
	t := time.Date(atoi(y), time.Month(atoi(m)), atoi(d), 0, 0, 0, 0, time.UTC)
	if t.Day() != atoi(d) { // 2023/02/30 and the like
		return time.Time{}, false
	}
	return t, true
}

// verdict is what the layout and a Filter say about a folder.
type verdict int

const (
	admitted  verdict = iota // may hold objects the filter lets through
	filtered                 // in the layout, excluded by the filter
	offLayout                // not a CloudTrail folder (e.g. AWSLogs/ACCOUNT/vpcflowlogs/)
)

// window is a Filter prepared for path pruning: the delivery days to list
// (Since−1 day to Until+1 day, as midnights UTC; zero = open).
type window struct {
	first, last time.Time
	accounts    map[string]bool
	regions     map[string]bool
}

const day = 24 * time.Hour

func newWindow(f Filter) window {
	var w window
	if !f.Since.IsZero() {
		w.first = f.Since.UTC().Truncate(day).Add(-day)
	}
	if !f.Until.IsZero() {
		w.last = f.Until.UTC().Truncate(day).Add(day)
	}
	if len(f.Accounts) > 0 {
		w.accounts = make(map[string]bool, len(f.Accounts))
		for _, a := range f.Accounts {
			w.accounts[a] = true
		}
	}
	if len(f.Regions) > 0 {
		w.regions = make(map[string]bool, len(f.Regions))
		for _, r := range f.Regions {
			w.regions[r] = true
		}
	}
	return w
}

// bounded reports whether the window has both ends.
func (w window) bounded() bool { return !w.first.IsZero() && !w.last.IsZero() }

// dated reports whether the window restricts days at all.
func (w window) dated() bool { return !w.first.IsZero() || !w.last.IsZero() }

// overlaps reports whether the days [from, to] meet the window.
func (w window) overlaps(from, to time.Time) bool {
	if !w.first.IsZero() && to.Before(w.first) {
		return false
	}
	if !w.last.IsZero() && from.After(w.last) {
		return false
	}
	return true
}

// judge tells whether a folder, given as its segments after AWSLogs/, can
// hold objects the window admits. Segments below the day folder are
// admitted as they are.
func (w window) judge(segs []string) verdict {
	i := 0
	if i < len(segs) && isOrg(segs[i]) {
		i++
	}
	if i == len(segs) {
		return admitted
	}
	if !isAccount(segs[i]) {
		return offLayout
	}
	if w.accounts != nil && !w.accounts[segs[i]] {
		return filtered
	}
	if i++; i == len(segs) {
		return admitted
	}
	if !isKind(segs[i]) {
		return offLayout
	}
	if i++; i == len(segs) {
		return admitted
	}
	if segs[i] == "" {
		return offLayout
	}
	if w.regions != nil && !w.regions[segs[i]] {
		return filtered
	}
	if i++; i == len(segs) {
		return admitted
	}
	if !isYear(segs[i]) {
		return offLayout
	}
	y := atoi(segs[i])
	if !w.overlaps(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)) {
		return filtered
	}
	if i++; i == len(segs) {
		return admitted
	}
	if !isMonth(segs[i]) {
		return offLayout
	}
	m := time.Month(atoi(segs[i]))
	if !w.overlaps(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)) {
		return filtered
	}
	if i++; i == len(segs) {
		return admitted
	}
	d, ok := parseDay(segs[i-2], segs[i-1], segs[i])
	if !ok {
		return offLayout
	}
	if !w.overlaps(d, d) {
		return filtered
	}
	return admitted
}

// layoutSegs returns the segments after the last AWSLogs segment of a
// slash-separated path, and whether there is one.
func layoutSegs(p string) ([]string, bool) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i] == "AWSLogs" {
			return segs[i+1:], true
		}
	}
	return nil, false
}
