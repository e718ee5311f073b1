package esql

import (
	"slices"
	"testing"
)

// TestGroupReset: a group emptied by Reset folds rows into the same state
// as the empty group Clone returns.
func TestGroupReset(t *testing.T) {
	pq, err := Parse(`FROM logs-aws.cloudtrail-* | STATS c = COUNT(*), v = VALUES(user.name), n = COUNT_DISTINCT(x), lo = MIN(@timestamp) BY event.action`)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(pq)
	if err != nil {
		t.Fatal(err)
	}
	recs := []string{
		`{"event.action":"A","user.name":"alice","x":1,"@timestamp":"2026-03-01T10:00:00Z"}`,
		`{"event.action":"A","user.name":["bob","carol"],"x":2.5,"@timestamp":"2026-03-01T09:00:00Z"}`,
	}
	fold := func(g *Group) string {
		for _, s := range recs {
			for _, row := range p.Prefix(docFromJSON(t, s), semanticsNow) {
				_, args := p.InputValues(row)
				g.Add(args)
			}
		}
		return string(g.AppendState(nil))
	}
	g, err := p.NewGroup([]string{EncodeValue("A")})
	if err != nil {
		t.Fatal(err)
	}
	want := fold(g.Clone())
	fold(g)
	g.Reset()
	if got := fold(g); got != want {
		t.Errorf("state after Reset %q, want %q", got, want)
	}
}

// TestKeepNames: KEEP of names only (keepNames) gives the row keep gives,
// duplicates and backquotes included, and its names are the row's own.
func TestKeepNames(t *testing.T) {
	pats := []string{"user.name", "`event.action`", "missing", "user.name", "c"}
	names, ok := plainNames(pats)
	if !ok || !slices.Equal(names, []string{"user.name", "event.action", "missing", "c"}) {
		t.Fatalf("plainNames = %q, %v", names, ok)
	}
	if _, ok := plainNames([]string{"a", "user.*"}); ok {
		t.Error("plainNames of a pattern with *: ok")
	}
	pq, err := Parse(`FROM logs-aws.cloudtrail-* | EVAL c = 1 | KEEP user.name, event.action, missing, c`)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(pq)
	if err != nil {
		t.Fatal(err)
	}
	rows := p.Prefix(docFromJSON(t, `{"user.name":"alice","event.action":["A","B"]}`), semanticsNow)
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	src := newSourceRow(docFromJSON(t, `{"user.name":"alice","event.action":["A","B"]}`), &env{p: p}, p.prefixCols)
	src.set("c", int64(1))
	got, want := rowsJSON([]*Row{keepNames(src, names)}), rowsJSON([]*Row{keep(src, pats)})
	if !slices.Equal(got, want) || !slices.Equal(got, rowsJSON(rows)) {
		t.Errorf("keepNames %v, keep %v, query %v", got, want, rowsJSON(rows))
	}
	out := keepNames(src, names)
	out.drop("user.name")
	if names[0] != "user.name" {
		t.Errorf("a row's drop changed the compiled names: %q", names)
	}
}
