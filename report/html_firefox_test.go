package report

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// marionette drives a Firefox started with --marionette over its
// protocol (length-prefixed JSON on a local TCP port, the one geckodriver
// speaks), enough for DOM checks: navigate, run a script, screenshot.
type marionette struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	id   int
	log  *syncBuffer // Firefox's output: with the profile's prefs, the page's console
}

// syncBuffer is a bytes.Buffer for a process's output, read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// firefox starts headless Firefox (firefox-esr or firefox) on a fresh
// profile and returns a session; the test is skipped when none is
// installed (apt-get install -y firefox-esr), in CI too: Chromium is the
// browser the CI checks.
func firefox(t *testing.T) *marionette {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	var exe string
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		t.Skip("no firefox (apt-get install -y firefox-esr)")
	}
	profile := t.TempDir()
	// Port 0: Firefox picks one and writes it to MarionetteActivePort.
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(`user_pref("marionette.port", 0);`+"\n"+`user_pref("devtools.console.stdout.content", true);`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "--headless", "--marionette", "--no-remote", "--profile", profile, "--window-size=1400,1000")
	cmd.Env = append(os.Environ(), "HOME="+profile, "MOZ_CRASHREPORTER_DISABLE=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its content processes with it
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	m := &marionette{t: t, log: log}
	t.Cleanup(func() {
		if m.conn != nil {
			m.send("Marionette:Quit", map[string]any{})
			m.conn.Close()
		}
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	var port int
	for deadline := time.Now().Add(60 * time.Second); port == 0; {
		b, err := os.ReadFile(filepath.Join(profile, "MarionetteActivePort"))
		if err == nil {
			port, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if port == 0 && time.Now().After(deadline) {
			t.Fatalf("firefox did not open its Marionette port in 60 s:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m.conn, m.r = conn, bufio.NewReader(conn)
	var hello struct{ MarionetteProtocol int }
	if err := m.read(&hello); err != nil || hello.MarionetteProtocol < 3 {
		t.Fatalf("marionette hello: %+v, %v", hello, err)
	}
	// Navigate returns at once: the tests poll for what they wait for.
	m.do("WebDriver:NewSession", map[string]any{"capabilities": map[string]any{"pageLoadStrategy": "none"}}, nil)
	return m
}

// read reads one message: its length in decimal, ':', then JSON.
func (m *marionette) read(v any) error {
	m.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	n, err := m.r.ReadString(':')
	if err != nil {
		return err
	}
	size, err := strconv.Atoi(strings.TrimSuffix(n, ":"))
	if err != nil {
		return fmt.Errorf("marionette: message length %q", n)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(m.r, b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (m *marionette) send(command string, params any) error {
	m.id++
	b, err := json.Marshal([]any{0, m.id, command, params})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(m.conn, "%d:%s", len(b), b)
	return err
}

// do runs a command and decodes its result into out (when not nil).
func (m *marionette) do(command string, params, out any) {
	m.t.Helper()
	if err := m.send(command, params); err != nil {
		m.t.Fatalf("%s: %v", command, err)
	}
	var resp []json.RawMessage // [1, id, error, result]
	if err := m.read(&resp); err != nil || len(resp) != 4 {
		m.t.Fatalf("%s: %v (%d parts)", command, err, len(resp))
	}
	if string(resp[2]) != "null" {
		m.t.Fatalf("%s: %s", command, resp[2])
	}
	if out != nil {
		if err := json.Unmarshal(resp[3], out); err != nil {
			m.t.Fatalf("%s: %v: %s", command, err, resp[3])
		}
	}
}

// eval returns the value of the JavaScript expression.
func eval[T any](m *marionette, expr string) T {
	m.t.Helper()
	var r struct{ Value T }
	m.do("WebDriver:ExecuteScript", map[string]any{"script": "return (" + expr + ");", "args": []any{}}, &r)
	return r.Value
}

// wait polls the expression until it is true, for up to 10 s.
func (m *marionette) wait(what, expr string) {
	m.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !eval[bool](m, expr); {
		if time.Now().After(deadline) {
			m.t.Fatalf("%s: %s not true in 10 s", what, expr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHTMLFirefox opens the report of reportFindings in headless Firefox
// and checks what is not Chromium's alone: the script runs under the CSP
// (its hash), the table renders, a row's detail decompresses
// (DecompressionStream), a principal expands, and hostile values stay text.
// It runs only where Firefox is installed, and leaves a screenshot.
func TestHTMLFirefox(t *testing.T) {
	m := firefox(t)
	dir := t.TempDir()
	path, err := filepath.Abs(renderReport(t, dir, reportFindings(), nil))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	m.do("WebDriver:Navigate", map[string]any{"url": "file://" + path}, nil)
	m.wait("render", `document.body?.dataset.ready === "1" && document.body.dataset.loaded === "1"`)
	t.Logf("opened and rendered in %v", time.Since(start).Round(time.Millisecond))

	sev := eval[map[string]int](m, `(() => {
		const o = {};
		document.querySelectorAll("#severity .card").forEach(c => o[c.dataset.severity] = Number(c.querySelector("b").textContent));
		return o; })()`)
	for s, n := range htmlWant.severity {
		if sev[s] != n {
			t.Errorf("severity %s: %d in the page, want %d", s, sev[s], n)
		}
	}
	if rows := eval[int](m, `document.querySelectorAll("#findings tbody tr").length`); rows != 26 {
		t.Errorf("%d table rows, want 26", rows)
	}
	if !eval[bool](m, `document.querySelector("#findings tbody").textContent.includes("<script>window.__pwned=1</script>")`) {
		t.Error("the user agent's <script> is not shown as text")
	}

	m.do("WebDriver:ExecuteScript", map[string]any{"script": `document.querySelector('#findings tbody tr[data-n="4"]').click();`, "args": []any{}}, nil)
	m.wait("detail", `document.querySelector("#findings tr.detail > td")?.dataset.state !== "loading"`)
	raw := eval[string](m, `(document.querySelector("#findings tr.detail pre.raw") || {textContent: "no raw record: " + document.querySelector("#findings tr.detail > td").textContent}).textContent`)
	for _, want := range []string{`"eventID": "ev-4"`, `"big": 12345678901234567890`, xssBreak} {
		if !strings.Contains(raw, want) {
			t.Errorf("row 4's raw record lacks %q:\n%s", want, raw)
		}
	}

	m.do("WebDriver:ExecuteScript", map[string]any{"script": `[...document.querySelectorAll('#principals tr.principal[data-col="8"]')].find(r => r.querySelector(".name").textContent === "AKIAEXAMPLE1").querySelector("button.expand").click();`, "args": []any{}}, nil)
	m.wait("principal", `document.querySelectorAll("#principals .pview").length === 1`)
	var n int
	days := make([]int, 4)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, f := range reportFindings() {
		if f.AccessKeyID == "AKIAEXAMPLE1" {
			n++
			days[int(f.EventTime.Sub(day)/(24*time.Hour))]++
		}
	}
	got := eval[[]int](m, `[Number(document.querySelector("#principals .pview").dataset.count)].concat([...document.querySelectorAll("#principals .pview svg g.bucket")].map(g => Number(g.dataset.count)))`)
	if want := append([]int{n}, days...); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("AKIAEXAMPLE1: count and timeline %v, want %v", got, want)
	}
	if got := eval[string](m, `typeof window.__pwned`); got != "undefined" {
		t.Errorf("window.__pwned is %s: hostile data ran", got)
	}
	// With devtools.console.stdout.content, the page's errors are lines
	// "JavaScript error: file://…" (and "JavaScript warning: …").
	for _, line := range strings.Split(m.log.String(), "\n") {
		if strings.Contains(line, "JavaScript error: file://") || strings.Contains(line, "JavaScript warning: file://") {
			t.Errorf("firefox: %s", line)
		}
	}

	var shot struct{ Value string }
	m.do("WebDriver:TakeScreenshot", map[string]any{"full": true}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Value)
	if err != nil || len(png) == 0 {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report-firefox.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/tmp/trailsweep-report-firefox.png", png, 0o644); err == nil {
		t.Log("screenshot: /tmp/trailsweep-report-firefox.png")
	}
}
