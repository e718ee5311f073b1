package esql

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// mapDoc is a record given as ECS field → value(s).
type mapDoc map[string][]ecs.Value

func (d mapDoc) Values(f ecs.Field) []ecs.Value { return d[f.Name] }

// docFromJSON reads {"field": value or [values], …}.
func docFromJSON(t *testing.T, s string) mapDoc {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("record %s: %v", s, err)
	}
	d := mapDoc{}
	for k, v := range m {
		vs, ok := v.([]any)
		if !ok {
			vs = []any{v}
		}
		for _, x := range vs {
			switch y := x.(type) {
			case string:
				d[k] = append(d[k], ecs.Value{Kind: ecs.KindString, S: y})
			case bool:
				d[k] = append(d[k], ecs.Value{Kind: ecs.KindBool, B: y, S: fmt.Sprint(y)})
			case json.Number:
				f, _ := y.Float64()
				d[k] = append(d[k], ecs.Value{Kind: ecs.KindNumber, N: f, S: y.String()})
			}
		}
	}
	return d
}

// rowsJSON renders rows as one JSON line each: [[name, value], …].
func rowsJSON(rows []*Row) []string {
	var out []string
	for _, r := range rows {
		names, vals := r.Columns()
		pairs := make([][2]any, len(names))
		for i := range names {
			pairs[i] = [2]any{names[i], JSON(vals[i])}
		}
		b, _ := json.Marshal(pairs)
		out = append(out, string(b))
	}
	return out
}

var semanticsNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestSemantics runs queries over small records and compares the rows,
// each printed as [[column, value], …]. Cases marked "docs" follow the
// examples of Elastic's ES|QL reference.
func TestSemantics(t *testing.T) {
	const from = "FROM logs-aws.cloudtrail-* "
	cases := []struct {
		name, query string
		recs        []string
		want        []string
	}{
		// WHERE: three-valued logic; null and multi-valued operands.
		{"where eq", "| WHERE a == \"x\" | KEEP a", []string{`{"a":"x"}`, `{"a":"y"}`, `{}`, `{"a":["x","y"]}`},
			[]string{`[["a","x"]]`}},
		{"where not null", "| WHERE NOT a == \"x\" | KEEP a", []string{`{"a":"x"}`, `{"a":"y"}`, `{}`},
			[]string{`[["a","y"]]`}},
		{"or with null", "| WHERE a == \"x\" OR b == 1 | KEEP a, b", []string{`{"b":1}`, `{"a":"z"}`},
			[]string{`[["a",null],["b",1]]`}},
		{"and false wins over null", "| EVAL c = a == \"x\" AND b == 1, d = a == \"x\" OR b == 1 | KEEP c, d", []string{`{"b":2}`, `{"b":1}`},
			[]string{`[["c",false],["d",null]]`, `[["c",null],["d",true]]`}},
		{"is null", "| WHERE a IS NULL | EVAL n = b IS NOT NULL | KEEP n", []string{`{"a":"x"}`, `{"b":["p","q"]}`, `{}`},
			[]string{`[["n",true]]`, `[["n",false]]`}},
		{"in", "| EVAL i = a IN (\"x\", \"y\"), j = a NOT IN (\"x\", null), k = true IN (STARTS_WITH(a, \"y\"), a == \"q\") | KEEP i, j, k",
			[]string{`{"a":"x"}`, `{"a":"y"}`, `{"a":"z"}`, `{}`},
			[]string{`[["i",true],["j",false],["k",false]]`, `[["i",true],["j",null],["k",true]]`, `[["i",false],["j",null],["k",false]]`, `[["i",null],["j",null],["k",null]]`}},
		// LIKE and RLIKE match the whole string (docs: ?b* matches "Eberhardt"? no: one character, then b).
		{"like docs", "| WHERE first_name LIKE \"\"\"?b*\"\"\" | KEEP first_name", []string{`{"first_name":"Ebbe"}`, `{"first_name":"Eberhardt"}`, `{"first_name":"Abe"}`, `{"first_name":"Bob"}`},
			[]string{`[["first_name","Ebbe"]]`, `[["first_name","Eberhardt"]]`, `[["first_name","Abe"]]`}},
		{"like whole string and escapes", "| EVAL l = a LIKE \"ab\", m = a LIKE \"a\\\\*\", n = a NOT LIKE \"*b*\" | KEEP l, m, n", []string{`{"a":"abc"}`, `{"a":"a*"}`, `{"a":["ab","ab"]}`},
			[]string{`[["l",false],["m",false],["n",false]]`, `[["l",false],["m",true],["n",true]]`, `[["l",null],["m",null],["n",null]]`}},
		{"rlike", "| EVAL r = a RLIKE \"\"\"[a-c]+\"\"\", s = a RLIKE \"\"\".*\\\"x\\\".*\"\"\" | KEEP r, s", []string{`{"a":"abc"}`, `{"a":"abcd"}`, `{"a":"{\"x\":1}"}`},
			[]string{`[["r",true],["s",false]]`, `[["r",false],["s",false]]`, `[["r",false],["s",true]]`}},
		// EVAL replaces a column and moves it last; arithmetic.
		{"eval arithmetic", "| EVAL x = a + 1, y = a / 2, z = TO_DOUBLE(a) / 4, w = a * b, x = x * 10 | KEEP x, y, z, w", []string{`{"a":5}`, `{"a":5,"b":[1,2]}`},
			[]string{`[["x",60],["y",2],["z",1.25],["w",null]]`, `[["x",60],["y",2],["z",1.25],["w",null]]`}},
		{"long overflow is null", "| EVAL x = a * a | KEEP x", []string{`{"a":4294967296}`}, []string{`[["x",null]]`}},
		// Functions.
		{"case docs", "| EVAL type = CASE(languages <= 1, \"monolingual\", languages <= 2, \"bilingual\", \"polyglot\") | KEEP type",
			[]string{`{"languages":1}`, `{"languages":2}`, `{"languages":5}`, `{}`},
			[]string{`[["type","monolingual"]]`, `[["type","bilingual"]]`, `[["type","polyglot"]]`, `[["type","polyglot"]]`}},
		{"case without else", "| EVAL c = CASE(a == 1, \"one\") | KEEP c", []string{`{"a":2}`}, []string{`[["c",null]]`}},
		{"coalesce docs", "| EVAL c = COALESCE(a, b) | KEEP c", []string{`{"b":"b"}`, `{"a":"a","b":"b"}`, `{}`},
			[]string{`[["c","b"]]`, `[["c","a"]]`, `[["c",null]]`}},
		{"concat", "| EVAL c = CONCAT(a, \" - \", b) | KEEP c", []string{`{"a":"x","b":"y"}`, `{"a":"x"}`, `{"a":["x","z"],"b":"y"}`},
			[]string{`[["c","x - y"]]`, `[["c",null]]`, `[["c",null]]`}},
		{"starts ends lower", "| EVAL s = STARTS_WITH(a, \"Desc\"), e = ENDS_WITH(a, \".js\"), l = TO_LOWER(a) | KEEP s, e, l", []string{`{"a":"DescribeX.js"}`, `{"a":["a","b"]}`},
			[]string{`[["s",true],["e",true],["l","describex.js"]]`, `[["s",null],["e",null],["l",null]]`}},
		{"to_string keeps multi-values", "| EVAL s = TO_STRING(a), d = TO_DOUBLE(b) | KEEP s, d", []string{`{"a":[1,2],"b":"2.5"}`, `{"a":true,"b":"x"}`},
			[]string{`[["s",["1","2"]],["d",2.5]]`, `[["s","true"],["d",null]]`}},
		{"mv_count mv_first docs", "| EVAL c = MV_COUNT(a), f = MV_FIRST(a) | KEEP c, f", []string{`{"a":["foo","zoo","bar"]}`, `{}`},
			[]string{`[["c",3],["f","foo"]]`, `[["c",null],["f",null]]`}},
		{"from_base64 docs", "| EVAL d = FROM_BASE64(a) | KEEP d", []string{`{"a":"ZWxhc3RpYw=="}`, `{"a":"%%"}`},
			[]string{`[["d","elastic"]]`, `[["d",null]]`}},
		{"dates", "| EVAL t = DATE_TRUNC(30 seconds, @timestamp), h = DATE_TRUNC(1 hour, @timestamp), d = DATE_DIFF(\"seconds\", @timestamp, NOW()), r = @timestamp >= NOW() - 1 hour | KEEP t, h, d, r",
			[]string{`{"@timestamp":"2026-03-01T11:30:45.123Z"}`, `{"@timestamp":"2026-02-01T00:00:00Z"}`},
			[]string{`[["t","2026-03-01T11:30:30.000Z"],["h","2026-03-01T11:00:00.000Z"],["d",1754],["r",true]]`, `[["t","2026-02-01T00:00:00.000Z"],["h","2026-02-01T00:00:00.000Z"],["d",2462400],["r",false]]`}},
		{"kql", "| WHERE KQL(\"\"\"event.action : Get* and not user.name : bob\"\"\") | KEEP event.action", []string{`{"event.action":"GetObject","user.name":"alice"}`, `{"event.action":"GetObject","user.name":"bob"}`, `{"event.action":"PutObject"}`},
			[]string{`[["event.action","GetObject"]]`}},
		{"multi-valued operands", "| EVAL i = a IN (\"x\"), c = COALESCE(a, \"z\"), u = TO_UPPER(a), k = CASE(a == \"x\", 1, 2) | KEEP i, c, u, k", []string{`{"a":["x","y"]}`},
			[]string{`[["i",null],["c",["x","y"]],["u",null],["k",2]]`}},
		{"date_diff units and sign", "| EVAL m = DATE_DIFF(\"minutes\", NOW(), @timestamp), h = DATE_DIFF(\"hour\", @timestamp, NOW()) | KEEP m, h",
			[]string{`{"@timestamp":"2026-03-01T09:29:59Z"}`}, []string{`[["m",-150],["h",2]]`}},
		{"sum and count of multi-values", "| STATS s = SUM(a), c = COUNT(a), n = COUNT(*)", []string{`{"a":[1,2,3]}`, `{"a":4}`, `{}`},
			[]string{`[["s",10],["c",4],["n",3]]`}},
		// GROK and DISSECT: no match gives null columns.
		{"grok named group", "| GROK p \"\"\"instanceId=(?<Esql.id>[^,}\\]]+)\"\"\" | KEEP Esql.id", []string{`{"p":"{instancesSet={items=[{instanceId=i-123}]}}"}`, `{"p":"x"}`, `{}`},
			[]string{`[["Esql.id","i-123"]]`, `[["Esql.id",null]]`, `[["Esql.id",null]]`}},
		{"grok standard pattern", "| GROK p \"accessKeyId=%{NOTSPACE:k},\" | KEEP k", []string{`{"p":"{credentials={accessKeyId=ASIAX, x=1}}"}`},
			[]string{`[["k","ASIAX"]]`}},
		// A GROK over a source field matches when its columns are read: as of
		// the GROK, whatever later commands do to the field.
		{"grok then field replaced", "| GROK p \"k=%{WORD:k}\" | EVAL p = \"k=zz\", k2 = CONCAT(k, \"!\") | DROP p | KEEP k, k2", []string{`{"p":"k=ab"}`, `{"p":"x"}`},
			[]string{`[["k","ab"],["k2","ab!"]]`, `[["k",null],["k2",null]]`}},
		{"grok over a computed column", "| EVAL p = CONCAT(p, \"c\") | GROK p \"k=%{WORD:k}\" | KEEP k", []string{`{"p":"k=ab"}`},
			[]string{`[["k","abc"]]`}},
		{"grok then mv_expand of its input", "| GROK p \"k=%{WORD:k}\" | MV_EXPAND p | STATS v = VALUES(k), n = COUNT(*) BY p", []string{`{"p":["k=ab","k=cd"]}`},
			[]string{`[["v",null],["n",1],["p","k=ab"]]`, `[["v",null],["n",1],["p","k=cd"]]`}},
		{"grok columns unread until the end", "| GROK p \"k=%{WORD:k}\"", []string{`{"p":"k=ab"}`},
			[]string{`[["p","k=ab"],["k","ab"]]`}},
		{"grok typed docs", "| GROK a \"%{NUMBER:num:int} %{WORD:w}\" | KEEP num, w", []string{`{"a":"42 foo"}`}, []string{`[["num",42],["w","foo"]]`}},
		{"dissect docs", "| DISSECT a \"\"\"%{date} - %{msg} - %{ip}\"\"\" | KEEP date, msg, ip", []string{`{"a":"2023-01-23T12:15:00.000Z - some text - 127.0.0.1"}`, `{"a":"nothing"}`},
			[]string{`[["date","2023-01-23T12:15:00.000Z"],["msg","some text"],["ip","127.0.0.1"]]`, `[["date",null],["msg",null],["ip",null]]`}},
		{"dissect skip and append", "| DISSECT a \"{%{?k}=%{v}, %{+v}=%{}}\" APPEND_SEPARATOR = \"/\" | KEEP v", []string{`{"a":"{serviceCode=ec2, quotaCode=L-1}"}`},
			[]string{`[["v","ec2/quotaCode"]]`}},
		// STATS: aggregates then groups; multi-valued groups; nulls.
		{"stats", "| STATS n = COUNT(*), c = COUNT(b), d = COUNT_DISTINCT(b), v = VALUES(b), lo = MIN(b), hi = MAX(b), s = SUM(x) BY a",
			[]string{`{"a":"g1","b":"p","x":1}`, `{"a":"g1","b":["q","p"],"x":2}`, `{"a":"g2","x":2.5}`, `{"b":"z"}`},
			[]string{`[["n",2],["c",3],["d",2],["v",["p","q"]],["lo","p"],["hi","q"],["s",3],["a","g1"]]`,
				`[["n",1],["c",0],["d",0],["v",null],["lo",null],["hi",null],["s",2.5],["a","g2"]]`,
				`[["n",1],["c",1],["d",1],["v","z"],["lo","z"],["hi","z"],["s",null],["a",null]]`}},
		{"stats multi-valued group", "| STATS n = COUNT(*) BY a", []string{`{"a":["x","y"]}`, `{"a":"x"}`},
			[]string{`[["n",2],["a","x"]]`, `[["n",1],["a","y"]]`}},
		{"stats filter and eval by", "| STATS n = COUNT(*) WHERE b == 1, m = MIN(@timestamp) WHERE b == 2 BY w = DATE_TRUNC(1 hour, @timestamp)",
			[]string{`{"b":1,"@timestamp":"2026-03-01T10:10:00Z"}`, `{"b":2,"@timestamp":"2026-03-01T10:20:00Z"}`, `{"b":3,"@timestamp":"2026-03-01T11:20:00Z"}`},
			[]string{`[["n",1],["m","2026-03-01T10:20:00.000Z"],["w","2026-03-01T10:00:00.000Z"]]`, `[["n",0],["m",null],["w","2026-03-01T11:00:00.000Z"]]`}},
		{"stats without by over nothing", "| WHERE false | STATS n = COUNT(*)", []string{`{}`}, []string{`[["n",0]]`}},
		{"max of booleans", "| STATS m = MAX(b), s = SUM(CASE(b, 1, 0))", []string{`{"b":false}`, `{"b":true}`}, []string{`[["m",true],["s",1]]`}},
		// KEEP, DROP, RENAME, SORT, LIMIT, MV_EXPAND.
		{"keep patterns", "| KEEP user_agent.*, a, c", []string{`{"a":1,"user_agent.original":"x","user_agent.name":"n","event.action":"A"}`},
			[]string{`[["user_agent.original","x"],["a",1],["c",null]]`}},
		{"drop rename", "| EVAL e = 1, f = 2 | DROP e | RENAME f AS g | KEEP *", []string{`{}`}, []string{`[["g",2]]`}},
		{"sort limit", "| SORT a DESC NULLS LAST, b | LIMIT 3 | KEEP a, b", []string{`{"a":1,"b":"y"}`, `{"b":"q"}`, `{"a":2}`, `{"a":1,"b":"x"}`},
			[]string{`[["a",2],["b",null]]`, `[["a",1],["b","x"]]`, `[["a",1],["b","y"]]`}},
		{"mv_expand docs", "| MV_EXPAND a | KEEP a", []string{`{"a":["foo","bar"]}`, `{}`}, []string{`[["a","foo"]]`, `[["a","bar"]]`, `[["a",null]]`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse(from + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Compile(q)
			if err != nil {
				t.Fatal(err)
			}
			var docs []Doc
			for _, s := range tc.recs {
				docs = append(docs, docFromJSON(t, s))
			}
			got := rowsJSON(p.Run(docs, semanticsNow))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%s\ngot:\n%s\nwant:\n%s", tc.query, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestGroupMerge: a group folded from partial groups (as executions merge
// their segments) equals the group folded from every row.
func TestGroupMerge(t *testing.T) {
	q, err := Parse(`FROM logs-aws.cloudtrail-* | STATS n = COUNT(*), c = COUNT(b), d = COUNT_DISTINCT(b), v = VALUES(b), lo = MIN(x), hi = MAX(x), s = SUM(x), f = SUM(y) WHERE x > 1`)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(q)
	if err != nil {
		t.Fatal(err)
	}
	recs := []string{`{"b":"p","x":1,"y":0.5}`, `{"b":["q","p"],"x":2}`, `{"x":4503599627370496,"y":1.5}`, `{"b":"z","x":-4}`, `{"x":1000}`}
	whole, _ := p.NewGroup(nil)
	parts := []*Group{}
	for i, s := range recs {
		rows := p.Prefix(docFromJSON(t, s), semanticsNow)
		_, args := p.Inputs(rows[0])
		dec, err := DecodeArgs(args)
		if err != nil {
			t.Fatal(err)
		}
		whole.Add(dec)
		if i%2 == 0 {
			g, _ := p.NewGroup(nil)
			parts = append(parts, g)
		}
		parts[len(parts)-1].Add(dec)
	}
	merged := whole.Clone()
	for _, g := range parts {
		merged.Merge(g)
	}
	got := rowsJSON(p.Finish(merged, semanticsNow))
	want := rowsJSON(p.Finish(whole, semanticsNow))
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Errorf("merged %s, want %s", got, want)
	}
	if w := `[["n",5],["c",4],["d",3],["v",["p","q","z"]],["lo",-4],["hi",4503599627370496],["s",4503599627371495],["f",1.5]]`; want[0] != w {
		t.Errorf("whole group %s, want %s", want[0], w)
	}
}
