package eql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// Matcher is a compiled event query. It is immutable and safe for concurrent
// use.
type Matcher struct {
	root   cond
	fields []ecs.Field
	q      *EventQuery // what Compile was given, for Explain
	catF   string      // the field the category compares with; "" for any
}

// Match reports whether d satisfies the query.
func (m *Matcher) Match(d query.Doc) bool { return m.root.match(d) }

// Fields returns every field the query reads, each once, in first-read
// order. The caller must not modify the slice.
func (m *Matcher) Fields() []ecs.Field { return m.fields }

// Constraint returns the values field must take for the query to match
// (query.Constraint: sound, case-sensitive); ok=false when the query admits
// any value.
func (m *Matcher) Constraint(field string) (query.Constraint, bool) { return m.root.constrain(field) }

// Compile compiles an event query. categoryField is the field the category
// compares with: "event.category", or the rule's event_category_override.
//
// Missing fields follow Elasticsearch (EQL syntax and function references):
// a function with a null argument returns null (length included), and a
// comparison, lookup or pattern on a missing field is not true, so the
// condition does not match. `x == null` tests absence and `x != null`
// presence. Elasticsearch translates a field compared with a constant into
// the Query DSL, so `x != "v"`, `x not in (…)` and `not f(x, …)` become
// must_not clauses that match records lacking x; compiled here as the
// negation of the positive test, they do the same.
func Compile(q *EventQuery, categoryField string) (*Matcher, error) {
	c := &compiler{seen: map[string]bool{}}
	m := &Matcher{q: q}
	root, err := c.cond(q.Cond)
	if err != nil {
		return nil, err
	}
	if q.Category != "any" {
		if categoryField == "" {
			categoryField = "event.category"
		}
		cat := &cmpCond{op: "==", l: c.field(categoryField), r: litVal{vs: []ecs.Value{{Kind: ecs.KindString, S: q.Category}}}}
		root = andCond{cat, root}
		m.catF = categoryField
	}
	m.root, m.fields = root, c.fields
	return m, nil
}

type compiler struct {
	fields []ecs.Field
	seen   map[string]bool
}

func (c *compiler) field(name string) fieldVal {
	f := ecs.Lookup(name)
	if !c.seen[name] {
		c.seen[name] = true
		c.fields = append(c.fields, f)
	}
	return fieldVal{f}
}

// cond is a compiled condition.
type cond interface {
	match(d query.Doc) bool
	constrain(field string) (query.Constraint, bool)
}

// val is a compiled value expression; nil or empty means null.
type val interface {
	values(d query.Doc) []ecs.Value
}

var (
	trueVals  = []ecs.Value{{Kind: ecs.KindBool, B: true, S: "true"}}
	falseVals = []ecs.Value{{Kind: ecs.KindBool, S: "false"}}
)

func (c *compiler) cond(e Expr) (cond, error) {
	switch e := e.(type) {
	case *Logic:
		xs := make([]cond, len(e.X))
		for i, x := range e.X {
			cx, err := c.cond(x)
			if err != nil {
				return nil, err
			}
			xs[i] = cx
		}
		if e.Op == "and" {
			return andCond(xs), nil
		}
		if xs = mergeCalls(xs); len(xs) == 1 {
			return xs[0], nil
		}
		return orCond(xs), nil
	case *Not:
		x, err := c.cond(e.X)
		if err != nil {
			return nil, err
		}
		return notCond{x}, nil
	case *Compare:
		l, err := c.val(e.L)
		if err != nil {
			return nil, err
		}
		r, err := c.val(e.R)
		if err != nil {
			return nil, err
		}
		if e.Op == "!=" {
			return notCond{&cmpCond{op: "==", l: l, r: r}}, nil
		}
		return &cmpCond{op: e.Op, l: l, r: r}, nil
	case *In:
		x, err := c.val(e.X)
		if err != nil {
			return nil, err
		}
		in := &inCond{x: x, fold: e.Insensitive}
		for _, it := range e.List {
			v, err := c.val(it)
			if err != nil {
				return nil, err
			}
			in.list = append(in.list, v)
		}
		if e.Negated {
			return notCond{in}, nil
		}
		return in, nil
	case *Pattern:
		return c.pattern(e)
	case *Call:
		if fn, ok := boolFuncs[strings.ToLower(e.Name)]; ok {
			args, err := c.args(e, fn.min, fn.max)
			if err != nil {
				return nil, err
			}
			return newCallCond(strings.ToLower(e.Name), e.Insensitive, args, fn.test), nil
		}
	}
	v, err := c.val(e)
	if err != nil {
		return nil, err
	}
	return truthy{v}, nil
}

