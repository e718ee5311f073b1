package reader_test

import (
	"encoding/json"
	"errors"
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
		if err := lazy.ResetMembers(got, d.KeyOffsets()); err != nil {
			t.Fatalf("ResetMembers(%q, %v): %v", got, d.KeyOffsets(), err)
		}
		if err := whole.Reset(got); err != nil {
			t.Fatal(err)
		}
		n := 0
		root.GetObject().Visit(func(k []byte, _ *fastjson.Value) {
			n++
			if a, b := lazy.JSON(string(k)), whole.JSON(string(k)); a != b {
				t.Fatalf("%q: member %q reads %q, whole parse %q", got, k, a, b)
			}
		})
		if 3*n != len(d.KeyOffsets()) {
			t.Fatalf("%q: %d offsets reported, %d members in the record", got, len(d.KeyOffsets()), n)
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
		if err := lazy.ResetMembers(got2, d2.KeyOffsets()); err != nil {
			t.Fatalf("ResetMembers(%q, %v): %v", got2, d2.KeyOffsets(), err)
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
