package scan

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/internal/gen"
	"github.com/trailsweep/trailsweep/reader"
)

func TestInFlightWeights(t *testing.T) {
	l := newInFlight(1 << 20)
	for _, tc := range []struct{ size, want int64 }{
		{0, minWeight}, {-1, minWeight}, {1, minWeight}, {300 << 10, 300 << 10}, {1 << 20, 1 << 20}, {5 << 30, 1 << 20},
	} {
		if got := l.weight(tc.size); got != tc.want {
			t.Errorf("weight(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
	if got := newInFlight(0).max; got != DefaultMaxInFlight {
		t.Errorf("default bound %d, want %d", got, DefaultMaxInFlight)
	}
}

func TestInFlightBlocksAtTheBound(t *testing.T) {
	l := newInFlight(1 << 20)
	ctx := context.Background()
	a, err := l.acquire(ctx, 700<<10)
	if err != nil {
		t.Fatal(err)
	}
	// 700 KiB + 400 KiB > 1 MiB: the second waits for the first.
	got := make(chan int64)
	go func() {
		w, err := l.acquire(ctx, 400<<10)
		if err != nil {
			t.Error(err)
		}
		got <- w
	}()
	select {
	case <-got:
		t.Fatal("acquired past the bound")
	case <-time.After(50 * time.Millisecond):
	}
	l.release(a)
	select {
	case w := <-got:
		l.release(w)
	case <-time.After(5 * time.Second):
		t.Fatal("not acquired after the release")
	}
	// A larger object than the bound still goes, alone; a cancelled
	// context gives up waiting.
	big, err := l.acquire(ctx, 10<<20)
	if err != nil || big != 1<<20 {
		t.Fatalf("big object: weight %d, %v", big, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.acquire(cctx, 1); err == nil {
		t.Fatal("acquire with a cancelled context succeeded past the bound")
	}
	l.release(big)
}

// A bound smaller than every object still reads them all, one at a time,
// with the same findings.
func TestRunTinyInFlightBound(t *testing.T) {
	_, src := writeTree(t, gen.Sample())
	set := builtinSet(t)
	var want, got collect
	if _, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: set}, &want); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), Config{Sources: []reader.Source{src}, Rules: set, MaxInFlight: 1}, &got)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.keys(), want.keys()) || len(want.fs) == 0 {
		t.Fatalf("findings with a 1-byte bound:\n%v\nwant\n%v", got.keys(), want.keys())
	}
	if sum.Objects.Failed != 0 {
		t.Fatalf("%d objects failed", sum.Objects.Failed)
	}
}
