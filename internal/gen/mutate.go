package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// MutationBase returns the records mutants are made from: every record of
// the CloudTrail logs under datasets (../shared/datasets: the Invictus
// logs and the Stratus detonations), compact, in file order, and "datasets";
// or, when datasets is empty or holds none, the records of the bundled
// sample (testdata/sample, as Sample builds it) and the built-in
// templates, and "builtin".
func MutationBase(datasets string) ([][]byte, string, error) {
	var out [][]byte
	if datasets != "" {
		if _, err := os.Stat(datasets); err == nil {
			paths, err := LogFiles(datasets)
			if err != nil {
				return nil, "", err
			}
			for _, p := range paths {
				recs, err := readRecords(p)
				if err != nil {
					return nil, "", fmt.Errorf("mutation base: %s: %w", filepath.ToSlash(p), err)
				}
				out = append(out, recs...)
			}
			if len(out) > 0 {
				return out, "datasets", nil
			}
		}
	}
	for _, f := range Sample().Files {
		if recs, err := splitRecords(f.Body); err == nil {
			out = append(out, recs...)
		}
	}
	for _, r := range builtinTemplates() {
		b, _ := json.Marshal(r)
		out = append(out, b)
	}
	return out, "builtin", nil
}

// Mutation kinds: what Mutants does to a value, as damaged or hostile logs
// do (issue 21).
const (
	MutRecase = iota // a string re-cased: upper, lower, or each letter at random
	MutWrap          // wrapped in an array: [v], [v, v], [other, v], [[v]]
	MutNull          // null, "", "-" or "none"
	MutNumber        // a number: 0, 123, -1.5, 1e3, or the string's length
	MutBool          // true or false
	MutObject        // nested in an object: {"value": v}
	MutDrop          // the key removed
	MutSteer         // another record's value of the same field (steers into rules' paths)
	numMutations
)

// MutationNames name the mutation kinds, by kind.
var MutationNames = [numMutations]string{"recase", "wrap", "null", "number", "bool", "object", "drop", "steer"}

// mutPaths are the fields mutants change: the index's keys first (each
// record changes one of them more often than the rest), then the string
// fields ECS.md §1 lists.
var mutPaths = [][]string{
	{"eventSource"}, {"eventName"}, {"userIdentity", "type"},
	{"eventVersion"}, {"eventTime"}, {"awsRegion"}, {"sourceIPAddress"}, {"userAgent"}, {"errorCode"},
	{"errorMessage"}, {"requestID"}, {"eventType"}, {"recipientAccountId"}, {"eventCategory"},
	{"userIdentity", "arn"}, {"userIdentity", "accountId"}, {"userIdentity", "userName"},
	{"userIdentity", "principalId"}, {"userIdentity", "accessKeyId"}, {"userIdentity", "invokedBy"},
	{"userIdentity", "sessionContext", "sessionIssuer", "type"}, {"userIdentity", "sessionContext", "sessionIssuer", "userName"},
	{"userIdentity", "sessionContext", "sessionIssuer", "arn"},
	{"userIdentity"}, {"requestParameters"}, {"responseElements"},
}

// indexPaths is how many of mutPaths lead: the index's keys.
const indexPaths = 3

