package gen

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recordTB is a testing.TB that records Skipf and Fatalf and stops the
// calling goroutine as the real ones do.
type recordTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordTB) Helper() {}

func (r *recordTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// callNeed runs need in its own goroutine (Skipf and Fatalf end it) and
// returns what it returned and recorded.
func callNeed(p string, err error, ci bool) (got string, tb *recordTB) {
	tb = &recordTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = need(tb, p, err, ci)
	}()
	<-done
	return got, tb
}

// TestSharedDirPolicy: a missing ../shared skips the test, with the path
// in the reason, and fails it under CI=true; a present one is returned.
func TestSharedDirPolicy(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "shared", "datasets")
	_, err := os.Stat(missing)
	if err == nil {
		t.Fatal("the temporary path exists")
	}
	got, tb := callNeed(missing, err, false)
	if got != "" || tb.fatal != "" || !strings.Contains(tb.skipped, missing) {
		t.Errorf("missing, CI unset: returned %q, skipped %q, fatal %q; want a skip naming %s", got, tb.skipped, tb.fatal, missing)
	}
	got, tb = callNeed(missing, err, true)
	if got != "" || tb.skipped != "" || !strings.Contains(tb.fatal, "CI=true") || !strings.Contains(tb.fatal, missing) {
		t.Errorf("missing, CI=true: returned %q, skipped %q, fatal %q; want a failure naming %s", got, tb.skipped, tb.fatal, missing)
	}
	present := t.TempDir()
	for _, ci := range []bool{false, true} {
		got, tb = callNeed(present, nil, ci)
		if got != present || tb.skipped != "" || tb.fatal != "" {
			t.Errorf("present, CI=%v: returned %q, skipped %q, fatal %q", ci, got, tb.skipped, tb.fatal)
		}
	}
}

// TestSharedPath: ../shared is the sibling of the module root whatever the
// package directory, and SharedPath reports an absent path.
func TestSharedPath(t *testing.T) {
	p, err := sharedPath("a", "b")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	if want := filepath.Join(filepath.Dir(root), "shared", "a", "b"); p != want {
		t.Errorf("sharedPath(a, b) = %s, want %s", p, want)
	}
	if _, err := SharedPath("no such file, surely"); !os.IsNotExist(err) {
		t.Errorf("SharedPath of a missing file: %v, want not-exist", err)
	}
}
