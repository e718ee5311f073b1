package reader

import "math/bits"

// stopBits marks, one bit per byte of the decoder's buffer, the bytes a
// string scan stops at ('"', '\\' and control characters, which JSON
// wants escaped) and the bytes with the high bit set
// (non-ASCII), so that composite skips a string by finding the next set
// bit instead of reading its bytes. Word k covers buf[64k:64k+64]. Built
// with AVX2 where the CPU has it (stopBitsAVX2); without, composite scans
// strings eight bytes at a time (skipStr) and stopBits is unused.
type stopBits struct {
	stop, hi []uint64
	n        int // bytes of the buffer covered, from 0; the bits of later bytes in its last word are clear
}

// useStopBits is whether decoders build stopBits: on CPUs with AVX2. Tests
// turn it off to check both ways of scanning strings agree.
var useStopBits = haveAVX2

// update covers buf[:to], given that buf[:from] is covered and unchanged.
func (s *stopBits) update(buf []byte, from, to int) {
	from = min(from, s.n) &^ 63 // restart at the word holding from
	words := (to + 63) >> 6
	if cap(s.stop) < words {
		n := max(words, 2*cap(s.stop))
		stop, hi := make([]uint64, n), make([]uint64, n)
		copy(stop, s.stop[:from>>6])
		copy(hi, s.hi[:from>>6])
		s.stop, s.hi = stop, hi
	}
	s.stop, s.hi = s.stop[:cap(s.stop)], s.hi[:cap(s.hi)]
	full := (to - from) >> 6 // whole 64-byte blocks
	if full > 0 {
		stopBitsAVX2(&buf[from], full, &s.stop[from>>6], &s.hi[from>>6])
	}
	if rest := from + full<<6; rest < to {
		var st, hi uint64
		for i, c := range buf[rest:to] {
			if c == '"' || c == '\\' || c < 0x20 {
				st |= 1 << i
			}
			if c >= 0x80 {
				hi |= 1 << i
			}
		}
		s.stop[rest>>6], s.hi[rest>>6] = st, hi
	}
	s.n = to
}

// word returns the stop bits of the bytes from i to the end of i's word
// (bit 0 is i), 0 when i is not covered.
func (s *stopBits) word(i int) uint64 {
	if uint(i) >= uint(s.n) {
		return 0
	}
	return s.stop[i>>6] >> (i & 63)
}

// next returns the index of the first stop byte at or after i, or s.n
// when there is none in the covered bytes.
func (s *stopBits) next(i int) int {
	if i >= s.n {
		return s.n
	}
	w := i >> 6
	if m := s.stop[w] >> (i & 63); m != 0 {
		return min(i+bits.TrailingZeros64(m), s.n)
	}
	last := (s.n - 1) >> 6
	for w++; w <= last; w++ {
		if m := s.stop[w]; m != 0 {
			return min(w<<6+bits.TrailingZeros64(m), s.n)
		}
	}
	return s.n
}

// anyHigh reports whether a byte of buf[from:to] has its high bit set;
// to must be covered.
func (s *stopBits) anyHigh(from, to int) bool {
	if from >= to {
		return false
	}
	fw, lw := from>>6, (to-1)>>6
	first := ^uint64(0) << (from & 63)
	lastMask := ^uint64(0) >> (63 - (to-1)&63)
	if fw == lw {
		return s.hi[fw]&first&lastMask != 0
	}
	if s.hi[fw]&first != 0 || s.hi[lw]&lastMask != 0 {
		return true
	}
	for w := fw + 1; w < lw; w++ {
		if s.hi[w] != 0 {
			return true
		}
	}
	return false
}
