// Command trailsweep runs detection rules over AWS CloudTrail logs in S3 or
// on disk. See README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
)

func main() {
	tuneMemory()
	stopProfile := profile(os.Getenv("TRAILSWEEP_CPUPROFILE"), os.Getenv("TRAILSWEEP_MEMPROFILE"), os.Getenv("TRAILSWEEP_TRACE"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	stopProfile()
	os.Exit(code)
}

// profile is a hidden hook for measuring the built binary as the bench
// runs it (internal/bench/README.md): each file named gets, from now until
// the returned function is called, a CPU profile (cpu), the profile of
// every allocation (mem, sampled every 64 KiB) or an execution trace (tr).
// A file that cannot be written is reported and the run goes on.
func profile(cpu, mem, tr string) (stop func()) {
	var stops []func() error
	start := func(path string, begin, end func(w io.Writer) error) {
		if path == "" {
			return
		}
		f, err := os.Create(path)
		if err == nil {
			if err = begin(f); err != nil {
				f.Close()
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "trailsweep: profile: %v\n", err)
			return
		}
		stops = append(stops, func() error {
			err := end(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		})
	}
	start(cpu, pprof.StartCPUProfile, func(io.Writer) error { pprof.StopCPUProfile(); return nil })
	start(tr, trace.Start, func(io.Writer) error { trace.Stop(); return nil })
	start(mem, func(io.Writer) error { runtime.MemProfileRate = 64 << 10; return nil },
		func(w io.Writer) error { runtime.GC(); return pprof.Lookup("allocs").WriteTo(w, 0) }) // a GC publishes the latest allocations
	return func() {
		for _, s := range stops {
			if err := s(); err != nil {
				fmt.Fprintf(os.Stderr, "trailsweep: profile: %v\n", err)
			}
		}
	}
}
