package reader

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Layout is what a source holds in the CloudTrail layout, read from folder
// names alone (no object is listed): its accounts, the regions of their
// log folders, and their day folders (as YYYY/MM/DD).
type Layout struct {
	Accounts, Regions, Days []string // sorted, distinct
}

// DayFolder formats a delivery day as its folder path, YYYY/MM/DD.
func DayFolder(t time.Time) string { return t.UTC().Format("2006/01/02") }

// maxSurveyDepth bounds how deep Survey looks for AWSLogs folders above
// the layout.
const maxSurveyDepth = 4

// Survey returns the layout below l, ignoring any filter: what a listing
// with no --accounts, --regions or window would find. It reads folders
// only, never a day folder's files; folders it cannot read are left out.
// A file source, or a tree without an AWSLogs folder in its first
// levels, has an empty Layout.
func (l *Local) Survey(ctx context.Context) (Layout, error) {
	var lay Layout
	if l.file {
		return lay, nil
	}
	acc, reg, days := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var visit func(p string, segs []string, inLayout bool, depth int) error
	visit = func(p string, segs []string, inLayout bool, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil
		}
		for _, e := range ents {
			cp := filepath.Join(p, e.Name())
			if fi, err := os.Stat(cp); err != nil || !fi.IsDir() {
				continue
			}
			name := e.Name()
			if !inLayout {
				if name == "AWSLogs" {
					if err := visit(cp, nil, true, 0); err != nil {
						return err
					}
				} else if depth < maxSurveyDepth {
					if err := visit(cp, nil, false, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			next := append(slices.Clip(segs), name)
			switch layoutLevel(next) {
			case levelOrg:
			case levelAccount:
				acc[name] = true
			case levelKind:
				if name != KindLog {
					continue
				}
			case levelRegion:
				reg[name] = true
			case levelYear, levelMonth:
			case levelDay:
				d, _ := parseDay(next[len(next)-3], next[len(next)-2], name)
				days[DayFolder(d)] = true
				continue
			default:
				continue
			}
			if err := visit(cp, next, true, depth); err != nil {
				return err
			}
		}
		return nil
	}
	segs, inLayout := layoutSegs(filepath.ToSlash(l.abs))
	if inLayout {
		switch layoutLevel(segs) {
		case levelDay:
			d, _ := parseDay(segs[len(segs)-3], segs[len(segs)-2], segs[len(segs)-1])
			days[DayFolder(d)] = true
		case levelNone:
			return lay, nil
		}
		if i := slices.IndexFunc(segs, isAccount); i >= 0 {
			acc[segs[i]] = true
			if i+2 < len(segs) {
				reg[segs[i+2]] = true
			}
		}
		if layoutLevel(segs) != levelDay {
			if err := visit(l.path, segs, true, 0); err != nil {
				return lay, err
			}
		}
	} else if err := visit(l.path, nil, false, 0); err != nil {
		return lay, err
	}
	sorted := func(m map[string]bool) []string {
		return slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
	}
	return Layout{Accounts: sorted(acc), Regions: sorted(reg), Days: sorted(days)}, nil
}

// Layout levels of a folder below AWSLogs/.
const (
	levelNone = iota // not a folder of the layout
	levelOrg
	levelAccount
	levelKind
	levelRegion
	levelYear
	levelMonth
	levelDay
)

// layoutLevel returns the level of the folder whose segments after
// AWSLogs/ are segs ("" segments are not folders); levelOrg for AWSLogs
// itself.
func layoutLevel(segs []string) int {
	i := 0
	if i < len(segs) && isOrg(segs[i]) {
		i++
	}
	rest := segs[i:]
	switch {
	case len(rest) == 0:
		return levelOrg
	case !isAccount(rest[0]):
		return levelNone
	case len(rest) == 1:
		return levelAccount
	case !isKind(rest[1]):
		return levelNone
	case len(rest) == 2:
		return levelKind
	case rest[2] == "":
		return levelNone
	case len(rest) == 3:
		return levelRegion
	case !isYear(rest[3]):
		return levelNone
	case len(rest) == 4:
		return levelYear
	case !isMonth(rest[4]):
		return levelNone
	case len(rest) == 5:
		return levelMonth
	case len(rest) == 6:
		if _, ok := parseDay(rest[3], rest[4], rest[5]); ok {
			return levelDay
		}
	}
	return levelNone
}
