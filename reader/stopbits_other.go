//go:build !amd64

package reader

const haveAVX2 = false

func stopBitsAVX2(p *byte, blocks int, stop, hi *uint64) {
	panic("reader: stopBitsAVX2 without AVX2")
}
