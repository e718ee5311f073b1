package ecs

import (
	"errors"

	"github.com/valyala/fastjson"
)

// Values of another type than CloudTrail writes (ECS.md §1). CloudTrail
// writes the fields below as strings and Elasticsearch maps them to keyword
// fields, so the view reads them as a keyword field holds them:
//   - an array is a multi-valued field: every scalar element (nested arrays
//     flattened) is a value, and a term matches when any element does;
//   - a number or a boolean is its text: a boolean "true"/"false", a number
//     as Elasticsearch indexes it after the ingest pipeline has parsed the
//     record (an integer as its digits, 123; any other number as Java's
//     Double.toString prints it, 1.50 → "1.5", 1e3 → "1000.0"), the same
//     text the view gives numbers everywhere else;
//   - an object, alone or inside an array, makes Elasticsearch reject the
//     whole document: the record is malformed (Record.Malformed), and no
//     rule may be evaluated on it. Cleanup comes first (§1): an object it
//     leaves empty ({}, {"a":null}) is absent, not malformed.
// Other fields are not affected: requestParameters and its kind are objects
// by design.

// ErrMalformed is wrapped by the error of Record.Malformed: a field
// CloudTrail writes as a string holds an object.
var ErrMalformed = errors.New("malformed record")

// typeError is the error of Record.Malformed, one per field and form:
// built once, so a malformed record costs no allocation.
type typeError struct {
	field   string // the raw dotted path, userIdentity.type
	inArray bool   // the object is an element of an array
}

func (e *typeError) Error() string { return "malformed record: " + e.Reason() }
func (e *typeError) Unwrap() error { return ErrMalformed }

// Reason is the error without its prefix: "userIdentity.type is an object",
// "eventSource holds an object in an array".
func (e *typeError) Reason() string {
	if e.inArray {
		return e.field + " holds an object in an array"
	}
	return e.field + " is an object"
}

// MalformedReason returns the reason of an error of Record.Malformed,
// naming the field ("userIdentity.type is an object"); "" for any other error.
func MalformedReason(err error) string {
	var te *typeError
	if errors.As(err, &te) {
		return te.Reason()
	}
	return ""
}

// The levels of the record that hold string fields, and the fields of each.
const (
	levelTop = iota
	levelIdentity
	levelSession // userIdentity.sessionContext: only its sessionIssuer counts
	levelIssuer
	numLevels
)

// stringFields are the fields of ECS.md §1, by level.
var stringFields = [numLevels][]string{
	levelTop: {"eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
		"userAgent", "errorCode", "errorMessage", "requestID", "eventID", "eventType", "apiVersion",
		"recipientAccountId", "sharedEventID", "vpcEndpointId", "eventCategory"},
	levelIdentity: {"type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy"},
	levelIssuer:   {"type", "principalId", "arn", "accountId", "userName"},
}

// levelPrefix is the dotted path of each level, for the error.
var levelPrefix = [numLevels]string{"", "userIdentity.", "userIdentity.sessionContext.", "userIdentity.sessionContext.sessionIssuer."}

// typeErrors holds the errors of every field: [level][field][inArray].
var typeErrors = func() (errs [numLevels][][2]error) {
	for l, names := range stringFields {
		errs[l] = make([][2]error, len(names))
		for i, name := range names {
			errs[l][i] = [2]error{&typeError{field: levelPrefix[l] + name}, &typeError{field: levelPrefix[l] + name, inArray: true}}
		}
	}
	return errs
}()

// stringField returns the index of key among the string fields of level,
// -1 when it is not one. A switch, not a loop: it runs for every composite
// member of the record and of its identity.
func stringField(level int, key []byte) int {
	switch level {
	case levelTop:
		switch string(key) {
		case "eventVersion":
			return 0
		case "eventTime":
			return 1
		case "eventSource":
			return 2
		case "eventName":
			return 3
		case "awsRegion":
			return 4
		case "sourceIPAddress":
			return 5
		case "userAgent":
			return 6
		case "errorCode":
			return 7
		case "errorMessage":
			return 8
		case "requestID":
			return 9
		case "eventID":
			return 10
		case "eventType":
			return 11
		case "apiVersion":
			return 12
		case "recipientAccountId":
			return 13
		case "sharedEventID":
			return 14
		case "vpcEndpointId":
			return 15
		case "eventCategory":
			return 16
		}
	case levelIdentity:
		switch string(key) {
		case "type":
			return 0
		case "principalId":
			return 1
		case "arn":
			return 2
		case "accountId":
			return 3
		case "accessKeyId":
			return 4
		case "userName":
			return 5
		case "invokedBy":
			return 6
		}
	case levelIssuer:
		switch string(key) {
		case "type":
			return 0
		case "principalId":
			return 1
		case "arn":
			return 2
		case "accountId":
			return 3
		case "userName":
			return 4
		}
	}
	return -1
}