func (c *compiler) args(e *Call, min, max int) ([]val, error) {
	if len(e.Args) < min || (max >= 0 && len(e.Args) > max) {
		return nil, fmt.Errorf("%s: wrong number of arguments (%d)", e.Name, len(e.Args))
	}
	out := make([]val, len(e.Args))
	for i, a := range e.Args {
		v, err := c.val(a)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (c *compiler) val(e Expr) (val, error) {
	switch e := e.(type) {
	case *Field:
		return c.field(e.Name), nil
	case *Literal:
		switch e.Kind {
		case LitString:
			return litVal{vs: []ecs.Value{{Kind: ecs.KindString, S: e.Text}}}, nil
		case LitNumber:
			n, _ := strconv.ParseFloat(e.Text, 64)
			return litVal{vs: []ecs.Value{{Kind: ecs.KindNumber, N: n, S: e.Text}}}, nil
		case LitBool:
			if e.Text == "true" {
				return litVal{vs: trueVals}, nil
			}
			return litVal{vs: falseVals}, nil
		}
		return litVal{null: true}, nil
	case *Call:
		if strings.EqualFold(e.Name, "length") {
			args, err := c.args(e, 1, 1)
			if err != nil {
				return nil, err
			}
			return lengthVal{args[0]}, nil
		}
		if _, ok := boolFuncs[strings.ToLower(e.Name)]; !ok {
			return nil, fmt.Errorf("function %s is not supported", e.Name)
		}
	}
	cd, err := c.cond(e)
	if err != nil {
		return nil, err
	}
	return condVal{cd}, nil
}

// pattern compiles ":", like, like~, regex and regex~.
func (c *compiler) pattern(e *Pattern) (cond, error) {
	x, err := c.val(e.X)
	if err != nil {
		return nil, err
	}
	p := &patCond{x: x}
	for _, it := range e.List {
		lit, isLit := it.(*Literal)
		switch {
		case e.Op == "regex" || e.Op == "regex~":
			if !isLit || lit.Kind != LitString {
				return nil, fmt.Errorf("%s needs string patterns", e.Op)
			}
			src := "^(?:" + lit.Text + ")$"
			if e.Op == "regex~" {
				src = "(?i)" + src
			}
			re, err := regexp.Compile(src)
			if err != nil {
				return nil, fmt.Errorf("regex %q: %w", lit.Text, err)
			}
			p.res = append(p.res, re)
		case isLit && lit.Kind == LitString:
			fold := e.Op != "like"
			p.globs = append(p.globs, newGlob(lit.Text, fold))
		default:
			// A field or other value: equality (case-insensitive except for like).
			v, err := c.val(it)
			if err != nil {
				return nil, err
			}
			p.vals = append(p.vals, v)
			p.foldVals = e.Op != "like"
		}
	}
	return p, nil
}

type (
	andCond []cond
	orCond  []cond
	notCond struct{ x cond }
	truthy  struct{ v val }
)

func (x andCond) match(d query.Doc) bool {
	for _, c := range x {
		if !c.match(d) {
			return false
		}
	}
	return true
}

func (x orCond) match(d query.Doc) bool {
	for _, c := range x {
		if c.match(d) {
			return true
		}
	}
	return false
}

func (x notCond) match(d query.Doc) bool { return !x.x.match(d) }

func (x truthy) match(d query.Doc) bool {
	for _, v := range x.v.values(d) {
		if v.Kind == ecs.KindBool && v.B {
			return true
		}
	}
	return false
}

// constrain of a conjunction or a disjunction: query.And and query.Or.
func (x andCond) constrain(field string) (query.Constraint, bool) {
	return query.And(x, func(c cond) (query.Constraint, bool) { return c.constrain(field) })
}

func (x orCond) constrain(field string) (query.Constraint, bool) {
	return query.Or(x, func(c cond) (query.Constraint, bool) { return c.constrain(field) })
}

func (notCond) constrain(string) (query.Constraint, bool) { return query.Constraint{}, false }
func (truthy) constrain(string) (query.Constraint, bool)  { return query.Constraint{}, false }

type fieldVal struct{ f ecs.Field }

func (v fieldVal) values(d query.Doc) []ecs.Value { return d.Values(v.f) }

// litVal is a constant; null has no values.
type litVal struct {
	vs   []ecs.Value
	null bool
}

func (v litVal) values(query.Doc) []ecs.Value { return v.vs }

type condVal struct{ c cond }

func (v condVal) values(d query.Doc) []ecs.Value {
	if v.c.match(d) {
		return trueVals
	}
	return falseVals
}

type lengthVal struct{ x val }

func (v lengthVal) values(d query.Doc) []ecs.Value {
	vs := v.x.values(d)
	if len(vs) == 0 {
		return nil
	}
	n := utf8.RuneCountInString(text(vs[0]))
	return []ecs.Value{{Kind: ecs.KindNumber, N: float64(n), S: strconv.Itoa(n)}}
}

// text is the string a comparison or function sees for v.
func text(v ecs.Value) string {
	if v.Kind == ecs.KindNumber && v.S == "" {
		return strconv.FormatFloat(v.N, 'f', -1, 64)
	}
	if v.Kind == ecs.KindBool && v.S == "" {
		return strconv.FormatBool(v.B)
	}
	return v.S
}

// number returns v as a number when it is one or reads as one.
func number(v ecs.Value) (float64, bool) {
	switch v.Kind {
	case ecs.KindNumber:
		return v.N, true
	case ecs.KindString:
		n, err := strconv.ParseFloat(v.S, 64)
		return n, err == nil
	}
	return 0, false
}

// compare orders a and b: numerically when both are numbers (or one is a
// number and the other reads as one), as text otherwise.
func compare(a, b ecs.Value) int {
	if a.Kind == ecs.KindNumber || b.Kind == ecs.KindNumber {
		x, ok1 := number(a)
		y, ok2 := number(b)
		if ok1 && ok2 {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(text(a), text(b))
}

// cmpCond is ==, <, <=, > or >= (!= compiles to not ==). A null side makes
// it false, except `x == null`, which is true when x has no value.
type cmpCond struct {
	op   string
	l, r val
}

func (c *cmpCond) match(d query.Doc) bool {
	if lv, ok := c.r.(litVal); ok && lv.null {
		return c.op == "==" && len(c.l.values(d)) == 0
	}
	if lv, ok := c.l.(litVal); ok && lv.null {
		return c.op == "==" && len(c.r.values(d)) == 0
	}
	rs := c.r.values(d)
	for _, a := range c.l.values(d) {
		for _, b := range rs {
			if c.test(a, b) {
				return true
			}
		}
	}
	return false
}

func (c *cmpCond) test(a, b ecs.Value) bool {
	if c.op == "==" {
		if a.Kind == ecs.KindBool || b.Kind == ecs.KindBool {
			return text(a) == text(b)
		}
		return compare(a, b) == 0
	}
	if a.Kind == ecs.KindBool || b.Kind == ecs.KindBool {
		return false
	}
	n := compare(a, b)
	switch c.op {
	case "<":
		return n < 0
	case "<=":
		return n <= 0
	case ">":
		return n > 0
	}
	return n >= 0
}

func (c *cmpCond) constrain(field string) (query.Constraint, bool) {
	if c.op != "==" {
		return query.Constraint{}, false
	}
	f, ok1 := c.l.(fieldVal)
	s, ok2 := stringLit(c.r)
	if !ok1 || !ok2 || f.f.Name != field {
		return query.Constraint{}, false
	}
	return query.Constraint{Exact: []string{s}}, true
}

// stringLit returns the text of a string literal value.
func stringLit(v val) (string, bool) {
	lv, ok := v.(litVal)
	if !ok || lv.null || len(lv.vs) != 1 || lv.vs[0].Kind != ecs.KindString {
		return "", false
	}
	return lv.vs[0].S, true
}

// inCond is x in (…) or x in~ (…).
type inCond struct {
	x    val
	fold bool
	list []val
}

func (c *inCond) match(d query.Doc) bool {
	xs := c.x.values(d)
	if len(xs) == 0 {
		return false
	}
	for _, it := range c.list {
		for _, b := range it.values(d) {
			for _, a := range xs {
				if c.fold {
					if strings.EqualFold(text(a), text(b)) {
						return true
					}
				} else if compare(a, b) == 0 {
					return true
				}
			}
		}
	}
	return false
}

func (c *inCond) constrain(field string) (query.Constraint, bool) {
	f, ok := c.x.(fieldVal)
	if c.fold || !ok || f.f.Name != field {
		return query.Constraint{}, false
	}
	return query.Or(c.list, func(it val) (query.Constraint, bool) {
		s, ok := stringLit(it)
		return query.Constraint{Exact: []string{s}}, ok
	})
}

// patCond is ":", like, like~, regex or regex~ with one or more patterns.
type patCond struct {
	x        val
	globs    []glob
	res      []*regexp.Regexp
	vals     []val
	foldVals bool
}

func (c *patCond) match(d query.Doc) bool {
	for _, a := range c.x.values(d) {
		s := text(a)
		for _, g := range c.globs {
			if g.match(s) {
				return true
			}
		}
		for _, re := range c.res {
			if re.MatchString(s) {
				return true
			}
		}
		for _, v := range c.vals {
			for _, b := range v.values(d) {
				if s == text(b) || (c.foldVals && strings.EqualFold(s, text(b))) {
					return true
				}
			}
		}
	}
	return false
}

func (c *patCond) constrain(string) (query.Constraint, bool) { return query.Constraint{}, false }

// glob is a wildcard pattern: * matches any run of characters, ? one.
// A case-insensitive one matches as globMatch(strings.ToLower(pat),
// strings.ToLower(s)) does.
type glob struct {
	pat  string // strings.ToLower of the pattern when fold
	fold bool
}

func newGlob(pat string, fold bool) glob {
	if fold {
		pat = strings.ToLower(pat)
	}
	return glob{pat: pat, fold: fold}
}

// match reports whether s matches g. An ASCII s is compared byte by byte
// with its letters lowered, which is what strings.ToLower does to it, so
// that no lowered copy is made per value.
func (g glob) match(s string) bool {
	if !g.fold {
		return globMatch(g.pat, s, false)
	}
	if isASCII(s) {
		return globMatch(g.pat, s, true)
	}
	return globMatch(g.pat, strings.ToLower(s), false)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// globMatch matches s against p in linear time with one backtrack point;
// with lower, as if s's bytes A-Z were a-z.
func globMatch(p, s string, lower bool) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		c := s[si]
		if lower && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == '?':
			_, n := utf8.DecodeRuneInString(s[si:])
			pi++
			si += n
		case pi < len(p) && p[pi] == c:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// boolFunc is a boolean string function.
type boolFunc struct {
	min, max int
	test     func(fold bool, a string, rest []string) bool
}

var boolFuncs = map[string]boolFunc{
	"stringcontains": {2, 2, func(fold bool, a string, b []string) bool {
		if fold {
			return strings.Contains(strings.ToLower(a), strings.ToLower(b[0]))
		}
		return strings.Contains(a, b[0])
	}},
	"startswith": {2, 2, func(fold bool, a string, b []string) bool {
		if fold {
			return strings.HasPrefix(strings.ToLower(a), strings.ToLower(b[0]))
		}
		return strings.HasPrefix(a, b[0])
	}},
	"endswith": {2, 2, func(fold bool, a string, b []string) bool {
		if fold {
			return strings.HasSuffix(strings.ToLower(a), strings.ToLower(b[0]))
		}
		return strings.HasSuffix(a, b[0])
	}},
	"wildcard": {2, -1, func(fold bool, a string, pats []string) bool {
		for _, p := range pats {
			if newGlob(p, fold).match(a) {
				return true
			}
		}
		return false
	}},
}

// callCond is a boolean function call. It is true when some value of the
// first argument passes with some values of the others; a null argument
// makes it false.
type callCond struct {
	name string
	fold bool
	args []val
	test func(fold bool, a string, rest []string) bool

	// Set by newCallCond when the arguments after the first are constants.
	lit   bool
	never bool       // one of them is null
	rest  []string   // their texts
	ones  [][]string // each text as a one-element list
	gates []gate     // stringContains: the needles by shared substring (containsGates)
}

func (c *callCond) match(d query.Doc) bool {
	if c.never {
		return false
	}
	first := c.args[0].values(d)
	if len(first) == 0 {
		return false
	}
	var rest []string
	for _, a := range c.args[1:] {
		if c.lit {
			rest = c.rest
			break
		}
		vs := a.values(d)
		if len(vs) == 0 {
			if c.name == "wildcard" {
				continue
			}
			return false
		}
		for _, v := range vs {
			rest = append(rest, text(v))
		}
	}
	if c.gates != nil {
		for _, v := range first {
			if containsAny(text(v), c.gates) {
				return true
			}
		}
		return false
	}
	for _, v := range first {
		s := text(v)
		if c.name == "wildcard" {
			if c.test(c.fold, s, rest) {
				return true
			}
			continue
		}
		for i, r := range rest {
			var one []string
			if c.lit {
				one = c.ones[i]
			} else {
				one = []string{r}
			}
			if c.test(c.fold, s, one) {
				return true
			}
		}
	}
	return false
}

func (c *callCond) constrain(field string) (query.Constraint, bool) {
	if c.name != "startswith" || c.fold {
		return query.Constraint{}, false
	}
	f, ok := c.args[0].(fieldVal)
	s, ok2 := stringLit(c.args[1])
	if !ok || !ok2 || f.f.Name != field || s == "" {
		return query.Constraint{}, false
	}
	return query.Constraint{Prefixes: []string{s}}, true
}
