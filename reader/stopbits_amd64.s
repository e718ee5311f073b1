#include "textflag.h"

// func stopBitsAVX2(p *byte, blocks int, stop, hi *uint64)
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
	MOVQ $0x1f, AX
	MOVQ AX, X8
	VPBROADCASTB X8, Y8 // the last control character

loop:
	TESTQ CX, CX
	JZ    done
	VMOVDQU (SI), Y2
	VMOVDQU 32(SI), Y3
	VPCMPEQB Y0, Y2, Y4
	VPCMPEQB Y1, Y2, Y5
	VPOR     Y4, Y5, Y4
	VPMINUB  Y8, Y2, Y9 // min(c, 0x1f) == c: c < 0x20
	VPCMPEQB Y9, Y2, Y9
	VPOR     Y4, Y9, Y4
	VPMOVMSKB Y4, AX
	VPCMPEQB Y0, Y3, Y6
	VPCMPEQB Y1, Y3, Y7
	VPOR     Y6, Y7, Y6
	VPMINUB  Y8, Y3, Y10
	VPCMPEQB Y10, Y3, Y10
	VPOR     Y6, Y10, Y6
	VPMOVMSKB Y6, BX
	SHLQ $32, BX
	ORQ  BX, AX
	MOVQ AX, (DI)
	VPMOVMSKB Y2, AX
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ  BX, AX
	MOVQ AX, (R8)
	ADDQ $64, SI
	ADDQ $8, DI
	ADDQ $8, R8
	DECQ CX
	JMP  loop

done:
	VZEROUPPER
	RET
