package rule

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDescribe(t *testing.T) {
	rules := []*Rule{
		{ID: "3", Name: "Zeta", Source: "elastic", Type: "eql", Language: "eql", Severity: "low", Reason: "eql rules are not supported yet"},
		{ID: "2", Name: "Alpha", Source: "elastic", Type: "query", Language: "kuery", Severity: "high", Supported: true},
		{ID: "1", Name: "Mid", Source: "builtin", Type: "query", Language: "kuery", Severity: "medium", Supported: true},
		{ID: "0", Name: "Alpha", Source: "elastic", Type: "query", Language: "kuery", Severity: "high", Supported: true},
	}
	got := Describe(rules)
	var ids []string
	for _, i := range got {
		ids = append(ids, i.ID)
	}
	if want := []string{"1", "0", "2", "3"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("order %q, want %q", ids, want)
	}
	b, err := json.Marshal(got[3])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"3","name":"Zeta","source":"elastic","type":"eql","language":"eql","severity":"low","supported":false,"reason":"eql rules are not supported yet"}`
	if string(b) != want {
		t.Errorf("json %s, want %s", b, want)
	}
}
