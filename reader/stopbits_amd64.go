package reader

import "golang.org/x/sys/cpu"

var haveAVX2 = cpu.X86.HasAVX2

// stopBitsAVX2 sets stop[k] and hi[k] for the 64-byte blocks
// p[64k:64k+64], k < blocks (see stopBits).
//
//go:noescape
func stopBitsAVX2(p *byte, blocks int, stop, hi *uint64)
