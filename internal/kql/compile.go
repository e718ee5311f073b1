package kql

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// ErrFieldless is returned (wrapped) by Compile for a term without a field.
var ErrFieldless = errors.New("field-less term")

// fieldNames lists the names a wildcard field name expands over; tests
// replace it.
var fieldNames = ecs.Names

// ipFields are the ECS fields of type ip: a value there may be a CIDR.
var ipFields = map[string]bool{
	"source.ip": true, "destination.ip": true, "client.ip": true,
	"server.ip": true, "host.ip": true, "related.ip": true,
}

// dateFields are the ECS fields of type date: ranges compare them
// chronologically.
var dateFields = map[string]bool{
	"@timestamp": true, "event.created": true, "event.ingested": true,
	"event.start": true, "event.end": true,
	"aws.cloudtrail.user_identity.session_context.creation_date": true,
}

// Compile resolves the fields of a parsed query with ecs.Lookup, which
// never fails: a field the view does not produce is simply absent. A
// wildcard field name expands to every ECS field name it matches. Compile
// fails on a field-less term (ErrFieldless), a malformed CIDR on an IP
// field and a range bound on a date field that is not a timestamp.
func Compile(n Node) (*Matcher, error) {
	c := &compiler{seen: map[string]bool{}}
	root, err := c.query(n, nil)
	if err != nil {
		return nil, err
	}
	return &Matcher{root: root, fields: c.fields, ast: n}, nil
}

type compiler struct {
	fields []ecs.Field
	seen   map[string]bool
	names  []string // fieldNames(), fetched on first use
}

func (c *compiler) lookup(name string) ecs.Field {
	f := ecs.Lookup(name)
	if !c.seen[name] {
		c.seen[name] = true
		c.fields = append(c.fields, f)
	}
	return f
}

// resolve returns the fields a field literal names under prefix: itself,
// or every known name it matches when it has a wildcard.
func (c *compiler) resolve(field, prefix *Literal) []ecs.Field {
	parts := field.Parts
	if prefix != nil {
		parts = joinParts(prefix, field)
	}
	if len(parts) == 1 {
		return []ecs.Field{c.lookup(parts[0])}
	}
	if c.names == nil {
		c.names = fieldNames()
	}
	pat := newPattern(parts)
	var fs []ecs.Field
	for _, name := range c.names {
		if pat.match(name) {
			fs = append(fs, c.lookup(name))
		}
	}
	return fs
}

// query compiles a query-level node; field names are relative to prefix.
func (c *compiler) query(n Node, prefix *Literal) (expr, error) {
	switch n := n.(type) {
	case *EmptyNode:
		return constExpr(true), nil
	case *OrNode:
		return c.list(n.Terms, prefix, c.query, newOr)
	case *AndNode:
		return c.list(n.Terms, prefix, c.query, newAnd)
	case *NotNode:
		x, err := c.query(n.Term, prefix)
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	case *ExistsNode:
		return c.leaf(n.Field, prefix, &Literal{Parts: []string{"", ""}})
	case *FieldNode:
		return c.values(n.Field, prefix, n.Value)
	case *RangeNode:
		return c.rangeExpr(n, prefix)
	case *NestedNode:
		path := n.Path
		if prefix != nil {
			path = &Literal{Parts: joinParts(prefix, n.Path)}
		}
		return c.query(n.Query, path)
	case *TermNode:
		return nil, fmt.Errorf("%d:%d: %w %s: name the field to search (field: value)",
			n.Pos.Line, n.Pos.Col, ErrFieldless, n.Value)
	case nil:
		return nil, errors.New("nil query")
	}
	return nil, fmt.Errorf("unexpected %T in query", n)
}

// joinParts returns the parts of the field name prefix.field.
func joinParts(prefix, field *Literal) []string {
	parts := append(append([]string(nil), prefix.Parts...), field.Parts[1:]...)
	parts[len(prefix.Parts)-1] += "." + field.Parts[0]
	return parts
}

