package eql

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/ecs"
)

// TestCallConstantArgs: calls whose arguments after the first are
// constants (precomputed by newCallCond) match as the general path does,
// null arguments included.
func TestCallConstantArgs(t *testing.T) {
	rec := ecs.NewRecord(ecs.Options{})
	if err := rec.Reset([]byte(`{"eventSource":"s3.amazonaws.com","eventName":"GetObject","userAgent":"Boto3/1.0 distrib#kali","awsRegion":"us-east-1"}`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want bool
	}{
		{`any where stringContains(user_agent.original, "kali")`, true},
		{`any where stringContains(user_agent.original, "KALI")`, false},
		{`any where stringContains~(user_agent.original, "KALI")`, true},
		{`any where stringContains(user_agent.original, null)`, false},
		{`any where startsWith(user_agent.original, "Boto3")`, true},
		{`any where endsWith(user_agent.original, "kali")`, true},
		{`any where endsWith(user_agent.original, "boto3")`, false},
		{`any where wildcard(user_agent.original, null, "*#kali")`, true},
		{`any where wildcard(user_agent.original, "x*", "y*")`, false},
		{`any where stringContains(user_agent.original, cloud.region)`, false},
		{`any where stringContains(user_agent.original, event.provider)`, false},
		{`any where stringContains(event.provider, cloud.region)`, false},
		{`any where stringContains("s3.amazonaws.com.us-east-1", cloud.region)`, true},
	} {
		q, err := Parse(c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		m, err := Compile(q.Event, "")
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if got := m.Match(rec); got != c.want {
			t.Errorf("%s: %v, want %v", c.q, got, c.want)
		}
	}
}

// TestMergeCalls: a disjunction of calls of one function on one field with
// constant arguments compiles to one call, and matches as the disjunction
// does, over records whose fields hold each needle or none.
func TestMergeCalls(t *testing.T) {
	q, err := Parse(`any where stringContains(user_agent.original, "kali") or stringContains(user_agent.original, "Truffle") or endsWith(user_agent.original, "x") or stringContains(source.address, "10.") or stringContains~(user_agent.original, "CURL") or startsWith(user_agent.original, "aws") or stringContains(user_agent.original, "trufflehog")`)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(q.Event, "")
	if err != nil {
		t.Fatal(err)
	}
	or, ok := m.root.(orCond)
	if !ok || len(or) != 5 { // the three case-sensitive stringContains on user_agent.original are one call
		t.Fatalf("compiled to %#v, want a disjunction of 5 terms", m.root)
	}
	if c := or[0].(*callCond); c.name != "stringcontains" || len(c.rest) != 3 {
		t.Errorf("first term %s with %q, want stringcontains with three needles", c.name, c.rest)
	}
	want := func(ua, ip string) bool {
		return strings.Contains(ua, "kali") || strings.Contains(ua, "Truffle") || strings.HasSuffix(ua, "x") ||
			strings.Contains(ip, "10.") || strings.Contains(strings.ToLower(ua), "curl") || strings.HasPrefix(ua, "aws") ||
			strings.Contains(ua, "trufflehog")
	}
	rec := ecs.NewRecord(ecs.Options{})
	for _, ua := range []string{"", "Boto3 distrib#kali", "TruffleHog v3", "trufflehog", "curl/8", "aws-cli/2", "box", "Mozilla/5.0", "KALI"} {
		for _, ip := range []string{"", "10.0.0.1", "192.0.2.1"} {
			raw := `{"eventVersion":"1.08"`
			if ua != "" {
				raw += `,"userAgent":"` + ua + `"`
			}
			if ip != "" {
				raw += `,"sourceIPAddress":"` + ip + `"`
			}
			if err := rec.Reset([]byte(raw + `}`)); err != nil {
				t.Fatal(err)
			}
			if got := m.Match(rec); got != want(ua, ip) {
				t.Errorf("user agent %q, source %q: %v, want %v", ua, ip, got, !got)
			}
		}
	}
}

// TestContainsGates: needles sharing a substring share a gate, and a text
// contains one of the needles through the gates exactly when it contains
// one of them, over random needles and texts of a small alphabet (where
// needles share substrings often).
func TestContainsGates(t *testing.T) {
	gates := containsGates("stringcontains", false, []string{"distrib#kali", "+kali", "kali-amd64", "kali-arm64", "TruffleHog", "trufflehog"})
	var got []string
	for _, g := range gates {
		got = append(got, g.s+":"+strings.Join(g.needles, ","))
	}
	want := []string{"kali:distrib#kali,+kali,kali-amd64,kali-arm64", "ffle:TruffleHog,trufflehog"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("gates %q, want %q", got, want)
	}
	if containsGates("stringcontains", true, []string{"ab", "abc"}) != nil || containsGates("startswith", false, []string{"abc", "abcd"}) != nil ||
		containsGates("stringcontains", false, []string{"abc"}) != nil {
		t.Error("gates for a folded call, another function or one needle")
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abc"[rnd.IntN(3)]
		}
		return string(b)
	}
	for range 2000 {
		needles := make([]string, 2+rnd.IntN(5))
		for i := range needles {
			needles[i] = word(rnd.IntN(7))
		}
		gates := containsGates("stringcontains", false, needles)
		n := 0
		for _, g := range gates {
			for _, x := range g.needles {
				if !strings.Contains(x, g.s) {
					t.Fatalf("needles %q: gate %q of needle %q", needles, g.s, x)
				}
				n++
			}
		}
		if n != len(needles) {
			t.Fatalf("needles %q: gates %v hold %d needles", needles, gates, n)
		}
		for range 20 {
			s := word(rnd.IntN(12))
			want := false
			for _, x := range needles {
				want = want || strings.Contains(s, x)
			}
			if got := containsAny(s, gates); got != want {
				t.Fatalf("needles %q, text %q: %v, want %v", needles, s, got, want)
			}
		}
	}
}

// TestGlobFold: a case-insensitive glob matches an ASCII text without
// lowering it as it matches the lowered text, over random patterns and
// texts (ASCII and not, with * and ?), and lowers no ASCII text.
func TestGlobFold(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	pick := func(alphabet []string, n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rnd.IntN(len(alphabet))])
		}
		return b.String()
	}
	pats := []string{"a", "B", "c", "*", "?", "é", "É", "K"}
	texts := []string{"a", "A", "b", "B", "c", "C", "é", "É", "k", "\u212a", "*", "?"}
	for range 20000 {
		p, s := pick(pats, rnd.IntN(6)), pick(texts, rnd.IntN(7))
		want := globMatch(strings.ToLower(p), strings.ToLower(s), false)
		if got := newGlob(p, true).match(s); got != want {
			t.Fatalf("glob %q~ on %q: %v, want %v", p, s, got, want)
		}
		if got, want := newGlob(p, false).match(s), globMatch(p, s, false); got != want {
			t.Fatalf("glob %q on %q: %v, want %v", p, s, got, want)
		}
	}
	g := newGlob("*Kali*", true)
	if n := testing.AllocsPerRun(100, func() { g.match("Boto3/1.0 Distrib#KALI") }); n != 0 {
		t.Errorf("case-insensitive glob on an ASCII text: %v allocations, want 0", n)
	}
}
