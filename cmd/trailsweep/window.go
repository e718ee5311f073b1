package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseTime reads a --since/--until value: RFC 3339, YYYY-MM-DD (midnight
// UTC), or a relative age such as 90d, 12h, 30m or 2w, counted back from now.
// For --until a bare date means the end of that day (end=true).
func parseTime(s string, now time.Time, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.Add(24 * time.Hour)
		}
		return t, nil
	}
	if n := len(s); n >= 2 {
		unit := map[byte]time.Duration{'w': 7 * 24 * time.Hour, 'd': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}[s[n-1]]
		if v, err := strconv.ParseUint(s[:n-1], 10, 32); err == nil && unit != 0 {
			return now.Add(-time.Duration(v) * unit).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02) or an age (90d, 12h, 30m, 2w)", s)
}
