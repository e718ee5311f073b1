package kql

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/query"
)

// expr is a node of a compiled query.
type expr interface {
	eval(d query.Doc) bool
	// constrain returns the values field must have when eval is true
	// (see Matcher.Constraint).
	constrain(field string) (query.Constraint, bool)
}

type (
	orExpr    []expr
	andExpr   []expr
	notExpr   struct{ x expr }
	constExpr bool
	// existsExpr is true when f has a value.
	existsExpr struct{ f ecs.Field }
	// anyExpr is true when some value of f satisfies p.
	anyExpr struct {
		f ecs.Field
		p pred
	}
)

func newOr(xs []expr) expr {
	switch len(xs) {
	case 0:
		return constExpr(false)
	case 1:
		return xs[0]
	}
	byCost(xs)
	return orExpr(xs)
}

func newAnd(xs []expr) expr {
	switch len(xs) {
	case 0:
		return constExpr(true)
	case 1:
		return xs[0]
	}
	byCost(xs)
	return andExpr(xs)
}

// byCost orders the terms of a conjunction or disjunction cheapest first
// (stable), so that evaluation stops as early and as cheaply as it can.
// Terms have no side effects: the order changes only the time taken.
func byCost(xs []expr) {
	sort.SliceStable(xs, func(i, j int) bool { return cost(xs[i]) < cost(xs[j]) })
}

// cost estimates the work of evaluating x on a record: reading a plain
// field is 1; the object fields printed as Java maps and the flattened
// leaves are dearer; wildcards cost more than equality.
func cost(x expr) int {
	switch x := x.(type) {
	case constExpr:
		return 0
	case existsExpr:
		return fieldCost(x.f)
	case *anyExpr:
		c := fieldCost(x.f)
		switch p := x.p.(type) {
		case *exactPred:
		case *pattern:
			c += 1 + len(p.middle)
		default:
			c += 2
		}
		return c
	case notExpr:
		return cost(x.x)
	case andExpr:
		return sumCost(x)
	case orExpr:
		return sumCost(x)
	}
	return 10
}

func sumCost(xs []expr) int {
	c := 0
	for _, x := range xs {
		c += cost(x)
	}
	return c
}

func fieldCost(f ecs.Field) int {
	switch f.Name {
	case "aws.cloudtrail.request_parameters", "aws.cloudtrail.response_elements",
		"aws.cloudtrail.additional_eventdata", "aws.cloudtrail.service_event_details":
		return 8
	}
	if strings.HasPrefix(f.Name, "aws.cloudtrail.flattened.") {
		return 8
	}
	return 1
}

func (x orExpr) eval(d query.Doc) bool {
	for _, t := range x {
		if t.eval(d) {
			return true
		}
	}
	return false
}

func (x andExpr) eval(d query.Doc) bool {
	for _, t := range x {
		if !t.eval(d) {
			return false
		}
	}
	return true
}

func (x notExpr) eval(d query.Doc) bool    { return !x.x.eval(d) }
func (x constExpr) eval(query.Doc) bool    { return bool(x) }
func (x existsExpr) eval(d query.Doc) bool { return len(d.Values(x.f)) > 0 }

func (x *anyExpr) eval(d query.Doc) bool {
	for _, v := range d.Values(x.f) {
		if x.p.test(v) {
			return true
		}
	}
	return false
}

// constrain of a disjunction or a conjunction: query.Or and query.And.
func (x orExpr) constrain(field string) (query.Constraint, bool) {
	return query.Or(x, func(t expr) (query.Constraint, bool) { return t.constrain(field) })
}

func (x andExpr) constrain(field string) (query.Constraint, bool) {
	return query.And(x, func(t expr) (query.Constraint, bool) { return t.constrain(field) })
}

func (notExpr) constrain(string) (query.Constraint, bool)    { return query.Constraint{}, false }
func (existsExpr) constrain(string) (query.Constraint, bool) { return query.Constraint{}, false }

func (x constExpr) constrain(string) (query.Constraint, bool) {
	// false matches nothing, so any constraint holds; true matches anything.
	return query.Constraint{}, !bool(x)
}

