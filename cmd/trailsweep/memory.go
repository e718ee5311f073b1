package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"runtime/debug"
)

// Garbage-collector settings for a scan, unless GOGC or GOMEMLIMIT say
// otherwise: the live heap of a scan is small (buffers in flight, rule
// state), so collecting less often saves CPU, and the soft limit keeps the
// peak resident set within budget (256 MiB) whatever the input.
const (
	gcPercent   = 200
	memoryLimit = 176 << 20
)

// parseMemory reads --memory (256MiB, 2GiB, bare bytes) and, unless
// GOMEMLIMIT says otherwise, sets the garbage collector's soft limit to
// what the budget leaves once the binary's own pages (about 30 MiB
// resident) and the heap's slack are counted: 80 MiB less, as memoryLimit
// is at the default, and at least half of it.
func parseMemory(s string) (int64, error) {
	n, err := humanize.ParseBytes(s)
	if err != nil {
		return 0, usageErr("--memory %q: %w", s, err)
	}
	if n < 1<<20 || n > 1<<50 {
		return 0, usageErr("--memory %s: want at least 1MiB", s)
	}
	if tuneGC && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(max(int64(n)/2, int64(n)-(256<<20-memoryLimit)))
	}
	return int64(n), nil
}

// tuneGC is set by main: the CLI run in-process by tests leaves the test
// binary's collector alone.
var tuneGC bool

func tuneMemory() {
	tuneGC = true
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// peakRSS returns the process's peak resident set in bytes (VmHWM), 0
// where /proc does not say. Unlike a parent's rusage of its child, it is
// the process's own: Linux carries a vforking parent's high-water mark into
// the child's rusage at exec.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
