package report

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// syntheticFinding fills f as the i-th of a large synthetic hunt: 40 rules,
// four severities, 30 days, 50 principals, 1,000 IPs.
func syntheticFinding(f *Finding, i int) {
	sevs := [...]string{"low", "low", "low", "medium", "medium", "high", "critical"}
	r := i % 40
	*f = Finding{
		RuleID: fmt.Sprintf("rule-%02d", r), RuleName: fmt.Sprintf("Synthetic rule %02d", r), RuleSource: "builtin",
		RuleType: "query", Severity: sevs[r%len(sevs)], RiskScore: 47,
		Tactics: []string{"Persistence", "Defense Evasion"}, Techniques: []string{fmt.Sprintf("T1%03d", r)},
		EventTime: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * (30 * 24 * time.Hour / 1_000_000)), // i × 2.592 s
		EventID:   fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), EventSource: "iam.amazonaws.com", EventName: "CreateAccessKey",
		AWSRegion: "us-east-1", AccountID: fmt.Sprintf("1111222233%02d", i%7), UserIdentityType: "IAMUser",
		UserARN: fmt.Sprintf("arn:aws:iam::111122223333:user/user%02d", i%50), UserName: fmt.Sprintf("user%02d", i%50),
		AccessKeyID: fmt.Sprintf("AKIAEXAMPLE%09d", i%200), SourceIP: fmt.Sprintf("198.51.%d.%d", i%4, i%250),
		UserAgent:   "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
		SourceURI:   fmt.Sprintf("s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/%02d/obj-%d.json.gz", 1+i%30, i/100),
		RecordIndex: int64(i % 100),
	}
}

// syntheticRaw returns a CloudTrail record of about 1.3 KB for f, the i-th
// synthetic finding, as scan --raw keeps it.
func syntheticRaw(f *Finding, i int) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE%09d","arn":%q,`+
		`"accountId":"%s","accessKeyId":"%s","userName":"%s","sessionContext":{"sessionIssuer":{},"webIdFederationData":{},`+
		`"attributes":{"creationDate":"%s","mfaAuthenticated":"false"}}},"eventTime":"%s","eventSource":"%s","eventName":"%s",`+
		`"awsRegion":"%s","sourceIPAddress":"%s","userAgent":%q,"requestParameters":{"userName":"svc-%d"},`+
		`"responseElements":{"accessKey":{"accessKeyId":"AKIAEXAMPLE%09d","status":"Active","userName":"svc-%d","createDate":"%s"}},`+
		`"requestID":"%08x-1111-4222-8333-%012x","eventID":"%s","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,`+
		`"recipientAccountId":"%s","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256",`+
		`"clientProvidedHostHeader":"iam.amazonaws.com"},"sessionCredentialFromConsole":"false"}`,
		i%50, f.UserARN, f.AccountID, f.AccessKeyID, f.UserName, f.EventTime.Add(-time.Hour).Format(time.RFC3339),
		f.EventTime.Format(time.RFC3339), f.EventSource, f.EventName, f.AWSRegion, f.SourceIP, f.UserAgent, i%1000,
		i, i%1000, f.EventTime.Format(time.RFC3339), i*7919, i, f.EventID, f.AccountID)
}

