package main

import (
	"os"
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

func tuneMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
