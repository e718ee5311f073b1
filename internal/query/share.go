package query

import (
	"errors"
	"strconv"
)

// Leaf keys: the rule engine evaluates a predicate that several rules test
// once per record, and names each leaf of a compiled query by what it tests
// (see internal/rule/predicates.go). A test that two languages spell with
// one meaning has one key in both; StrEqKey is such a key.

// StrEqKey is the key of "some value of field is a string equal to s", for
// an s that no number or boolean can equal (PlainString): KQL's
// `field: "s"` and EQL's `field == "s"`.
func StrEqKey(field, s string) string { return "streq\x00" + field + "\x00" + s }

// PlainString reports whether s compares with a field's values as a plain
// string in both KQL and EQL: it neither reads as a number (anything
// strconv.ParseFloat takes, out of range included) nor is true or false,
// so only a string value equal to it matches.
func PlainString(s string) bool {
	if s == "true" || s == "false" {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err != nil && !errors.Is(err, strconv.ErrRange)
}