// keySig is a 6-bit signature of a key (its length, first and last
// bytes), for a quick filter: the multipliers keep the keys CloudTrail
// writes as objects (requestParameters, responseElements, tlsDetails,
// resources, sessionContext's attributes and webIdFederationData…) apart
// from the keys checked, so their members are skipped without reading
// their keys further. Two keys of one signature are told apart by
// stringField.
func keySig(k []byte) uint {
	if len(k) == 0 {
		return 0
	}
	return (uint(len(k)) + 3*uint(k[0]) + 11*uint(k[len(k)-1])) & 63
}

// keySigs has, per level, bit keySig(k) set for every key k that is a
// string field or holds one.
var keySigs = func() (m [numLevels]uint64) {
	for l, names := range stringFields {
		for _, name := range names {
			m[l] |= 1 << keySig([]byte(name))
		}
	}
	m[levelTop] |= 1 << keySig([]byte("userIdentity"))
	m[levelIdentity] |= 1 << keySig([]byte("sessionContext"))
	m[levelSession] |= 1 << keySig([]byte("sessionIssuer"))
	return m
}()

// childLevel returns the level of the object member key of level holds,
// -1 when it holds no string field of §1.
func childLevel(level int, key []byte) int {
	switch {
	case level == levelTop && string(key) == "userIdentity":
		return levelIdentity
	case level == levelIdentity && string(key) == "sessionContext":
		return levelSession
	case level == levelSession && string(key) == "sessionIssuer":
		return levelIssuer
	}
	return -1
}

// Malformed returns an error wrapping ErrMalformed, naming the field, when
// a field CloudTrail writes as a string (ECS.md §1) holds an object that
// cleanup keeps, alone or inside an array (at any depth); nil otherwise, and nil when the last
// reset failed. Every occurrence of a duplicated key is checked. No rule
// may be evaluated on a malformed record: Elasticsearch rejects it. The
// check reads only the record's composite members and is done once per
// record; MalformedReason gives its reason for a summary.
func (r *Record) Malformed() error {
	if !r.valid() {
		return nil
	}
	if r.typeGen == r.gen {
		return r.typeErr
	}
	r.typeGen = r.gen
	if r.lazy {
		r.typeErr = r.checkTops()
	} else {
		r.typeErr = checkParsed(r.root, levelTop)
	}
	return r.typeErr
}

// checkTops checks the record's own members: only the composite ones
// buildTops noted, when it could note them all.
func (r *Record) checkTops() error {
	if len(r.pval) == 0 {
		return nil
	}
	if r.topsGen != r.gen {
		r.buildTops()
	}
	if !r.topsOK || r.ncomp > len(r.comp) {
		return r.checkMembers(0, levelTop)
	}
	for _, e := range r.comp[:r.ncomp] {
		if err := r.checkMember(int(e), levelTop); err != nil {
			return err
		}
	}
	return nil
}

// checkMembers checks the members of level starting at member first and
// following their next links, through the member index.
func (r *Record) checkMembers(first, level int) error {
	idx, raw := r.idx, r.raw
	n := len(idx) / ixWidth
	for e := first; e >= 0 && e < n; {
		// The value's first byte: strings, numbers and literals need no more.
		if c := int(idx[e*ixWidth+ixColon]); c >= 0 && c+1 < len(raw) {
			if b := raw[c+1]; b == '{' || b == '[' || isSpace(b) {
				if err := r.checkMember(e, level); err != nil { // which reads past white space
					return err
				}
			}
		}
		next := int(idx[e*ixWidth+ixNext])
		if next <= e {
			break // the last member, or a bad link (link reports it when read)
		}
		e = next
	}
	return nil
}