// TestHTMLLarge measures the report of TRAILSWEEP_HTML_LARGE synthetic
// findings (1000000 for the README's figures): generation time, file size,
// and, with a browser, the time to open and render it and to filter.
// TRAILSWEEP_HTML_LARGE_RAW=1 gives each finding a raw record (syntheticRaw).
func TestHTMLLarge(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TRAILSWEEP_HTML_LARGE"))
	if n <= 0 {
		t.Skip("set TRAILSWEEP_HTML_LARGE=1000000 to measure a large report")
	}
	dir := t.TempDir()
	start := time.Now()
	h, err := NewHTML(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	raw := os.Getenv("TRAILSWEEP_HTML_LARGE_RAW") != ""
	var f Finding
	var rawBytes int64
	for i := range n {
		syntheticFinding(&f, i)
		if raw {
			f.Raw = syntheticRaw(&f, i)
			rawBytes += int64(len(f.Raw))
		}
		if err := h.Add(&f); err != nil {
			t.Fatal(err)
		}
	}
	added := time.Since(start)
	path := filepath.Join(dir, "large.html")
	if err := h.WriteFile(path, nil, "synthetic"); err != nil {
		t.Fatal(err)
	}
	gen := time.Since(start)
	st, _ := os.Stat(path)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d findings: added in %v, report written in %v total, %.1f MB, Go heap %.0f MB; raw records %.1f MB",
		n, added.Round(time.Millisecond), gen.Round(time.Millisecond), float64(st.Size())/1e6, float64(ms.HeapAlloc)/1e6, float64(rawBytes)/1e6)

	if os.Getenv("TRAILSWEEP_HTML_LARGE_FIREFOX") != "" {
		largeFirefox(t, path, n)
	}
	if os.Getenv("TRAILSWEEP_HTML_LARGE_BROWSER") == "" {
		return
	}
	start = time.Now()
	ctx, console := browse(t, path, 5*time.Minute)
	run(t, ctx, "render", chromedp.Poll[bool](`document.body.getAttribute("data-ready") === "1"`, chromedp.WithPollingTimeout(4*time.Minute)))
	t.Logf("browser: opened and rendered the first page in %v", time.Since(start).Round(time.Millisecond))
	run(t, ctx, "load", chromedp.Poll[bool](`document.body.getAttribute("data-loaded") === "1"`, chromedp.WithPollingTimeout(4*time.Minute)))
	t.Logf("browser: every row parsed and sorted (filters and sorting ready) %v after opening", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	shown := run(t, ctx, "filter", chromedp.Evaluate[string](`(() => {
		const s = document.getElementById("f-severity"); s.value = "critical"; s.dispatchEvent(new Event("change"));
		return document.body.dataset.shown; })()`))
	t.Logf("browser: severity filter (%s rows) in %v", shown, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	run(t, ctx, "sort", chromedp.Evaluate[chromedp.Void](`document.querySelector('#findings th[data-col="8"]').click()`))
	t.Logf("browser: sort of the filtered rows by access key in %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	run(t, ctx, "text", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById("f-severity"); s.value = ""; 
		const x = document.getElementById("f-text"); x.value = "user07"; x.dispatchEvent(new Event("input")); })()`))
	run(t, ctx, "text filter", chromedp.Poll[bool](fmt.Sprintf(`document.body.dataset.shown === "%d"`, n/50), chromedp.WithPollingTimeout(time.Minute)))
	t.Logf("browser: text filter over every row (incl. 200 ms debounce) in %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	run(t, ctx, "open a row", chromedp.Evaluate[chromedp.Void](`document.querySelector("#findings tbody tr[data-n]").click()`))
	run(t, ctx, "detail", chromedp.Poll[bool](`document.querySelector("#findings tr.detail > td")?.dataset.state === "ready"`, chromedp.WithPollingTimeout(time.Minute)))
	t.Logf("browser: a row's detail (a block decompressed) in %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	run(t, ctx, "expand", chromedp.Evaluate[chromedp.Void](`document.querySelector('#principals tr.principal[data-col="7"] button.expand').click()`))
	got := run(t, ctx, "principal", chromedp.Poll[int](`Number(document.querySelector("#principals .pview")?.dataset.count)`, chromedp.WithPollingTimeout(time.Minute)))
	t.Logf("browser: a principal's timeline and rules (%d findings) in %v", got, time.Since(start).Round(time.Millisecond))
	if got != n/50 {
		t.Errorf("the top user has %d findings, want %d", got, n/50)
	}
	run(t, ctx, "scroll", chromedp.Evaluate[chromedp.Void](`document.getElementById("principals").scrollIntoView()`))
	png := run(t, ctx, "screenshot", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, "large.png"), png, 0o644); err == nil {
		os.WriteFile("/tmp/trailsweep-report-large.png", png, 0o644)
		t.Log("screenshot: /tmp/trailsweep-report-large.png")
	}
	for _, m := range console() {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			t.Errorf("console %s: %s", m.Type, m.Text)
		}
	}
}

// largeFirefox opens the large report in headless Firefox and logs the
// time to the first page, to every row parsed, and to a row's detail.
func largeFirefox(t *testing.T, path string, n int) {
	m := firefox(t)
	start := time.Now()
	m.do("WebDriver:Navigate", map[string]any{"url": "file://" + path}, nil)
	until := func(expr string) {
		for deadline := time.Now().Add(4 * time.Minute); !eval[bool](m, expr); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("firefox: %s not true in 4 minutes", expr)
			}
		}
	}
	until(`document.body?.dataset.ready === "1"`)
	t.Logf("firefox: opened and rendered the first page in %v", time.Since(start).Round(time.Millisecond))
	until(`document.body.dataset.loaded === "1"`)
	t.Logf("firefox: every row parsed and sorted %v after opening", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	m.do("WebDriver:ExecuteScript", map[string]any{"script": `document.querySelector("#findings tbody tr[data-n]").click();`, "args": []any{}}, nil)
	until(`document.querySelector("#findings tr.detail > td")?.dataset.state === "ready"`)
	t.Logf("firefox: a row's detail in %v", time.Since(start).Round(time.Millisecond))
	if got := eval[string](m, `document.body.dataset.shown`); got != strconv.Itoa(n) {
		t.Errorf("firefox: %s rows shown, want %d", got, n)
	}
}

// BenchmarkHTML measures adding findings and writing the report.
func BenchmarkHTML(b *testing.B) {
	dir := b.TempDir()
	var f Finding
	for b.Loop() {
		h, err := NewHTML(dir)
		if err != nil {
			b.Fatal(err)
		}
		for i := range 10_000 {
			syntheticFinding(&f, i*100)
			if err := h.Add(&f); err != nil {
				b.Fatal(err)
			}
		}
		if err := h.WriteFile(filepath.Join(dir, "r.html"), nil, ""); err != nil {
			b.Fatal(err)
		}
		h.Close()
	}
}