func (x *anyExpr) constrain(field string) (query.Constraint, bool) {
	if x.f.Name != field {
		return query.Constraint{}, false
	}
	switch p := x.p.(type) {
	case *exactPred:
		if p.isNum || p.isBool {
			// Numbers and booleans also match values spelled otherwise.
			return query.Constraint{}, false
		}
		return query.Constraint{Exact: []string{p.s}}, true
	case *pattern:
		if p.prefix != "" {
			return query.Constraint{Prefixes: []string{p.prefix}}, true
		}
	}
	return query.Constraint{}, false
}

// pred tests one value of a field.
type pred interface {
	test(v ecs.Value) bool
}

// valueText returns the text a wildcard or a string comparison sees.
func valueText(v ecs.Value) string {
	switch v.Kind {
	case ecs.KindBool:
		return strconv.FormatBool(v.B)
	case ecs.KindNumber:
		if v.S == "" {
			return strconv.FormatFloat(v.N, 'f', -1, 64)
		}
	}
	return v.S
}

// exactPred is equality with a literal: exact and case-sensitive on
// strings, numeric on numbers, boolean on booleans.
type exactPred struct {
	s      string
	isNum  bool // s is a decimal number, num its value
	num    float64
	isBool bool // s is true or false, b its value
	b      bool
}

func (p *exactPred) test(v ecs.Value) bool {
	switch v.Kind {
	case ecs.KindString:
		return v.S == p.s
	case ecs.KindBool:
		return p.isBool && v.B == p.b
	case ecs.KindNumber:
		if p.isNum {
			return v.N == p.num
		}
		return valueText(v) == p.s
	}
	return false
}

// pattern is a compiled wildcard pattern: prefix*middle[0]*…*suffix,
// case-sensitive, over the whole value.
type pattern struct {
	prefix, suffix string
	middle         []string
	min            int // the shortest length that can match
}

// newPattern compiles the parts of a wildcard literal (len(parts) >= 2).
func newPattern(parts []string) *pattern {
	p := &pattern{prefix: parts[0], suffix: parts[len(parts)-1]}
	p.min = len(p.prefix) + len(p.suffix)
	for _, m := range parts[1 : len(parts)-1] {
		if m != "" {
			p.middle = append(p.middle, m)
			p.min += len(m)
		}
	}
	return p
}

func (p *pattern) match(s string) bool {
	if len(s) < p.min || !strings.HasPrefix(s, p.prefix) || !strings.HasSuffix(s, p.suffix) {
		return false
	}
	s = s[len(p.prefix) : len(s)-len(p.suffix)]
	for _, m := range p.middle {
		i := strings.Index(s, m)
		if i < 0 {
			return false
		}
		s = s[i+len(m):]
	}
	return true
}

func (p *pattern) test(v ecs.Value) bool { return p.match(valueText(v)) }

// ipPred is equality of IP addresses.
type ipPred struct{ a netip.Addr }

func (p ipPred) test(v ecs.Value) bool {
	a, ok := ecs.ParseAddr(valueText(v))
	return ok && a.Unmap() == p.a
}

// cidrPred is membership of an IP address in a CIDR block.
type cidrPred struct{ p netip.Prefix }

func (p cidrPred) test(v ecs.Value) bool {
	a, ok := ecs.ParseAddr(valueText(v))
	return ok && p.p.Contains(a.Unmap())
}

// rangePred compares a value with a bound: numerically on numbers,
// chronologically on date fields, lexically on other strings.
type rangePred struct {
	op     string
	s      string
	isNum  bool
	num    float64
	isDate bool
	t      time.Time
}

func (p *rangePred) test(v ecs.Value) bool {
	var c int
	switch {
	case v.Kind == ecs.KindNumber:
		if !p.isNum || v.N != v.N { // NaN is unordered
			return false
		}
		c = cmpFloat(v.N, p.num)
	case v.Kind == ecs.KindBool:
		return false
	case p.isDate:
		t, ok := parseTime(v.S)
		if !ok {
			return false
		}
		c = t.Compare(p.t)
	default:
		c = strings.Compare(v.S, p.s)
	}
	switch p.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
