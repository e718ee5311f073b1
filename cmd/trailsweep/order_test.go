package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// orderRules are aggRules and two per-record rules that match the same
// records, so that findings tie on time and differ by rule.
func orderRules(t *testing.T) string {
	rules := map[string]string{
		"record-a.toml": `[rule]
rule_id = "rec-a"
name = "Object read or instances described"
type = "query"
severity = "low"
risk_score = 21
query = "event.action: (GetObject or DescribeInstances)"
`,
		"record-b.toml": `[rule]
rule_id = "rec-b"
name = "Object read"
type = "query"
severity = "medium"
risk_score = 47
query = "event.action: GetObject"
`,
	}
	for name, body := range aggRules {
		rules[name] = body
	}
	return writeRules(t, rules)
}

// orderTree is aggTree with its first objects delivered twice under other
// names: the same records, at the same times, from another source.
func orderTree(t *testing.T) string {
	tree := aggTree(160, 30)
	for _, f := range tree.Files[:12] {
		tree.Files = append(tree.Files, gen.File{Key: strings.Replace(f.Key, "_A0", "_Z0", 1), Body: f.Body})
	}
	dir := t.TempDir()
	if err := gen.WriteTree(dir, tree.Files); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkOrder fails unless rows are in output order: event time, rule id,
// source URI, record index, details.
func checkOrder(t *testing.T, what string, rows []row) {
	t.Helper()
	cmpRow := func(a, b row) int {
		ta, _ := time.Parse(time.RFC3339Nano, a["event_time"])
		tb, _ := time.Parse(time.RFC3339Nano, b["event_time"])
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		for _, col := range []string{"rule_id", "source_uri"} {
			if c := strings.Compare(a[col], b[col]); c != 0 {
				return c
			}
		}
		ia, _ := strconv.ParseInt(a["record_index"], 10, 64)
		ib, _ := strconv.ParseInt(b["record_index"], 10, 64)
		if ia != ib {
			return int(ia - ib)
		}
		return strings.Compare(a["details"], b["details"])
	}
	for i := 1; i < len(rows); i++ {
		if cmpRow(rows[i-1], rows[i]) > 0 {
			t.Fatalf("%s: row %d (%s %s %s#%s) comes before row %d (%s %s %s#%s)", what,
				i-1, rows[i-1]["event_time"], rows[i-1]["rule_id"], rows[i-1]["source_uri"], rows[i-1]["record_index"],
				i, rows[i]["event_time"], rows[i]["rule_id"], rows[i]["source_uri"], rows[i]["record_index"])
		}
	}
}

// rowStrings renders rows in their order, for comparison.
func rowStrings(t *testing.T, rows []row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(map[string]string(r)))
	}
	return out
}

// TestOutputOrder: findings files (JSONL, CSV) are byte for byte the same
// whatever --workers, Parquet has the same rows in the same order, and
// rows are in (time, rule, source, index) order — per-record and aggregate
// findings interleaved, ties on time broken by rule and by source. A tiny
// --memory spills the sort and gives the same bytes; so does the table.
func TestOutputOrder(t *testing.T) {
	logs := orderTree(t)
	rules := orderRules(t)
	scanArgs := []string{"scan", logs, "--rules", rules, "--since", "2026-11-10", "--until", "2026-11-16", "-q"}
	run := func(workers, ext string, extra ...string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "findings."+ext)
		args := append(append(append([]string{}, scanArgs...), "--workers", workers, "--out", out), extra...)
		if code, _, stderr := cli(t, args...); code != 0 {
			t.Fatalf("--workers %s --out %s: exit %d\n%s", workers, out, code, stderr)
		}
		return out
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, ext := range []string{"jsonl", "csv", "parquet"} {
		first := run("1", ext)
		rows := readFindings(t, first)
		checkOrder(t, ext, rows)
		if ext == "jsonl" {
			perRule := map[string]int{}
			ties := 0
			for i, r := range rows {
				perRule[r["rule_id"]]++
				if i > 0 && r["event_time"] == rows[i-1]["event_time"] {
					ties++
				}
			}
			for _, id := range []string{"rec-a", "rec-b", "agg-new-terms", "agg-threshold", "agg-sequence"} {
				if perRule[id] < 3 {
					t.Errorf("%s: %d findings, want several (%v)", id, perRule[id], perRule)
				}
			}
			if ties < 10 {
				t.Errorf("%d rows share their time with the previous one, want many ties to order", ties)
			}
		}
		for _, w := range []string{"2", "8"} {
			other := run(w, ext)
			if ext == "parquet" {
				equalRows(t, "parquet --workers "+w, rowStrings(t, readFindings(t, other)), rowStrings(t, rows))
			} else if !bytes.Equal(read(other), read(first)) {
				t.Errorf("%s: --workers %s differs from --workers 1", ext, w)
			}
		}
		if ext == "parquet" {
			continue
		}
		// A budget whose eighth holds a fraction of the findings: the sort spills.
		sum := filepath.Join(t.TempDir(), "summary.json")
		spilled := run("8", ext, "--memory", "1MiB", "--summary", sum)
		if !bytes.Equal(read(spilled), read(first)) {
			t.Errorf("%s: --memory 1MiB differs from the default budget", ext)
		}
		if runs := num(summaryOf(t, sum), "spilled", "runs"); runs < 2 {
			t.Errorf("%s: %d runs spilled with --memory 1MiB", ext, runs)
		}
	}

	// The terminal table: the same lines whatever the worker count.
	var tables []string
	for _, w := range []string{"1", "8"} {
		code, stdout, stderr := cli(t, append(append([]string{}, scanArgs...), "--workers", w)...)
		if code != 0 {
			t.Fatalf("table --workers %s: exit %d\n%s", w, code, stderr)
		}
		tables = append(tables, stdout)
	}
	if tables[0] != tables[1] || strings.Count(tables[0], "\n") < 100 {
		t.Errorf("table: --workers 1 and 8 differ or are short (%d, %d lines)", strings.Count(tables[0], "\n"), strings.Count(tables[1], "\n"))
	}
}
