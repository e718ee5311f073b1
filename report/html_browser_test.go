package report

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns the path of a Chromium to drive. When none is installed
// it installs Debian's chromium with apt-get (as root); a test that still
// has none fails in CI (CI=true) and is skipped elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() && !ci {
		t.Skip("-short: no browser")
	}
	find := func() string {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
			if p, err := exec.LookPath(name); err == nil {
				return p
			}
		}
		return ""
	}
	if p := find(); p != "" {
		return p
	}
	if _, err := exec.LookPath("apt-get"); err == nil && os.Geteuid() == 0 {
		t.Log("no chromium: apt-get install -y chromium")
		out, err := exec.Command("apt-get", "install", "-y", "chromium").CombinedOutput()
		if err != nil {
			out2, _ := exec.Command("apt-get", "update").CombinedOutput()
			out3, err2 := exec.Command("apt-get", "install", "-y", "chromium").CombinedOutput()
			if err2 != nil {
				t.Logf("apt-get: %v\n%s\n%s\n%s", err, out, out2, out3)
			}
		}
		if p := find(); p != "" {
			return p
		}
	}
	if ci {
		t.Fatal("CI=true: no chromium, and apt-get install -y chromium did not provide one")
	}
	t.Skip("no chromium (apt-get install -y chromium)")
	return ""
}

// browse opens path in headless Chromium and returns a context for
// actions on its tab and the console messages it has seen so far.
func browse(t *testing.T, path string, timeout time.Duration) (context.Context, func() []chromedp.ConsoleMessage) {
	t.Helper()
	exe := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	mctx, mcancel := context.WithCancel(bctx)
	messages := chromedp.Console(mctx)
	var mu sync.Mutex
	var seen []chromedp.ConsoleMessage
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			seen = append(seen, m)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { mcancel(); <-done })
	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	return bctx, func() []chromedp.ConsoleMessage {
		mu.Lock()
		defer mu.Unlock()
		return append([]chromedp.ConsoleMessage(nil), seen...)
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// TestHTMLBrowser opens the report of reportFindings in headless Chromium
// and checks, through the DOM, what an analyst sees: the counts, the
// timeline, a filter that narrows the table, hostile values shown as text
// and never run, and a console without errors. It leaves a screenshot.
func TestHTMLBrowser(t *testing.T) {
	dir := t.TempDir()
	path, err := filepath.Abs(renderReport(t, dir, reportFindings(), nil))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ctx, console := browse(t, path, 20*time.Second)
	run(t, ctx, "render", chromedp.Poll[bool](`document.body.getAttribute("data-ready") === "1"`))
	t.Logf("opened and rendered in %v", time.Since(start).Round(time.Millisecond))

	sev := run(t, ctx, "severities", chromedp.Evaluate[map[string]int](`(() => {
		const o = {};
		document.querySelectorAll("#severity .card").forEach(c => o[c.dataset.severity] = Number(c.querySelector("b").textContent));
		return o; })()`))
	for s, n := range htmlWant.severity {
		if sev[s] != n {
			t.Errorf("severity %s: %d in the page, want %d", s, sev[s], n)
		}
	}
	if sev["total"] != 26 {
		t.Errorf("total %d, want 26", sev["total"])
	}
	rules := run(t, ctx, "rules", chromedp.Evaluate[map[string]int](`(() => {
		const o = {};
		document.querySelectorAll("#rules tr[data-rule-id]").forEach(r => o[r.dataset.ruleId] = Number(r.querySelector(".count").textContent));
		return o; })()`))
	for id, n := range htmlWant.rule {
		if rules[id] != n {
			t.Errorf("rule %s: %d in the page, want %d", id, rules[id], n)
		}
	}
	tl := run(t, ctx, "timeline", chromedp.Evaluate[map[string]int](`(() => ({
		buckets: document.querySelectorAll("#timeline g.bucket").length,
		empty: document.querySelectorAll("#timeline g.bucket.empty").length,
		bars: document.querySelectorAll("#timeline rect[class^=sev-]").length,
		tall: [...document.querySelectorAll("#timeline rect[class^=sev-]")].filter(r => r.getBoundingClientRect().height > 1).length }))()`))
	if tl["buckets"] != 4 || tl["empty"] != 1 || tl["bars"] == 0 || tl["tall"] != tl["bars"] {
		t.Errorf("timeline: %v, want 4 buckets, 1 empty, every bar drawn", tl)
	}
	if rows := run(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelectorAll("#findings tbody tr").length`)); rows != 26 {
		t.Errorf("%d table rows, want 26", rows)
	}

	// A filter on severity, then on the principal (typed), narrows the table.
	shown := run(t, ctx, "severity filter", chromedp.Evaluate[string](`(() => {
		const s = document.getElementById("f-severity"); s.value = "critical"; s.dispatchEvent(new Event("change"));
		return document.body.dataset.shown; })()`))
	if shown != "3" {
		t.Errorf("critical filter shows %s rows, want 3", shown)
	}
	run(t, ctx, "reset", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById("f-severity"); s.value = ""; s.dispatchEvent(new Event("change")); })()`))
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#f-principal"), "alice")); err != nil {
		t.Fatal(err)
	}
	ctx5, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx5, chromedp.Poll[bool](`document.querySelectorAll("#findings tbody tr").length === 9`)); err != nil {
		t.Errorf("principal filter alice: not 9 rows (%v)", err)
	}
	// Hostile values are in the table as text, and nothing ran.
	if !run(t, ctx, "text", chromedp.Evaluate[bool](`document.querySelector("#findings tbody").textContent.includes("<script>window.__pwned=1</script>")`)) {
		t.Error("the user agent's <script> is not shown as text")
	}
	if got := run(t, ctx, "pwned", chromedp.Evaluate[string](`typeof window.__pwned`)); got != "undefined" {
		t.Errorf("window.__pwned is %s: hostile data ran", got)
	}
	dom := run(t, ctx, "dom", chromedp.Evaluate[map[string]int](`({images: document.images.length, scripts: document.querySelectorAll("script:not([type='application/json'])").length,
		links: document.links.length, handlers: document.querySelectorAll("[onerror],[onload],[onclick]").length})`))
	if dom["images"] != 0 || dom["scripts"] != 1 || dom["links"] != 0 || dom["handlers"] != 0 {
		t.Errorf("DOM holds elements from the data: %v", dom)
	}

	run(t, ctx, "clear principal", chromedp.Evaluate[chromedp.Void](`(() => {
		const x = document.getElementById("f-principal"); x.value = ""; x.dispatchEvent(new Event("input")); })()`))
	poll(t, ctx, "every row back", `document.body.dataset.shown === "26" && document.querySelectorAll("#findings tbody tr").length === 26`)
	browserPrincipals(t, ctx, reportFindings())
	browserDetails(t, ctx, reportFindings())
	run(t, ctx, "expand for the screenshot", chromedp.Evaluate[chromedp.Void](`document.querySelector('#principals tr.principal[data-col="8"] button.expand').click()`))
	if got := run(t, ctx, "pwned", chromedp.Evaluate[string](`typeof window.__pwned`)); got != "undefined" {
		t.Errorf("window.__pwned is %s after opening details and principals: hostile data ran", got)
	}

	png := run(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	shot := filepath.Join(dir, "report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	if err := os.WriteFile("/tmp/trailsweep-report.png", png, 0o644); err == nil {
		t.Log("screenshot copied to /tmp/trailsweep-report.png")
	}
	for _, m := range console() {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			t.Errorf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
		}
	}
}