// values compiles `field: value tree`: each leaf means `field: leaf`.
func (c *compiler) values(field, prefix *Literal, v Node) (expr, error) {
	compile := func(v Node, _ *Literal) (expr, error) { return c.values(field, prefix, v) }
	switch v := v.(type) {
	case *Literal:
		return c.leaf(field, prefix, v)
	case *OrNode:
		return c.list(v.Terms, prefix, compile, newOr)
	case *AndNode:
		return c.list(v.Terms, prefix, compile, newAnd)
	case *NotNode:
		x, err := c.values(field, prefix, v.Term)
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	}
	return nil, fmt.Errorf("unexpected %T in value list", v)
}

func (c *compiler) list(terms []Node, prefix *Literal, compile func(Node, *Literal) (expr, error), build func([]expr) expr) (expr, error) {
	xs := make([]expr, len(terms))
	for i, t := range terms {
		x, err := compile(t, prefix)
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	return build(xs), nil
}

// leaf compiles `field: value` for one literal value.
func (c *compiler) leaf(field, prefix, value *Literal) (expr, error) {
	if prefix == nil && field.isStar() && value.isStar() {
		return constExpr(true), nil
	}
	fs := c.resolve(field, prefix)
	xs := make([]expr, 0, len(fs))
	for _, f := range fs {
		if value.isStar() {
			xs = append(xs, existsExpr{f})
			continue
		}
		p, err := newPred(f.Name, value)
		if err != nil {
			return nil, err
		}
		xs = append(xs, &anyExpr{f: f, p: p})
	}
	return newOr(xs), nil
}

func (c *compiler) rangeExpr(n *RangeNode, prefix *Literal) (expr, error) {
	fs := c.resolve(n.Field, prefix)
	xs := make([]expr, 0, len(fs))
	for _, f := range fs {
		p, err := newRange(f.Name, n.Op, n.Value)
		if err != nil {
			return nil, err
		}
		xs = append(xs, &anyExpr{f: f, p: p})
	}
	return newOr(xs), nil
}

// newPred returns the predicate a value of field must satisfy to match
// the literal.
func newPred(field string, l *Literal) (pred, error) {
	if l.Wildcard() {
		return newPattern(l.Parts), nil
	}
	s := l.Parts[0]
	if ipFields[field] {
		if strings.Contains(s, "/") {
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%d:%d: %s: invalid CIDR %q", l.Pos.Line, l.Pos.Col, field, s)
			}
			return cidrPred{pfx.Masked()}, nil
		}
		if a, err := netip.ParseAddr(s); err == nil {
			return ipPred{a.Unmap()}, nil
		}
	}
	p := &exactPred{s: s}
	if s == "true" || s == "false" {
		p.isBool, p.b = true, s == "true"
	}
	if l.Kind == LiteralText || l.Kind == LiteralBool {
		if isDecimal(s) {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				p.isNum, p.num = true, f
			}
		}
	}
	return p, nil
}

func newRange(field, op string, l *Literal) (pred, error) {
	s := l.Parts[0]
	p := &rangePred{op: op, s: s}
	if isDecimal(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			p.isNum, p.num = true, f
		}
	}
	if dateFields[field] {
		t, ok := parseTime(s)
		if !ok {
			return nil, fmt.Errorf("%d:%d: range on date field %s: %q is not a timestamp", l.Pos.Line, l.Pos.Col, field, s)
		}
		p.isDate, p.t = true, t
	}
	return p, nil
}

// isDecimal reports whether s is a decimal number: an optional sign,
// digits with an optional fraction, and an optional exponent.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// parseTime parses a timestamp as RFC 3339 (with or without zone,
// fraction or seconds; UTC when no zone), yyyy-MM-dd, or epoch
// milliseconds.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range [...]string{
		time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00",
		"2006-01-02T15:04", "2006-01-02",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if s != "" && strings.Trim(s, "0123456789") == "" {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.UnixMilli(ms).UTC(), true
		}
	}
	return time.Time{}, false
}
