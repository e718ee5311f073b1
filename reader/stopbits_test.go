package reader

import (
	"math/rand/v2"
	"testing"
)

// TestStopBits: stopBits built in steps, over random bytes rich in quotes,
// backslashes and high bytes, answers next and anyHigh as a byte-by-byte
// scan does.
func TestStopBits(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2 on this CPU: the decoder scans strings without stopBits")
	}
	rng := rand.New(rand.NewPCG(7, 9))
	alphabet := []byte{'"', '\\', 'a', 'b', 0x80, 0xff, 0x7f, ' ', '{', 0x00, 0x1f, 0x20, '\t'}
	for round := range 300 {
		buf := make([]byte, rng.IntN(700)+1)
		for i := range buf {
			buf[i] = alphabet[rng.IntN(len(alphabet))]
			if rng.IntN(3) > 0 {
				buf[i] = 'x'
			}
		}
		var s stopBits
		if round%2 == 1 { // stale bits from a bigger buffer must not show
			s.update(make([]byte, 2048), 0, 2048)
			s.n = 0
		}
		covered := 0
		for covered < len(buf) {
			to := min(len(buf), covered+rng.IntN(200)+1)
			s.update(buf, covered, to)
			covered = to
			for range 20 {
				i := rng.IntN(covered + 1)
				want := i
				for want < covered && buf[want] != '"' && buf[want] != '\\' && buf[want] >= 0x20 {
					want++
				}
				if got := s.next(i); got != want {
					t.Fatalf("round %d, %d covered: next(%d) = %d, want %d", round, covered, i, got, want)
				}
				j := i + rng.IntN(covered-i+1)
				high := false
				for _, c := range buf[i:j] {
					high = high || c >= 0x80
				}
				if got := s.anyHigh(i, j); got != high {
					t.Fatalf("round %d: anyHigh(%d, %d) = %v, want %v", round, i, j, got, high)
				}
			}
		}
	}
}
