package reader_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/valyala/fastjson"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/reader"
)

// after is the record every grammar case is followed by: a record with bad
// JSON is skipped, and the one after it is still read.
const after = `{"eventVersion":"after"}`

// TestBadRecordGrammar: a record whose brackets and strings are sound but
// whose JSON is not is skipped with ErrBadRecord, naming the reason, and
// the decoder reads on.
func TestBadRecordGrammar(t *testing.T) {
	for _, rec := range []string{
		`{"a" 1}`, `{"a":01}`, `{"a":1,}`, `{"a":[1,]}`, `{"a":tru}`, `{,"a":1}`,
		`{"a":1 "b":2}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":.5}`, `{"a":+1}`,
		`{"a"::1}`, `{"a":1:2}`, `{1:2}`, `{"a":[1 2]}`, `{"a":{"b"}}`, `{"a":nulll}`,
		`{"a":x}`, `{"a":[,]}`, `{"a":"b","c"}`, `{"a":{}"b"}`,
	} {
		for name, r := range map[string]func() io.Reader{
			"whole": func() io.Reader { return strings.NewReader(`{"Records":[` + rec + `,` + after + `]}`) },
			"bytes": func() io.Reader {
				return iotest.OneByteReader(strings.NewReader(`{"Records":[` + rec + `,` + after + `]}`))
			},
		} {
			d, err := reader.NewDecoder(r(), reader.DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Next()
			if !errors.Is(err, reader.ErrBadRecord) || !reader.Skipped(err) {
				t.Errorf("%s %s: got %q, %v; want ErrBadRecord", name, rec, got, err)
				continue
			}
			got, err = d.Next()
			if err != nil || string(got) != after {
				t.Errorf("%s %s: the next record: %q, %v", name, rec, got, err)
			}
		}
	}
}

// FuzzRecordGrammar: the decoder accepts a record exactly when it is a JSON
// object (as encoding/json has it, but for what neither checks within
// strings); the keys it reports are the record's top-level keys, so that
// ecs.Record.ResetMembers reads each member as a whole parse does.
func FuzzRecordGrammar(f *testing.F) {
	for _, s := range []string{r1, r2, r3, `{"a" 1}`, `{"a":[1,]}`, `{"a":-0.5e+3,"b":[true,false,null]}`, `{ "a" : { "b" : [ 1 , 2 ] } , "c" : "d" }`, `{"a\u0062":1,"ab":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		if !strings.HasPrefix(strings.TrimLeft(rec, " \t\r\n"), "{") || strings.Count(rec, "{")+strings.Count(rec, "[") > 250 || !balanced(strings.Trim(rec, " \t\r\n")) {
			return // only objects are records; deep nesting and broken brackets are other tests'
		}
		in := `{"Records":[` + rec + `,` + after + `]}`
		d, err := reader.NewDecoder(strings.NewReader(in), reader.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Next()
		if errors.Is(err, reader.ErrBadRecord) {
			if json.Valid([]byte(rec)) {
				t.Fatalf("%q is valid JSON but the decoder says %v", rec, err)
			}
			if next, err := d.Next(); err != nil || string(next) != after {
				t.Fatalf("%q: the next record: %q, %v", rec, next, err)
			}
			return
		}
		if err != nil {
			if json.Valid([]byte(rec)) && !reader.Skipped(err) {
				t.Fatalf("%q is valid JSON but the decoder fails: %v", rec, err)
			}
			return // unbalanced: the stream itself is broken
		}
		trimmed := strings.Trim(rec, " \t\r\n")
		if string(got) != trimmed {
			return // rec was not one value: the splitter took its first
		}
		var p fastjson.Parser
		root, perr := p.ParseBytes(got)
		if perr != nil {
			t.Fatalf("the decoder accepted %q, which fastjson refuses: %v", got, perr)
		}
		if jerr := json.Unmarshal(got, new(any)); jerr != nil && !strings.Contains(jerr.Error(), "string") && !strings.Contains(jerr.Error(), "character") {
			t.Fatalf("the decoder accepted %q, which encoding/json refuses: %v", got, jerr)
		}
		lazy, whole := ecs.NewRecord(ecs.Options{}), ecs.NewRecord(ecs.Options{})
		if err := lazy.ResetMembers(got, d.Index()); err != nil {
			t.Fatalf("ResetMembers(%q, %v): %v", got, d.Index(), err)
		}
		if err := whole.Reset(got); err != nil {
			t.Fatal(err)
		}
		root.GetObject().Visit(func(k []byte, _ *fastjson.Value) {
			if a, b := lazy.JSON(string(k)), whole.JSON(string(k)); a != b {
				t.Fatalf("%q: member %q reads %q, whole parse %q", got, k, a, b)
			}
		})
		// Every path through objects reads the same values either way.
		var paths [][]string
		if n := objectPaths(root, nil, &paths); n*reader.IndexWidth != len(d.Index()) {
			t.Fatalf("%q: %d index entries, %d members in objects", got, len(d.Index())/reader.IndexWidth, n)
		}
		for _, p := range paths {
			if a, b := rawTexts(lazy, p), rawTexts(whole, p); a != b {
				t.Fatalf("%q: %q reads %s member by member, %s whole", got, p, a, b)
			}
			if a, b := lazy.Str(p...), whole.Str(p...); a != b {
				t.Fatalf("%q: Str(%q) reads %q member by member, %q whole", got, p, a, b)
			}
		}
		if lazy.Err() != nil {
			t.Fatalf("%q: %v", got, lazy.Err())
		}

		// The same members in a record that is a top-level object (NDJSON),
		// which the splitter reads member by member.
		if root.GetObject().Len() == 0 || strings.Contains(trimmed, "\\") {
			return
		}
		obj := `{"eventVersion":"x",` + strings.TrimLeft(trimmed[1:], " \t\r\n")
		d2, err := reader.NewDecoder(strings.NewReader(obj+"\n"), reader.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got2, err := d2.Next()
		if err != nil || string(got2) != obj {
			t.Fatalf("%q as a top-level object: %q, %v", obj, got2, err)
		}
		if err := lazy.ResetMembers(got2, d2.Index()); err != nil {
			t.Fatalf("ResetMembers(%q, %v): %v", got2, d2.Index(), err)
		}
		if want := 1 + objectPaths(root, nil, new([][]string)); want*reader.IndexWidth != len(d2.Index()) {
			t.Fatalf("%q: %d index entries, %d members in objects", got2, len(d2.Index())/reader.IndexWidth, want)
		}
		for _, p := range paths {
			if p[0] == "eventVersion" {
				continue
			}
			if a, b := rawTexts(lazy, p), rawTexts(whole, p); a != b {
				t.Fatalf("%q: %q reads %s member by member, %s whole", got2, p, a, b)
			}
		}
		root.GetObject().Visit(func(k []byte, _ *fastjson.Value) {
			if k := string(k); k != "eventVersion" {
				if a, b := lazy.JSON(k), whole.JSON(k); a != b {
					t.Fatalf("%q: member %q reads %q, whole parse %q", got2, k, a, b)
				}
			}
		})
	})
}

// balanced reports whether s is one bracketed value: its strings closed and
// its brackets matched, the first closing only at its end.
func balanced(s string) bool {
	var stack []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			if i >= len(s) {
				return false
			}
		case '{', '[':
			stack = append(stack, c+2)
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != c {
				return false
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return i == len(s)-1
			}
		}
	}
	return false
}

// objectPaths appends to out the path of every member of v reached through
// objects only, and returns how many there are (the index's entries).
func objectPaths(v *fastjson.Value, prefix []string, out *[][]string) int {
	if v.Type() != fastjson.TypeObject {
		return 0
	}
	n := 0
	v.GetObject().Visit(func(k []byte, c *fastjson.Value) {
		p := append(append([]string(nil), prefix...), string(k))
		*out = append(*out, p)
		n += 1 + objectPaths(c, p, out)
	})
	return n
}

func rawTexts(r *ecs.Record, path []string) string {
	var b strings.Builder
	r.RawValues(path, func(v ecs.RawValue) bool {
		fmt.Fprintf(&b, "%d:%q;", v.Kind(), v.Text())
		return true
	})
	return b.String()
}