// poll waits up to 5 s for the expression to be true.
func poll(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	ctx5, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx5, chromedp.Poll[bool](expr)); err != nil {
		t.Fatalf("%s: %s not true (%v)", what, expr, err)
	}
}

// browserDetails opens a row whose finding carries a raw record, and one
// whose finding does not, and checks the detail shown: the raw record
// pretty-printed as text (its hostile strings, and a number JSON.parse
// would round, as written), else every column.
func browserDetails(t *testing.T, ctx context.Context, fs []Finding) {
	t.Helper()
	for _, n := range []int{7, 4} { // 7 has no raw record, 4 one (left open for the screenshot)
		f := fs[n]
		sel := fmt.Sprintf(`#findings tbody tr[data-n="%d"]`, n)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatalf("click row %d: %v", n, err)
		}
		poll(t, ctx, "detail", `document.querySelector("#findings tr.detail > td")?.dataset.state === "ready"`)
		type detail struct {
			Raw     *string           `json:"raw"`
			Cols    map[string]string `json:"cols"`
			After   int               `json:"after"`
			Planted int               `json:"planted"`
		}
		d := run(t, ctx, "detail", chromedp.Evaluate[detail](`(() => {
			const td = document.querySelector("#findings tr.detail > td"), cols = {};
			td.querySelectorAll("tr[data-column]").forEach(r => cols[r.dataset.column] = r.querySelector("td").textContent);
			const raw = td.querySelector("pre.raw");
			return {raw: raw ? raw.textContent : null, cols, after: Number(td.parentElement.previousElementSibling.dataset.n),
				planted: td.querySelectorAll("img,script,a,iframe,[onerror]").length}; })()`))
		if d.After != n || d.Planted != 0 {
			t.Errorf("row %d: the detail follows row %d, holds %d elements from the data", n, d.After, d.Planted)
		}
		if want := wantDetail(&f); d.Cols["event_id"] != want["event_id"] || d.Cols["user_agent"] != want["user_agent"] ||
			d.Cols["user_arn"] != want["user_arn"] || d.Cols["rule_name"] != want["rule_name"] {
			t.Errorf("row %d: columns %v, want those of %+v", n, d.Cols, want)
		}
		switch {
		case f.Raw == "" && d.Raw != nil:
			t.Errorf("row %d: a raw record shown for a finding without one", n)
		case f.Raw != "" && d.Raw == nil:
			t.Errorf("row %d: no raw record shown", n)
		case f.Raw != "":
			for _, want := range []string{`"eventID": "` + f.EventID + `"`, `"big": 12345678901234567890`, `"tags": []`,
				`"userName": "\"><img src=x onerror=\"window.__pwned=3\">"`, "\n  \"requestParameters\": {\n    \"big\""} {
				if !strings.Contains(*d.Raw, want) {
					t.Errorf("row %d: raw record lacks %q:\n%s", n, want, *d.Raw)
				}
			}
			if strings.Contains(f.UserAgent, xssScript) && !strings.Contains(*d.Raw, xssScript) {
				t.Errorf("row %d: the raw user agent's <script> is not shown as text", n)
			}
		}
		if got := run(t, ctx, "pwned", chromedp.Evaluate[string](`typeof window.__pwned`)); got != "undefined" {
			t.Errorf("row %d: window.__pwned is %s after opening its detail", n, got)
		}
	}
}

