package main

import (
	"context"
	"os"
	"runtime/pprof"
	"strings"
	"testing"
)

func TestZZProf(t *testing.T) {
	args := os.Getenv("ZZ_ARGS")
	if args == "" {
		t.Skip()
	}
	f, _ := os.Create(os.Getenv("ZZ_PROF"))
	pprof.StartCPUProfile(f)
	code := run(context.Background(), strings.Fields(args), strings.NewReader(""), os.Stdout, os.Stderr)
	pprof.StopCPUProfile()
	f.Close()
	t.Logf("exit %d", code)
}
