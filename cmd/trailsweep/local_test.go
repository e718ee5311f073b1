package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// hitLog writes, at dir/name, a gzip log holding one record that the
// built-in rules find, and returns its event id.
func hitLog(t *testing.T, dir, name string, i int) string {
	t.Helper()
	alice := gen.IAMUser("111122223333", "alice", "AKIAEXAMPLEALICE0001")
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	r := gen.Event(alice, at.Add(time.Duration(i)*time.Second), "us-east-1", "lambda.amazonaws.com",
		"CreateEventSourceMapping20150331", fmt.Sprintf(`{"functionName":"f%d","enabled":true}`, i), "")
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), gen.Gzip(gen.LogFile(r)), 0o644); err != nil {
		t.Fatal(err)
	}
	return r.EventID
}

// eventIDs returns the sorted event ids of the findings in a JSONL file.
func eventIDs(t *testing.T, path string) []string {
	t.Helper()
	var ids []string
	for _, r := range readFindings(t, path) {
		ids = append(ids, r["event_id"])
	}
	sort.Strings(ids)
	return ids
}

// TestSymlinkSource: a source given as a link to a folder is scanned (it
// listed nothing, exit 0), and a link loop inside it is reported in the
// summary as skipped, not followed without end nor dropped in silence.
func TestSymlinkSource(t *testing.T) {
	tree := t.TempDir()
	want := []string{hitLog(t, tree, "a/one.json.gz", 1), hitLog(t, tree, "b/two.json.gz", 2)}
	sort.Strings(want)
	if err := os.Symlink(tree, filepath.Join(tree, "b", "up")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	link := filepath.Join(t.TempDir(), "logs")
	if err := os.Symlink(tree, link); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "f.jsonl")
	code, _, stderr := cli(t, "scan", link, "--out", out, "--summary", out+".summary.json")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, stderr)
	}
	if got := eventIDs(t, out); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("findings %v, want %v", got, want)
	}
	s := summaryOf(t, out+".summary.json")
	if l, sc := num(s, "objects", "listed"), num(s, "objects", "scanned"); l != 3 || sc != 2 || num(s, "objects", "skipped", "symlink loop") != 1 {
		t.Errorf("objects %v, want 3 listed, 2 scanned, 1 skipped as a symlink loop", s["objects"])
	}
	if !strings.Contains(stderr, "symlink loop") {
		t.Errorf("the summary does not report the loop:\n%s", stderr)
	}
}

// TestUnreadableFolder: a folder the scan may not read is one failed entry
// (access_denied, in --errors and the summary, exit 3), and every other
// object is scanned and its findings written. Under root, whom mode 000
// does not stop, the CLI binary runs as nobody (setpriv).
func TestUnreadableFolder(t *testing.T) {
	base, err := os.MkdirTemp("", "unreadable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(base, "tree", "lost+found"), 0o755); os.RemoveAll(base) })
	if err := os.Chmod(base, 0o777); err != nil { // nobody writes the output here
		t.Fatal(err)
	}
	tree := filepath.Join(base, "tree")
	want := []string{hitLog(t, tree, "a/one.json.gz", 1), hitLog(t, tree, "z/two.json.gz", 2)}
	sort.Strings(want)
	hitLog(t, tree, "lost+found/hidden.json.gz", 3)
	if err := os.Chmod(filepath.Join(tree, "lost+found"), 0); err != nil {
		t.Fatal(err)
	}
	out, errs, sum := filepath.Join(base, "f.jsonl"), filepath.Join(base, "errors.jsonl"), filepath.Join(base, "summary.json")
	args := []string{"scan", tree, "--out", out, "--errors", errs, "--summary", sum}
	var code int
	var stderr string
	if os.Geteuid() != 0 {
		code, _, stderr = cli(t, args...)
	} else {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("running as root and setpriv is missing: cannot deny a folder to the scan: %v", err)
			}
			t.Skipf("running as root and setpriv is missing (util-linux): cannot deny a folder to the scan")
		}
		bin := filepath.Join(base, "trailsweep")
		if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v: %s", err, b)
		}
		cmd := exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
		var eb strings.Builder
		cmd.Stderr = &eb
		err = cmd.Run()
		stderr = eb.String()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	if got := eventIDs(t, out); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("findings %v, want %v", got, want)
	}
	lines := readErrors(t, errs)
	if len(lines) != 1 || lines[0]["kind"] != "access_denied" || lines[0]["uri"] != filepath.Join(tree, "lost+found") || lines[0]["reason"] == "" {
		t.Errorf("--errors: %v, want one access_denied line for lost+found", lines)
	}
	s := summaryOf(t, sum)
	if num(s, "objects", "listed") != 3 || num(s, "objects", "scanned") != 2 || num(s, "objects", "failed") != 1 {
		t.Errorf("objects %v, want 3 listed, 2 scanned, 1 failed", s["objects"])
	}
	if strings.Contains(stderr, "INCOMPLETE") || !strings.Contains(stderr, "lost+found") {
		t.Errorf("the summary should be complete and name lost+found:\n%s", stderr)
	}
}

