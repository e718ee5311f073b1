package gen

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// SharedDir returns ../shared beside the repository root (found from the
// working directory by its go.mod) joined with elem. When that path is
// absent the test is skipped, with the reason, or fails when CI=true, as
// internal/s3test does for its server: CI must not pass by skipping. It is
// the one place tests find ../shared; a test that can run without it uses
// SharedPath instead.
func SharedDir(tb testing.TB, elem ...string) string {
	tb.Helper()
	p, err := SharedPath(elem...)
	return need(tb, p, err, os.Getenv("CI") == "true")
}

// SharedPath returns ../shared/elem… beside the repository root and nil
// when it exists, or the reason it cannot be used. It is for tests that
// fall back to built-in data without ../shared; others call SharedDir.
func SharedPath(elem ...string) (string, error) {
	p, err := sharedPath(elem...)
	if err == nil {
		_, err = os.Stat(p)
	}
	return p, err
}

// need returns p when err is nil; otherwise it skips tb, or fails it when
// ci is set, naming the missing path.
func need(tb testing.TB, p string, err error, ci bool) string {
	tb.Helper()
	if err != nil {
		if ci {
			tb.Fatalf("../shared is needed by this test and CI=true: %v", err)
		}
		tb.Skipf("../shared not present: this test needs it (%v)", err)
	}
	return p
}

// sharedPath returns ../shared/elem… relative to the module root.
func sharedPath(elem ...string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(append([]string{filepath.Dir(dir), "shared"}, elem...)...), nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}
