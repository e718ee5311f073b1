package esql

import (
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trailsweep/trailsweep/internal/kql"
)

// evalFn computes an expression's value for a row.
type evalFn func(r *Row) any

func (c *compiler) expr(e Expr) (evalFn, error) {
	switch x := e.(type) {
	case *Literal:
		v := x.Val
		if s, ok := v.(Span); ok {
			d, err := spanDuration(s)
			if err != nil {
				return nil, err
			}
			v = d
		}
		return func(*Row) any { return v }, nil
	case *Ref:
		name := x.Name
		c.ref(name)
		if f, ok := c.p.fields[name]; ok && !c.names[name] && !c.afterStats {
			// A source field until a command computes a column of that name.
			idx := c.p.fieldIdx[name]
			return func(r *Row) any {
				for i := len(r.names) - 1; i >= 0; i-- {
					if r.names[i] == name {
						return force(r.vals[i])
					}
				}
				if r.src == nil || r.hidden[name] {
					return nil
				}
				return r.field(idx, name, f)
			}, nil
		}
		return func(r *Row) any { return r.Get(name) }, nil
	case *Unary:
		f, err := c.expr(x.X)
		if err != nil {
			return nil, err
		}
		if x.Op == "NOT" {
			return func(r *Row) any {
				b, ok := f(r).(bool)
				if !ok {
					return nil
				}
				return !b
			}, nil
		}
		return func(r *Row) any { return arith("-", int64(0), f(r)) }, nil
	case *Binary:
		l, err := c.expr(x.L)
		if err != nil {
			return nil, err
		}
		lt := c.text(x.L)
		rt, err := c.expr(x.R)
		if err != nil {
			return nil, err
		}
		f := binaryOp(x.Op, l, rt)
		if !comparison(x.Op) {
			return f, nil
		}
		if lit, ok := stringLiteral(x.R); ok && lt != nil {
			return compareText(x.Op, lt, lit, false, f), nil
		}
		if lit, ok := stringLiteral(x.L); ok {
			if t := c.text(x.R); t != nil {
				return compareText(x.Op, t, lit, true, f), nil
			}
		}
		return f, nil
	case *In:
		f, err := c.expr(x.X)
		if err != nil {
			return nil, err
		}
		t := c.text(x.X)
		list, err := c.exprs(x.List)
		if err != nil {
			return nil, err
		}
		not := x.Not
		slow := func(r *Row) any {
			v := f(r)
			if v == nil || isMulti(v) {
				return nil
			}
			sawNull := false
			for _, g := range list {
				w := g(r)
				if w == nil || isMulti(w) {
					sawNull = true
					continue
				}
				if c, ok := compare(v, w); ok && c == 0 {
					return !not
				}
			}
			if sawNull {
				return nil
			}
			return not
		}
		lits := make([]string, len(x.List))
		for i, e := range x.List {
			lit, ok := stringLiteral(e)
			if !ok {
				t = nil // a list of other than strings: the general way
				break
			}
			lits[i] = lit
		}
		if t == nil {
			return slow, nil
		}
		return func(r *Row) any {
			s, k := t(r)
			switch k {
			case textNull:
				return nil
			case textString:
				return slices.Contains(lits, s) != not
			}
			return slow(r)
		}, nil
	case *Like:
		f, err := c.expr(x.X)
		if err != nil {
			return nil, err
		}
		var ms []func(string) bool
		for _, pt := range x.Patterns {
			if m := likeSimple(pt); m != nil && !x.RLike {
				ms = append(ms, m)
				continue
			}
			var re *regexp.Regexp
			if x.RLike {
				re, err = luceneRegexp(pt)
			} else {
				re, err = likeRegexp(pt)
			}
			if err != nil {
				return nil, err
			}
			ms = append(ms, re.MatchString)
		}
		not := x.Not
		match := func(s string) any {
			for _, m := range ms {
				if m(s) {
					return !not
				}
			}
			return not
		}
		if t := c.text(x.X); t != nil {
			return func(r *Row) any {
				switch s, k := t(r); k {
				case textNull:
					return nil
				case textString:
					return match(s)
				}
				s, ok := f(r).(string)
				if !ok {
					return nil // multi-valued or not a string
				}
				return match(s)
			}, nil
		}
		return func(r *Row) any {
			s, ok := f(r).(string)
			if !ok {
				return nil // null, multi-valued or not a string
			}
			return match(s)
		}, nil
	case *IsNull:
		f, err := c.expr(x.X)
		if err != nil {
			return nil, err
		}
		not := x.Not
		if t := c.text(x.X); t != nil {
			return func(r *Row) any {
				switch _, k := t(r); k {
				case textNull:
					return !not
				case textString:
					return not
				}
				return (f(r) == nil) != not
			}, nil
		}
		return func(r *Row) any { return (f(r) == nil) != not }, nil
	case *Call:
		return c.call(x)
	}
	return nil, unsupported("expression %s", e)
}

