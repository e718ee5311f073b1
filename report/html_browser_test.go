package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
