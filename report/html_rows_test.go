package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestHTMLRowBlocks checks the blocked rows and the first page kept for
// the metadata block: rows out of time order, some without a time, more
// than one block; the first page is the first htmlPageRows rows of a
// stable sort of every row by time (no time first), as the script sorts,
// each ending with its position among the rows (the script appends it to
// the others as it parses them).
func TestHTMLRowBlocks(t *testing.T) {
	h, err := NewHTML(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	const n = 2*htmlChunk + 123
	var f Finding
	for i := range n {
		syntheticFinding(&f, i)
		f.EventTime = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration((i*7919)%5000) * time.Second)
		if i%997 == 5 {
			f.EventTime = time.Time{}
		}
		if err := h.Add(&f); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := h.WriteTo(&b, nil, "t"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	var meta struct {
		Total int64
		Dict  [][]string
		First []json.RawMessage
	}
	m := regexp.MustCompile(`<script type="application/json" id="findings-meta">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil || json.Unmarshal([]byte(m[1]), &meta) != nil {
		t.Fatal("no metadata block")
	}
	var rows []json.RawMessage
	blocks := regexp.MustCompile(`<script type="application/json" class="findings-rows">(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(blocks) != 3 {
		t.Errorf("%d blocks of rows, want 3", len(blocks))
	}
	for _, bl := range blocks {
		var r []json.RawMessage
		if err := json.Unmarshal([]byte(bl[1]), &r); err != nil {
			t.Fatal(err)
		}
		for _, row := range r { // append the position, as the script does
			row = append(row[:len(row)-1:len(row)-1], []byte(fmt.Sprintf(",%d]", len(rows)))...)
			rows = append(rows, row)
		}
	}
	if meta.Total != n || len(rows) != n || len(meta.Dict) != htmlDictCols {
		t.Fatalf("total %d, %d rows, %d dictionaries", meta.Total, len(rows), len(meta.Dict))
	}
	key := func(r json.RawMessage) float64 {
		var v []any
		json.Unmarshal(r, &v)
		if v[0] == nil {
			return -1e300
		}
		return v[0].(float64)
	}
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b json.RawMessage) int {
		x, y := key(a), key(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	if len(meta.First) != htmlPageRows {
		t.Fatalf("first page of %d rows", len(meta.First))
	}
	for i := range meta.First {
		if !bytes.Equal(meta.First[i], sorted[i]) {
			t.Fatalf("first page row %d: %s, want %s", i, meta.First[i], sorted[i])
		}
	}
	// A row decodes back: rule name through the dictionary.
	var v []any
	json.Unmarshal(rows[3], &v)
	if got := meta.Dict[1][int(v[2].(float64))]; got != "Synthetic rule 03" {
		t.Errorf("row 3's rule is %q", got)
	}
}

// TestHTMLDictFull checks values written out once a column's dictionary is
// full: escaped, valid JSON, the strings themselves.
func TestHTMLDictFull(t *testing.T) {
	h, err := NewHTML(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var f Finding
	for i := range 4 {
		syntheticFinding(&f, i)
		f.UserAgent = string(rune('a'+i)) + string(bytes.Repeat([]byte("</script><b>\u2028"), 200<<10/16))
		if err := h.Add(&f); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := h.WriteTo(&b, nil, "t"); err != nil {
		t.Fatal(err)
	}
	bl := regexp.MustCompile(`<script type="application/json" class="findings-rows">(.*?)</script>`).FindStringSubmatch(b.String())
	if bl == nil {
		t.Fatal("no rows")
	}
	var rows [][]any
	if err := json.Unmarshal([]byte(bl[1]), &rows); err != nil {
		t.Fatal(err)
	}
	if _, ok := rows[0][10].(float64); !ok {
		t.Error("the first user agent is not in the dictionary")
	}
	if s, ok := rows[3][10].(string); !ok || s[0] != 'd' {
		t.Error("the last user agent is not written out")
	}
}