func (c *compiler) exprs(es []Expr) ([]evalFn, error) {
	out := make([]evalFn, len(es))
	for i, e := range es {
		f, err := c.expr(e)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// textKind is what a column holds, read as text (textFn).
type textKind uint8

const (
	textOther  textKind = iota // not null nor one string (or not known so): read its value
	textNull                   // null
	textString                 // one string
)

// textFn reads a column as text: its string when it holds one string,
// without converting the record's field to a value (and boxing it).
type textFn func(r *Row) (string, textKind)

// textOf is what value v is as text.
func textOf(v any) (string, textKind) {
	switch x := v.(type) {
	case nil:
		return "", textNull
	case string:
		return x, textString
	}
	return "", textOther
}

// text returns a textFn for e when it reads a source field (as expr's
// fast path for a Ref does); nil otherwise. expr must have compiled e
// already, at the same point of the query.
func (c *compiler) text(e Expr) textFn {
	ref, ok := e.(*Ref)
	if !ok {
		return nil
	}
	name := ref.Name
	f, ok := c.p.fields[name]
	if !ok || c.names[name] || c.afterStats {
		return nil
	}
	idx := c.p.fieldIdx[name]
	return func(r *Row) (string, textKind) {
		for i := len(r.names) - 1; i >= 0; i-- {
			if r.names[i] == name {
				return textOf(force(r.vals[i]))
			}
		}
		if r.src == nil || r.hidden[name] {
			return "", textNull
		}
		return r.text(idx, f)
	}
}

// spanDuration converts a time-span literal. Calendar units (days, weeks)
// are taken as fixed lengths: the corpus compares them with UTC timestamps.
func spanDuration(s Span) (time.Duration, error) {
	var u time.Duration
	switch s.Unit {
	case "millisecond", "milliseconds", "ms":
		u = time.Millisecond
	case "second", "seconds", "sec", "s":
		u = time.Second
	case "minute", "minutes", "min":
		u = time.Minute
	case "hour", "hours", "h":
		u = time.Hour
	case "day", "days", "d":
		u = 24 * time.Hour
	case "week", "weeks", "w":
		u = 7 * 24 * time.Hour
	default:
		return 0, unsupported("time unit %q", s.Unit)
	}
	if s.N > math.MaxInt64/int64(u) || s.N < math.MinInt64/int64(u) {
		return 0, unsupported("time span %d %s out of range", s.N, s.Unit)
	}
	return time.Duration(s.N) * u, nil
}

// binaryOp evaluates logical, comparison and arithmetic operators with
// ES|QL's null semantics: three-valued AND/OR; null or a multi-valued
// operand gives null elsewhere.
func binaryOp(op string, l, r evalFn) evalFn {
	switch op {
	case "AND":
		return func(row *Row) any {
			a, aok := l(row).(bool)
			if aok && !a {
				return false
			}
			b, bok := r(row).(bool)
			if bok && !b {
				return false
			}
			if aok && bok {
				return true
			}
			return nil
		}
	case "OR":
		return func(row *Row) any {
			a, aok := l(row).(bool)
			if aok && a {
				return true
			}
			b, bok := r(row).(bool)
			if bok && b {
				return true
			}
			if aok && bok {
				return false
			}
			return nil
		}
	case "==", "!=", "<", "<=", ">", ">=":
		return func(row *Row) any {
			a, b := l(row), r(row)
			if a == nil || b == nil || isMulti(a) || isMulti(b) {
				return nil
			}
			c, ok := compare(a, b)
			if !ok {
				return nil
			}
			return cmpResult(op, c)
		}
	}
	return func(row *Row) any { return arith(op, l(row), r(row)) }
}

// comparison reports whether op is a comparison operator.
func comparison(op string) bool {
	switch op {
	case "==", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

// cmpResult is comparison op's result for operands that compare as c.
func cmpResult(op string, c int) bool {
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// stringLiteral returns the value of e when it is a string literal.
func stringLiteral(e Expr) (string, bool) {
	if l, ok := e.(*Literal); ok {
		s, ok := l.Val.(string)
		return s, ok
	}
	return "", false
}

// compareText is comparison op between a column read as text (t) and
// string literal lit, on the left when litLeft: what slow, the general
// comparison, gives, without converting a string column to a value. slow
// decides what is neither null nor one string.
func compareText(op string, t textFn, lit string, litLeft bool, slow evalFn) evalFn {
	return func(r *Row) any {
		switch s, k := t(r); k {
		case textNull:
			return nil
		case textString:
			c := strings.Compare(s, lit)
			if litLeft {
				c = -c
			}
			return cmpResult(op, c)
		}
		return slow(r)
	}
}

// arith computes a + - * / % b: long arithmetic when both are integers
// (null on overflow or division by zero), double otherwise, and date ±
// span.
func arith(op string, a, b any) any {
	if a == nil || b == nil || isMulti(a) || isMulti(b) {
		return nil
	}
	if t, ok := a.(time.Time); ok {
		d, ok := b.(time.Duration)
		if !ok {
			return nil
		}
		switch op {
		case "+":
			return t.Add(d)
		case "-":
			return t.Add(-d)
		}
		return nil
	}
	if d, ok := a.(time.Duration); ok {
		if t, ok := b.(time.Time); ok && op == "+" {
			return t.Add(d)
		}
		if e, ok := b.(time.Duration); ok {
			switch op {
			case "+":
				return d + e
			case "-":
				return d - e
			}
		}
		if op == "-" {
			if i, ok := b.(int64); ok && i == 0 {
				return -d
			}
		}
		return nil
	}
	x, xi := a.(int64)
	y, yi := b.(int64)
	if xi && yi {
		switch op {
		case "+":
			s := x + y
			if (s > x) != (y > 0) {
				return nil
			}
			return s
		case "-":
			s := x - y
			if (s < x) != (y > 0) {
				return nil
			}
			return s
		case "*":
			if x != 0 && y != 0 {
				p := x * y
				if p/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
					return nil
				}
				return p
			}
			return int64(0)
		case "/":
			if y == 0 || (x == math.MinInt64 && y == -1) {
				return nil
			}
			return x / y
		case "%":
			if y == 0 || (x == math.MinInt64 && y == -1) {
				return nil
			}
			return x % y
		}
		return nil
	}
	f, ok1 := toFloat(a)
	g, ok2 := toFloat(b)
	if !ok1 || !ok2 {
		return nil
	}
	var v float64
	switch op {
	case "+":
		v = f + g
	case "-":
		v = f - g
	case "*":
		v = f * g
	case "/":
		if g == 0 {
			return nil
		}
		v = f / g
	case "%":
		if g == 0 {
			return nil
		}
		v = math.Mod(f, g)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// likeRegexp compiles a LIKE pattern: * any run of characters, ? one, \
// escapes the next; the whole string must match.
func likeRegexp(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(p[i : i+1]))
			} else {
				b.WriteString(`\\`)
			}
		default:
			_, n := utf8.DecodeRuneInString(p[i:])
			b.WriteString(regexp.QuoteMeta(p[i : i+n]))
			i += n - 1
		}
	}
	b.WriteString(`$`)
	return regexp.Compile(b.String())
}

// likeSimple returns a matcher for a LIKE pattern that is a literal with
// * at its start, its end or both (lit, lit*, *lit, *lit*): what
// likeRegexp's regexp matches, without a regexp. Nil for any other
// pattern, and for a literal holding ?, \ or U+FFFD (which the regexp
// matches against an invalid byte).
func likeSimple(p string) func(string) bool {
	lit := strings.TrimLeft(p, "*")
	pre := len(lit) < len(p)
	lit = strings.TrimRight(lit, "*")
	suf := len(lit) < len(strings.TrimLeft(p, "*"))
	if strings.ContainsAny(lit, "*?\\\uFFFD") || !utf8.ValidString(lit) {
		return nil
	}
	switch {
	case pre && suf:
		return func(s string) bool { return strings.Contains(s, lit) }
	case suf:
		return func(s string) bool { return strings.HasPrefix(s, lit) }
	case pre:
		return func(s string) bool { return strings.HasSuffix(s, lit) }
	}
	return func(s string) bool { return s == lit }
}

// luceneRegexp compiles an RLIKE pattern (Lucene's regular-expression
// syntax) to an anchored Go regexp: . matches any character, newlines
// included; "…" is a literal string; the optional Lucene operators
// (# @ & ~ <n-m>) are taken literally.
func luceneRegexp(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)^(?:`)
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 >= len(p) {
				return nil, unsupported("RLIKE pattern %q ends with a backslash", p)
			}
			i++
			_, n := utf8.DecodeRuneInString(p[i:])
			b.WriteString(regexp.QuoteMeta(p[i : i+n]))
			i += n - 1
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
		case c == '"':
			end := strings.IndexByte(p[i+1:], '"')
			if end < 0 {
				return nil, unsupported("RLIKE pattern %q has an unterminated string", p)
			}
			b.WriteString(`(?:` + regexp.QuoteMeta(p[i+1:i+1+end]) + `)`)
			i += end + 1
		case strings.IndexByte("#@&~<>", c) >= 0:
			b.WriteString(regexp.QuoteMeta(string(c)))
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, unsupported("RLIKE pattern %q: %v", p, err)
	}
	return re, nil
}

// call compiles a scalar function call. Aggregate functions are handled by
// STATS and are an error here.
func (c *compiler) call(x *Call) (evalFn, error) {
	if aggFuncs[x.Name] {
		return nil, unsupported("aggregate function %s outside STATS", x.Name)
	}
	if x.Star {
		return nil, unsupported("%s(*)", x.Name)
	}
	if x.Name == "KQL" {
		return c.kql(x)
	}
	args, err := c.exprs(x.Args)
	if err != nil {
		return nil, err
	}
	nargs := func(lo, hi int) error {
		if len(args) < lo || (hi >= 0 && len(args) > hi) {
			return unsupported("%s with %d arguments", x.Name, len(args))
		}
		return nil
	}
	switch x.Name {
	case "NOW":
		if err := nargs(0, 0); err != nil {
			return nil, err
		}
		c.p.usesNow = true
		c.p.nowAfterStats = c.p.nowAfterStats || c.afterStats
		return func(r *Row) any { return r.env.now.UTC().Truncate(time.Millisecond) }, nil
	case "CASE":
		if err := nargs(1, -1); err != nil {
			return nil, err
		}
		return func(r *Row) any {
			i := 0
			for ; i+1 < len(args); i += 2 {
				if b, ok := args[i](r).(bool); ok && b {
					return args[i+1](r)
				}
			}
			if i < len(args) {
				return args[i](r)
			}
			return nil
		}, nil
	case "COALESCE":
		if err := nargs(1, -1); err != nil {
			return nil, err
		}
		return func(r *Row) any {
			for _, a := range args {
				if v := a(r); v != nil {
					return v
				}
			}
			return nil
		}, nil
	case "CONCAT":
		if err := nargs(2, -1); err != nil {
			return nil, err
		}
		return func(r *Row) any {
			var b strings.Builder
			for _, a := range args {
				s, ok := stringArg(a(r))
				if !ok {
					return nil
				}
				b.WriteString(s)
			}
			return b.String()
		}, nil
	case "STARTS_WITH", "ENDS_WITH":
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		starts := x.Name == "STARTS_WITH"
		return func(r *Row) any {
			s, ok1 := stringArg(args[0](r))
			p, ok2 := stringArg(args[1](r))
			if !ok1 || !ok2 {
				return nil
			}
			if starts {
				return strings.HasPrefix(s, p)
			}
			return strings.HasSuffix(s, p)
		}, nil
	case "TO_LOWER", "TO_UPPER":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		lower := x.Name == "TO_LOWER"
		return func(r *Row) any {
			s, ok := stringArg(args[0](r))
			if !ok {
				return nil
			}
			if lower {
				return strings.ToLower(s)
			}
			return strings.ToUpper(s)
		}, nil
	case "FROM_BASE64":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return func(r *Row) any {
			s, ok := stringArg(args[0](r))
			if !ok {
				return nil
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil
			}
			return strings.ToValidUTF8(string(b), "\uFFFD")
		}, nil
	case "TO_STRING":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return convert(args[0], func(v any) any { return Text(v) }), nil
	case "TO_DOUBLE":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return convert(args[0], toDouble), nil
	case "MV_COUNT":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return func(r *Row) any {
			v := args[0](r)
			if v == nil {
				return nil
			}
			return int64(len(each(v)))
		}, nil
	case "MV_FIRST":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return func(r *Row) any {
			vs := each(args[0](r))
			if len(vs) == 0 {
				return nil
			}
			return vs[0]
		}, nil
	case "DATE_TRUNC":
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		return func(r *Row) any {
			d, ok := args[0](r).(time.Duration)
			t, ok2 := args[1](r).(time.Time)
			if !ok || !ok2 || d <= 0 {
				return nil
			}
			ms := t.UnixMilli()
			step := d.Milliseconds()
			if step <= 0 {
				return nil
			}
			q := ms / step
			if ms%step != 0 && ms < 0 {
				q--
			}
			return time.UnixMilli(q * step).UTC()
		}, nil
	case "DATE_DIFF":
		if err := nargs(3, 3); err != nil {
			return nil, err
		}
		if lit, ok := x.Args[0].(*Literal); ok {
			if u, ok := lit.Val.(string); ok {
				if _, known := diffUnits[strings.ToLower(u)]; !known {
					return nil, unsupported("DATE_DIFF unit %q (units below a month only)", u)
				}
			}
		}
		return func(r *Row) any {
			u, ok := stringArg(args[0](r))
			a, ok2 := args[1](r).(time.Time)
			b, ok3 := args[2](r).(time.Time)
			if !ok || !ok2 || !ok3 {
				return nil
			}
			unit, ok := diffUnits[strings.ToLower(u)]
			if !ok {
				return nil
			}
			return int64(b.Sub(a) / unit)
		}, nil
	}
	return nil, unsupported("function %s", x.Name)
}

// diffUnits are DATE_DIFF's units below a month.
var diffUnits = map[string]time.Duration{
	"nanosecond": time.Nanosecond, "nanoseconds": time.Nanosecond, "ns": time.Nanosecond,
	"microsecond": time.Microsecond, "microseconds": time.Microsecond, "mcs": time.Microsecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond, "ms": time.Millisecond,
	"second": time.Second, "seconds": time.Second, "ss": time.Second, "s": time.Second,
	"minute": time.Minute, "minutes": time.Minute, "mi": time.Minute, "n": time.Minute,
	"hour": time.Hour, "hours": time.Hour, "hh": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour, "dd": 24 * time.Hour, "d": 24 * time.Hour,
	"week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour, "wk": 7 * 24 * time.Hour, "ww": 7 * 24 * time.Hour,
}

// stringArg returns a single string argument; false for null, a
// multi-valued or a non-string value.
func stringArg(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// convert applies a type conversion to each value of a (possibly
// multi-valued) argument, dropping values that do not convert.
func convert(arg evalFn, f func(any) any) evalFn {
	return func(r *Row) any {
		v := arg(r)
		if vs, ok := v.([]any); ok {
			out := make([]any, 0, len(vs))
			for _, x := range vs {
				if y := f(x); y != nil {
					out = append(out, y)
				}
			}
			return mv(out)
		}
		if v == nil {
			return nil
		}
		return f(v)
	}
}

func toDouble(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case bool:
		if x {
			return 1.0
		}
		return 0.0
	case time.Time:
		return float64(x.UnixMilli())
	case string:
		var f float64
		if _, err := fmt.Sscan(strings.TrimSpace(x), &f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return nil
}

// kql compiles KQL("query"): the query runs against the source record.
func (c *compiler) kql(x *Call) (evalFn, error) {
	if len(x.Args) != 1 {
		return nil, unsupported("KQL with %d arguments", len(x.Args))
	}
	lit, ok := x.Args[0].(*Literal)
	var s string
	if ok {
		s, ok = lit.Val.(string)
	}
	if !ok {
		return nil, unsupported("KQL of a non-literal")
	}
	if c.afterStats {
		return nil, unsupported("KQL after STATS")
	}
	n, err := kql.Parse(s)
	if err != nil {
		return nil, unsupported("KQL(%q): %v", s, err)
	}
	m, err := kql.Compile(n)
	if err != nil {
		return nil, unsupported("KQL(%q): %v", s, err)
	}
	for _, f := range m.Fields() {
		c.p.resolve(f.Name)
	}
	return func(r *Row) any {
		if r.src == nil {
			return nil
		}
		return m.Match(r.src)
	}, nil
}