// checkMember checks member e of level, whose value may be composite.
func (r *Record) checkMember(e, level int) error {
	raw := r.raw
	i := int(r.idx[e*ixWidth+ixColon]) + 1
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	if i >= len(raw) || (raw[i] != '{' && raw[i] != '[') {
		return nil
	}
	var key []byte
	if k, c := int(r.idx[e*ixWidth+ixKey]), int(r.idx[e*ixWidth+ixColon]); k&ixEscaped == 0 && k >= 0 && k+1 < c && c < len(raw) && raw[c-1] == '"' {
		// The key's signature rules out most composite members.
		key = raw[k+1 : c-1]
		if keySigs[level]&(1<<keySig(key)) == 0 {
			return nil
		}
	} else {
		var esc bool
		if key, esc = r.keyOf(e); esc {
			k := int(r.idx[e*ixWidth+ixKey] &^ ixEscaped)
			if u, ok := unescapeKey(raw[k : k+len(key)+2]); ok {
				key = []byte(u)
			}
		}
	}
	if f := stringField(level, key); f >= 0 {
		if raw[i] == '{' {
			if v := r.parsed(e); v != nil && !dropped(v) {
				return typeErrors[level][f][0]
			}
		} else if r.arrayHoldsObject(e) {
			return typeErrors[level][f][1]
		}
	} else if l := childLevel(level, key); l >= 0 && raw[i] == '{' {
		if r.skipped(e) { // not indexed: check it parsed
			if v := r.parsed(e); v != nil {
				return checkParsed(v, l)
			}
			return nil
		}
		child := r.link(e, ixChild)
		if child < 0 {
			return nil
		}
		if level == levelTop && !r.suspicious(e, child) {
			return nil
		}
		return r.checkMembers(child, l)
	}
	return nil
}

// identitySigs has bit keySig(k) set for the keys k of userIdentity's
// string fields and of its session issuer's.
var identitySigs = keySigs[levelIdentity] | keySigs[levelIssuer]

// suspicious reports whether some member below the top-level member e,
// whose first child is child, may be a string field of userIdentity or of
// its session issuer holding an object or an array: one pass over the
// index entries of e's value (the index lists them right after e, before
// e's next sibling) with no link followed, since a well-formed identity
// has none and checkMembers' walk level by level costs more.
func (r *Record) suspicious(e, child int) bool {
	idx, raw := r.idx, r.raw
	end := len(idx) / ixWidth
	if next := int(idx[e*ixWidth+ixNext]); next > e && next < end {
		end = next
	}
	for j := child; j < end; j++ {
		c := int(idx[j*ixWidth+ixColon])
		if c < 0 || c+1 >= len(raw) {
			return true
		}
		if b := raw[c+1]; b != '{' && b != '[' {
			if !isSpace(b) {
				continue
			}
			if b = firstByte(raw, c+1); b != '{' && b != '[' {
				continue
			}
		}
		k := int(idx[j*ixWidth+ixKey])
		if k&ixEscaped != 0 || k < 0 || k+1 >= c || raw[c-1] != '"' {
			return true
		}
		if key := raw[k+1 : c-1]; identitySigs&(1<<keySig(key)) != 0 && (stringField(levelIdentity, key) >= 0 || stringField(levelIssuer, key) >= 0) {
			return true
		}
	}
	return false
}

// arrayHoldsObject reports whether member e's value, an array, holds an
// object at any depth; it parses the array only when a '{' is in it.
func (r *Record) arrayHoldsObject(e int) bool {
	v := r.valueOf(e)
	for _, c := range v {
		if c == '{' {
			pv := r.parsed(e)
			return pv != nil && holdsObject(pv, 0)
		}
	}
	return false
}

// holdsObject reports whether the array v holds an object that cleanup
// keeps, in it or in the arrays nested in it.
func holdsObject(v *fastjson.Value, depth int) bool {
	if depth > maxRawDepth {
		return false
	}
	for _, c := range v.GetArray() {
		switch c.Type() {
		case fastjson.TypeObject:
			if !dropped(c) {
				return true
			}
		case fastjson.TypeArray:
			if holdsObject(c, depth+1) {
				return true
			}
		}
	}
	return false
}

// checkParsed is checkMembers over the parsed object o (after Reset).
func checkParsed(o *fastjson.Value, level int) error {
	obj, err := o.Object()
	if err != nil {
		return nil
	}
	var found error
	obj.Visit(func(k []byte, v *fastjson.Value) {
		if found != nil {
			return
		}
		t := v.Type()
		if t != fastjson.TypeObject && t != fastjson.TypeArray {
			return
		}
		if f := stringField(level, k); f >= 0 {
			if t == fastjson.TypeObject {
				if !dropped(v) {
					found = typeErrors[level][f][0]
				}
			} else if holdsObject(v, 0) {
				found = typeErrors[level][f][1]
			}
		} else if l := childLevel(level, k); l >= 0 && t == fastjson.TypeObject {
			found = checkParsed(v, l)
		}
	})
	return found
}