// limitedChild runs the CLI binary with its address space capped at 1 GiB,
// so that a scan that reads an object without bound fails (out of memory)
// instead of taking the machine, and returns its exit code and stderr.
// (The child's peak RSS from rusage is no measure here: Go starts children
// with vfork, and Linux carries the parent's high-water mark into the
// child's at exec, so a test process grown by earlier tests inflates it.)
func limitedChild(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", `ulimit -v 1048576 && exec "$0" "$@"`, bin}, args...)...)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=", "GOGC=")
	var eb strings.Builder
	cmd.Stderr = &eb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, eb.String()
}

// TestHugeAndSpecialFiles: an object stored larger than --max-object-bytes
// (a 2 GiB sparse file) fails as object_too_large without being read into
// memory (the scan runs in 1 GiB of address space); a FIFO in the tree is skipped as a special file and never opened;
// /dev/zero named as the source is refused (special_file, exit 3) with the
// summary printed. The other objects' findings are kept.
func TestHugeAndSpecialFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tree := t.TempDir()
	want := []string{hitLog(t, tree, "a.json.gz", 1), hitLog(t, tree, "z.json.gz", 2)}
	sort.Strings(want)
	huge := filepath.Join(tree, "huge.json")
	if err := os.WriteFile(huge, []byte(`{"Records":[`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 2<<30); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(tree, "pipe.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "trailsweep")
	// Go 1.26 places the heap at a random base; under an address-space cap
	// the runtime then fails now and then to map its second heap arena at
	// start-up (about one run in ten at 1 GiB, before main runs), whatever
	// the program does. The child is built with the fixed base, so what the
	// cap measures is the scan.
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOEXPERIMENT=norandomizedheapbase64")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, b)
	}
	dir := t.TempDir()
	out, errs, sum := filepath.Join(dir, "f.jsonl"), filepath.Join(dir, "errors.jsonl"), filepath.Join(dir, "summary.json")
	code, stderr := limitedChild(t, bin, "scan", tree, "--max-object-bytes", "1000000", "--out", out, "--errors", errs, "--summary", sum)
	if code != 3 {
		t.Fatalf("exit %d, want 3 (within 1 GiB of address space)\n%s", code, stderr)
	}
	if got := eventIDs(t, out); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("findings %v, want %v", got, want)
	}
	lines := readErrors(t, errs)
	if len(lines) != 1 || lines[0]["kind"] != "object_too_large" || lines[0]["uri"] != huge || !strings.Contains(lines[0]["reason"], "max-object-bytes") {
		t.Errorf("--errors: %v, want one object_too_large line for %s", lines, huge)
	}
	s := summaryOf(t, sum)
	if num(s, "objects", "listed") != 4 || num(s, "objects", "scanned") != 2 || num(s, "objects", "failed") != 1 || num(s, "objects", "skipped", "special file") != 1 {
		t.Errorf("objects %v, want 4 listed, 2 scanned, 1 failed, 1 skipped as a special file", s["objects"])
	}
	if b := num(s, "bytes_compressed"); b > 1<<20 {
		t.Errorf("%d stored bytes read: the huge object was read", b)
	}

	code, stderr = limitedChild(t, bin, "scan", "/dev/zero", "--errors", errs, "--summary", sum)
	if code != 3 || !strings.Contains(stderr, "not a regular file") {
		t.Errorf("scan /dev/zero: exit %d, want 3 and the reason in the summary\n%s", code, stderr)
	}
	if lines := readErrors(t, errs); len(lines) != 1 || lines[0]["kind"] != "special_file" {
		t.Errorf("scan /dev/zero: --errors %v, want one special_file line", lines)
	}
}
