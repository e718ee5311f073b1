#include "textflag.h"

// func stopBitsAVX2(p *byte, blocks int, stop, hi *uint64)
//
// A stop byte is '"', '\\' or below 0x20. The signed compare 0x20 > c is
// true for c < 0x20 and for the non-ASCII bytes (negative as int8), so the
// stop mask is taken with the non-ASCII bits, then those are cleared with
// the hi mask, which is needed anyway: one compare instead of a min and a
// compare per 32 bytes.
TEXT ·stopBitsAVX2(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ blocks+8(FP), CX
	MOVQ stop+16(FP), DI
	MOVQ hi+24(FP), R8
	MOVQ $0x22, AX
	MOVQ AX, X0
	VPBROADCASTB X0, Y0 // '"'
	MOVQ $0x5c, AX
	MOVQ AX, X1
	VPBROADCASTB X1, Y1 // '\\'
	MOVQ $0x20, AX
	MOVQ AX, X8
	VPBROADCASTB X8, Y8 // the first byte that is not a control character

loop:
	TESTQ CX, CX
	JZ    done
	VMOVDQU (SI), Y2
	VMOVDQU 32(SI), Y3
	VPCMPEQB Y0, Y2, Y4
	VPCMPEQB Y1, Y2, Y5
	VPOR     Y4, Y5, Y4
	VPCMPGTB Y2, Y8, Y9 // 0x20 > c as int8: c < 0x20 or c >= 0x80
	VPOR     Y4, Y9, Y4
	VPMOVMSKB Y4, AX
	VPCMPEQB Y0, Y3, Y6
	VPCMPEQB Y1, Y3, Y7
	VPOR     Y6, Y7, Y6
	VPCMPGTB Y3, Y8, Y10
	VPOR     Y6, Y10, Y6
	VPMOVMSKB Y6, BX
	SHLQ $32, BX
	ORQ  BX, AX
	VPMOVMSKB Y2, DX
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ  BX, DX
	MOVQ DX, (R8)
	NOTQ DX
	ANDQ DX, AX // the non-ASCII bytes are not stops
	MOVQ AX, (DI)
	ADDQ $64, SI
	ADDQ $8, DI
	ADDQ $8, R8
	DECQ CX
	JMP  loop

done:
	VZEROUPPER
	RET