// browserPrincipals expands a user, a source IP and an access key among the principals
// and checks their own timeline (findings per bucket of the main
// timeline's) and rules against fs, then that "show its findings" filters
// the table to them.
func browserPrincipals(t *testing.T, ctx context.Context, fs []Finding) {
	t.Helper()
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, p := range []struct {
		col  int
		name string
		of   func(*Finding) string
	}{
		{7, "alice", func(f *Finding) string { return cmp.Or(f.UserName, f.UserARN) }},
		{9, xssURL, func(f *Finding) string { return f.SourceIP }},
		{8, "AKIAEXAMPLE1", func(f *Finding) string { return f.AccessKeyID }}, // over three days
	} {
		n, days, rules := 0, make([]int, 4), map[string]int{}
		for i := range fs {
			if p.of(&fs[i]) == p.name {
				n++
				days[int(fs[i].EventTime.Sub(day)/(24*time.Hour))]++
				rules[Clean(fs[i].RuleName)]++
			}
		}
		if n == 0 {
			t.Fatalf("no finding of %s", p.name)
		}
		name, _ := json.Marshal(p.name)
		found := run(t, ctx, "expand", chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
			const tr = [...document.querySelectorAll('#principals tr.principal[data-col="%d"]')].find(r => r.querySelector(".name").textContent === %s);
			if (!tr) return false;
			tr.querySelector("button.expand").click();
			return true; })()`, p.col, name)))
		if !found {
			t.Fatalf("principal %s is not among the top ones", p.name)
		}
		poll(t, ctx, "principal view", `document.querySelectorAll("#principals .pview").length === 1`)
		type view struct {
			Count   int            `json:"count"`
			Listed  int            `json:"listed"`
			Buckets []int          `json:"buckets"`
			Rects   int            `json:"rects"`
			Rules   map[string]int `json:"rules"`
		}
		v := run(t, ctx, "principal view", chromedp.Evaluate[view](`(() => {
			const b = document.querySelector("#principals .pview"), rules = {};
			b.querySelectorAll("table.prules tr").forEach(r => rules[r.querySelector(".rule-name").textContent] = Number(r.querySelector(".count").textContent));
			return {count: Number(b.dataset.count), listed: Number(b.closest("tr").previousElementSibling.querySelector(".count").textContent),
				buckets: [...b.querySelectorAll("svg g.bucket")].map(g => Number(g.dataset.count)),
				rects: [...b.querySelectorAll("svg rect[data-severity]")].filter(r => r.getBoundingClientRect().height > 0).length, rules}; })()`))
		if v.Count != n || v.Listed != n {
			t.Errorf("%s: %d findings counted, %d listed, want %d", p.name, v.Count, v.Listed, n)
		}
		if !slices.Equal(v.Buckets, days) || v.Rects == 0 {
			t.Errorf("%s: timeline %v (%d bars drawn), want %v", p.name, v.Buckets, v.Rects, days)
		}
		if !maps.Equal(v.Rules, rules) {
			t.Errorf("%s: rules %v, want %v", p.name, v.Rules, rules)
		}
		run(t, ctx, "show", chromedp.Evaluate[chromedp.Void](`document.querySelector("#principals .pview button.pin").click()`))
		poll(t, ctx, "pinned", fmt.Sprintf(`document.body.dataset.shown === "%d" && document.querySelectorAll("#findings tbody tr").length === %d`, n, n))
		// Collapse it and clear the filter.
		run(t, ctx, "collapse", chromedp.Evaluate[chromedp.Void](`(() => {
			document.querySelector("#principals button.expand[aria-expanded=true]").click();
			document.getElementById("pin-clear").click(); })()`))
		poll(t, ctx, "unpinned", `document.body.dataset.shown === "26" && !document.querySelector("#principals .pview")`)
	}
}