// Mutants returns n records made from base (MutationBase), deterministic by
// seed: the same base, n and seed give the same records. Each is a base
// record with one to three mutations (MutRecase … MutSteer) of its fields,
// a field of the index (eventSource, eventName, userIdentity.type) in at
// least two of three, and an eventID "mut-NNNNNN" (N its number) so that
// findings name it. One in eight is written with white space (indented, or
// a space before each colon); the rest compact. Records are valid JSON
// objects; base records that are not objects are skipped.
func Mutants(base [][]byte, n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x21))
	var objs []map[string]any
	for _, b := range base {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if d.Decode(&m) == nil && m != nil {
			objs = append(objs, m)
		}
	}
	if len(objs) == 0 {
		return nil
	}
	out := make([][]byte, 0, n)
	for i := range n {
		m := deepCopy(objs[rng.IntN(len(objs))]).(map[string]any)
		k := 1 + rng.IntN(3)
		for j := range k {
			p := mutPaths[rng.IntN(len(mutPaths))]
			if j == 0 && rng.IntN(3) != 0 {
				p = mutPaths[rng.IntN(indexPaths)]
			}
			mutate(m, p, rng.IntN(numMutations), rng, objs)
		}
		m["eventID"] = fmt.Sprintf("mut-%06d", i)
		b, _ := json.Marshal(m)
		switch rng.IntN(16) {
		case 0:
			var ind bytes.Buffer
			_ = json.Indent(&ind, b, "", "  ")
			b = ind.Bytes()
		case 1:
			b = spaceColons(b)
		}
		out = append(out, b)
	}
	return out
}

// mutate applies mutation kind to the value at path in m, creating the
// path's objects when it is absent (a value then starts as a string).
func mutate(m map[string]any, path []string, kind int, rng *rand.Rand, objs []map[string]any) {
	parent := m
	for _, k := range path[:len(path)-1] {
		c, ok := parent[k].(map[string]any)
		if !ok {
			if kind == MutDrop {
				return
			}
			c = map[string]any{}
			parent[k] = c
		}
		parent = c
	}
	key := path[len(path)-1]
	v, present := parent[key]
	if !present {
		v = "x"
	}
	switch kind {
	case MutRecase:
		v = recase(v, rng)
	case MutWrap:
		switch rng.IntN(4) {
		case 0:
			v = []any{v}
		case 1:
			v = []any{v, v}
		case 2:
			v = []any{otherValue(path, rng, objs), v}
		default:
			v = []any{[]any{v}}
		}
	case MutNull:
		v = []any{nil, "", "-", "none"}[rng.IntN(4)]
	case MutNumber:
		if s, ok := v.(string); ok && rng.IntN(2) == 0 {
			v = json.Number(fmt.Sprint(len(s)))
		} else {
			v = json.Number([]string{"0", "123", "-1.5", "1e3"}[rng.IntN(4)])
		}
	case MutBool:
		v = rng.IntN(2) == 0
	case MutObject:
		v = map[string]any{"value": v}
	case MutDrop:
		delete(parent, key)
		return
	case MutSteer:
		v = otherValue(path, rng, objs)
	}
	parent[key] = v
}

// recase re-cases the strings in v (within arrays too).
func recase(v any, rng *rand.Rand) any {
	switch x := v.(type) {
	case string:
		switch rng.IntN(3) {
		case 0:
			return strings.ToUpper(x)
		case 1:
			return strings.ToLower(x)
		}
		b := []rune(x)
		for i, c := range b {
			if rng.IntN(2) == 0 {
				b[i] = []rune(strings.ToUpper(string(c)))[0]
			} else {
				b[i] = []rune(strings.ToLower(string(c)))[0]
			}
		}
		return string(b)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = recase(e, rng)
		}
		return out
	}
	return v
}

// otherValue returns the value at path of a random base record, or a
// string when that record has none.
func otherValue(path []string, rng *rand.Rand, objs []map[string]any) any {
	var v any = objs[rng.IntN(len(objs))]
	for _, k := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return "x"
		}
		if v, ok = o[k]; !ok {
			return "x"
		}
	}
	return deepCopy(v)
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = deepCopy(e)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = deepCopy(e)
		}
		return c
	}
	return v
}

// spaceColons writes compact JSON b with a space before and after each
// colon that ends a key.
func spaceColons(b []byte) []byte {
	var out bytes.Buffer
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case in && c == '\\':
			out.WriteByte(c)
			i++
			c = b[i]
		case c == '"':
			in = !in
		case !in && c == ':':
			out.WriteString(" : ")
			continue
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}
