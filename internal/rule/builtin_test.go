package rule

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
)

const seedID = "5619545b-9738-408c-bdb5-a2807e19133e"

func TestBuiltin(t *testing.T) {
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rules); n < 6 || n > 9 {
		t.Errorf("%d built-in rules, want the seed plus 5 to 8", n)
	}
	ids := map[string]bool{}
	for _, r := range rules {
		if ids[r.ID] {
			t.Errorf("duplicate built-in id %s", r.ID)
		}
		ids[r.ID] = true
		if !r.Supported || !r.Runnable() || r.Reason != "" {
			t.Errorf("%s: supported %v runnable %v reason %q", r.Path, r.Supported, r.Runnable(), r.Reason)
		}
		if r.Source != SourceBuiltin || !strings.HasPrefix(r.Path, "builtin:") || strings.HasSuffix(r.Path, ".toml") {
			t.Errorf("%s: source %q", r.Path, r.Source)
		}
		if r.Description == "" || r.Note == "" || len(r.FalsePositives) == 0 || len(r.Tactics()) == 0 || len(r.Techniques()) == 0 {
			t.Errorf("%s: incomplete (description, note, false positives, ATT&CK mapping)", r.Path)
		}
		if r.RiskScore < 1 || r.RiskScore > 100 {
			t.Errorf("%s: risk score %d", r.Path, r.RiskScore)
		}
	}
	if _, err := NewSet(rules); err != nil {
		t.Errorf("NewSet(builtins): %v", err)
	}
}

func builtinByID(t *testing.T, id string) *Rule {
	t.Helper()
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no built-in rule %s", id)
	return nil
}

func TestBuiltinSeedMapping(t *testing.T) {
	r := builtinByID(t, seedID)
	if r.Severity != "low" || r.RiskScore != 21 || r.Type != "query" || r.Language != "kuery" {
		t.Errorf("seed: severity %q risk %d type %q language %q", r.Severity, r.RiskScore, r.Type, r.Language)
	}
	if got, want := r.Tactics(), []string{"Persistence", "Execution", "Defense Evasion"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Tactics() = %q, want %q", got, want)
	}
	if got, want := r.Techniques(), []string{"T1546", "T1648", "T1578", "T1578.005"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Techniques() = %q, want %q", got, want)
	}
	var tacticIDs []string
	for _, th := range r.Threats {
		tacticIDs = append(tacticIDs, th.Tactic.ID)
	}
	if got, want := tacticIDs, []string{"TA0003", "TA0002", "TA0005"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tactic ids %q, want %q", got, want)
	}
}

// TestBuiltinSeedAgainstElastic compares the built-in seed rule with
// Elastic's file: same detection, different words.
func TestBuiltinSeedAgainstElastic(t *testing.T) {
	path := filepath.Join(gen.SharedDir(t, "rules", "elastic-aws"), "persistence_lambda_event_source_mapping_created.toml")
	el, lerr := Parse(path, mustRead(t, path), SourceElastic)
	if lerr != nil {
		t.Fatal(lerr)
	}
	b := builtinByID(t, seedID)
	if el.ID != b.ID || el.Query != b.Query || el.Severity != b.Severity || el.RiskScore != b.RiskScore || el.Name != b.Name {
		t.Errorf("built-in seed differs from Elastic's: id %q/%q severity %q/%q risk %d/%d query\n%q\n%q",
			b.ID, el.ID, b.Severity, el.Severity, b.RiskScore, el.RiskScore, b.Query, el.Query)
	}
	if !reflect.DeepEqual(el.Techniques(), b.Techniques()) || !reflect.DeepEqual(el.Tactics(), b.Tactics()) {
		t.Errorf("ATT&CK mapping differs: %q %q vs %q %q", b.Tactics(), b.Techniques(), el.Tactics(), el.Techniques())
	}
	if b.Description == el.Description || b.Note == el.Note || reflect.DeepEqual(b.FalsePositives, el.FalsePositives) {
		t.Error("built-in seed copies Elastic's prose; it must be in trailsweep's own words")
	}
	// No long run of Elastic's wording either.
	for _, pair := range [][2]string{{b.Description, el.Description}, {b.Note, el.Note}} {
		if s := sharedRun(pair[0], pair[1], 8); s != "" {
			t.Errorf("built-in seed shares the phrase %q with Elastic's text", s)
		}
	}
}

// sharedRun returns the first run of n words of a that also occurs in b,
// "" when there is none.
func sharedRun(a, b string, n int) string {
	aw, bw := strings.Fields(a), " "+strings.Join(strings.Fields(b), " ")+" "
	for i := 0; i+n <= len(aw); i++ {
		s := strings.Join(aw[i:i+n], " ")
		if strings.Contains(bw, " "+s+" ") {
			return s
		}
	}
	return ""
}

func TestOverlay(t *testing.T) {
	b1, b2 := &Rule{ID: "a", Path: "builtin:a"}, &Rule{ID: "b", Path: "builtin:b"}
	f1, f2 := &Rule{ID: "b", Path: "rules/b.toml"}, &Rule{ID: "c", Path: "rules/c.toml"}
	got := Overlay([]*Rule{b1, b2}, []*Rule{f1, f2})
	if want := []*Rule{f1, f2, b1}; !reflect.DeepEqual(got, want) {
		t.Errorf("Overlay = %v, want %v", got, want)
	}
}
