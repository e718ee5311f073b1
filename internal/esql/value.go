package esql

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// Values are nil (null), bool, int64, float64, string, time.Time (UTC,
// millisecond precision as in Elasticsearch) or, for a multi-valued
// column, []any holding at least two single values.

// dateFields are the ECS fields of type date.
var dateFields = map[string]bool{
	"@timestamp": true, "event.created": true, "event.ingested": true,
	"event.start": true, "event.end": true,
	"aws.cloudtrail.user_identity.session_context.creation_date": true,
}

// fromECS converts the values of an ECS field to an ES|QL value.
func fromECS(name string, vs []ecs.Value) any { return fromValues(vs, dateFields[name]) }

// fromValues converts the values of an ECS field, of type date or not.
func fromValues(vs []ecs.Value, date bool) any {
	switch len(vs) {
	case 0:
		return nil
	case 1:
		return fromECS1(vs[0], date)
	}
	out := make([]any, 0, len(vs))
	for _, v := range vs {
		if x := fromECS1(v, date); x != nil {
			out = append(out, x)
		}
	}
	return mv(out)
}

func fromECS1(v ecs.Value, date bool) any {
	switch v.Kind {
	case ecs.KindBool:
		return v.B
	case ecs.KindNumber:
		if v.N == math.Trunc(v.N) && math.Abs(v.N) < 1<<53 && !strings.ContainsAny(v.S, ".eE") {
			return int64(v.N)
		}
		return v.N
	}
	// A view of the record's bytes: rows live no longer than the record
	// (Inputs and RowJSON copy what they keep).
	s := v.S
	if date {
		if t, ok := parseDate(s); ok {
			return t
		}
		return nil
	}
	return s
}

// parseDate reads an RFC 3339 timestamp or a yyyy-MM-dd date.
func parseDate(s string) (time.Time, bool) {
	if t, ok := parseUTC(s); ok {
		return t, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Millisecond), true
		}
	}
	return time.Time{}, false
}

// parseUTC reads the common shape of CloudTrail's timestamps,
// yyyy-MM-ddTHH:mm:ss[.fraction]Z, as time.Parse with RFC3339Nano and
// Truncate(time.Millisecond) would; false for anything else (parseDate
// then tries the general layouts).
func parseUTC(s string) (time.Time, bool) {
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	ms := 0
	if frac := s[19 : len(s)-1]; frac != "" {
		// A fraction of 1 to 9 digits after a dot.
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		if _, ok := num(20, len(s)-1); !ok {
			return time.Time{}, false
		}
		for i := 1; i <= 3; i++ {
			ms *= 10
			if i < len(frac) {
				ms += int(frac[i] - '0')
			}
		}
	}
	if d > daysIn(y, mo) {
		return time.Time{}, false // a day past the month's end
	}
	// time.Date(y, mo, d, h, mi, sec, ms ms, UTC), without its normalizing.
	secs := civilDays(y, mo, d)*86400 + int64(h*3600+mi*60+sec)
	return time.Unix(secs, int64(ms)*int64(time.Millisecond)).UTC(), true
}

// daysIn returns the number of days of month mo of year y.
func daysIn(y, mo int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// civilDays returns the days from 1970-01-01 to y-mo-d of the proleptic
// Gregorian calendar (Howard Hinnant's days_from_civil), for y ≥ 1.
func civilDays(y, mo, d int) int64 {
	if mo <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400                     // [0, 399]
	doy := (153*((mo+9)%12)+2)/5 + d - 1   // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return int64(era)*146097 + int64(doe) - 719468
}

// mv returns the value of a list of single values: null, the one value, or
// the list.
func mv(vs []any) any {
	switch len(vs) {
	case 0:
		return nil
	case 1:
		return vs[0]
	}
	return vs
}

// each returns the single values of v: none for null.
func each(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func isMulti(v any) bool { _, ok := v.([]any); return ok }

// compare orders two single values of comparable types; ok is false when
// they cannot be compared (different types, a null).
func compare(a, b any) (c int, ok bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < y, x > y), true
		case float64:
			return cmpFloat(float64(x), y), true
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmpFloat(x, float64(y)), true
		case float64:
			return cmpFloat(x, y), true
		}
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y), true
		case time.Time:
			if t, ok := parseDate(x); ok {
				return t.Compare(y), true
			}
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp3(!x && y, x && !y), true
		}
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y), true
		case string:
			if t, ok := parseDate(y); ok {
				return x.Compare(t), true
			}
		}
	}
	return 0, false
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}

func cmpFloat(x, y float64) int { return cmp3(x < y, x > y) }

// sortValues sorts single values: by type (booleans, numbers, strings,
// dates), then by value.
func sortValues(vs []any) {
	rank := func(v any) int {
		switch v.(type) {
		case bool:
			return 0
		case int64, float64:
			return 1
		case string:
			return 2
		}
		return 3
	}
	slices.SortStableFunc(vs, func(a, b any) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		c, _ := compare(a, b)
		return c
	})
}

// valueKey returns a string that identifies a single value and its type,
// for sets and group keys.
func valueKey(v any) string {
	switch x := v.(type) {
	case nil:
		return "n"
	case bool:
		if x {
			return "bt"
		}
		return "bf"
	case int64:
		return "i" + strconv.FormatInt(x, 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return "i" + strconv.FormatInt(int64(x), 10) // 2.0 and 2 are one group
		}
		return "f" + strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "s" + x
	case time.Time:
		return "t" + strconv.FormatInt(x.UnixMilli(), 10)
	}
	return "?"
}

// JSON returns v as encoding/json marshals it: dates as RFC 3339 with
// milliseconds, multi-valued columns as arrays.
func JSON(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z")
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSON(e)
		}
		return out
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	}
	return v
}

// Text renders a single value as TO_STRING does.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z")
	case []any:
		b, _ := json.Marshal(JSON(x))
		return string(b)
	}
	return ""
}
