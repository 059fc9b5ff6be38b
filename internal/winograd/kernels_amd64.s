//go:build amd64

#include "textflag.h"

// interleaveLo and interleaveHi (shared with f4_amd64.s) pick, for
// VPERMT2PS, the first and the last eight values of two vectors
// alternately: x0 y0 x1 y1 ….
DATA ·interleaveLo+0(SB)/4, $0
DATA ·interleaveLo+4(SB)/4, $16
DATA ·interleaveLo+8(SB)/4, $1
DATA ·interleaveLo+12(SB)/4, $17
DATA ·interleaveLo+16(SB)/4, $2
DATA ·interleaveLo+20(SB)/4, $18
DATA ·interleaveLo+24(SB)/4, $3
DATA ·interleaveLo+28(SB)/4, $19
DATA ·interleaveLo+32(SB)/4, $4
DATA ·interleaveLo+36(SB)/4, $20
DATA ·interleaveLo+40(SB)/4, $5
DATA ·interleaveLo+44(SB)/4, $21
DATA ·interleaveLo+48(SB)/4, $6
DATA ·interleaveLo+52(SB)/4, $22
DATA ·interleaveLo+56(SB)/4, $7
DATA ·interleaveLo+60(SB)/4, $23
GLOBL ·interleaveLo(SB), RODATA|NOPTR, $64

DATA ·interleaveHi+0(SB)/4, $8
DATA ·interleaveHi+4(SB)/4, $24
DATA ·interleaveHi+8(SB)/4, $9
DATA ·interleaveHi+12(SB)/4, $25
DATA ·interleaveHi+16(SB)/4, $10
DATA ·interleaveHi+20(SB)/4, $26
DATA ·interleaveHi+24(SB)/4, $11
DATA ·interleaveHi+28(SB)/4, $27
DATA ·interleaveHi+32(SB)/4, $12
DATA ·interleaveHi+36(SB)/4, $28
DATA ·interleaveHi+40(SB)/4, $13
DATA ·interleaveHi+44(SB)/4, $29
DATA ·interleaveHi+48(SB)/4, $14
DATA ·interleaveHi+52(SB)/4, $30
DATA ·interleaveHi+56(SB)/4, $15
DATA ·interleaveHi+60(SB)/4, $31
GLOBL ·interleaveHi(SB), RODATA|NOPTR, $64

// func butterfly16(o0, o1, o2, o3, a, b, c, d *float32, n, rows, sa, so int)
//
// Butterfly, 16 values a step (see Kernels.Butterfly).
TEXT ·butterfly16(SB), NOSPLIT, $0-96
	MOVQ o0+0(FP), R8
	MOVQ o1+8(FP), R9
	MOVQ o2+16(FP), R10
	MOVQ o3+24(FP), R11
	MOVQ a+32(FP), AX
	MOVQ b+40(FP), BX
	MOVQ c+48(FP), CX
	MOVQ d+56(FP), DX
	MOVQ rows+72(FP), R12
	MOVQ sa+80(FP), R13
	SHLQ $2, R13
	MOVQ so+88(FP), R14
	SHLQ $2, R14

row:
	MOVQ n+64(FP), SI
	XORQ DI, DI

step:
	VMOVUPS (AX)(DI*1), Z0
	VMOVUPS (BX)(DI*1), Z1
	VMOVUPS (CX)(DI*1), Z2
	VMOVUPS (DX)(DI*1), Z3
	VSUBPS  Z2, Z0, Z4
	VADDPS  Z2, Z1, Z5
	VSUBPS  Z1, Z2, Z6
	VSUBPS  Z3, Z1, Z7
	VMOVUPS Z4, (R8)(DI*1)
	VMOVUPS Z5, (R9)(DI*1)
	VMOVUPS Z6, (R10)(DI*1)
	VMOVUPS Z7, (R11)(DI*1)
	ADDQ    $64, DI
	SUBQ    $16, SI
	JGT     step
	ADDQ    R13, AX
	ADDQ    R13, BX
	ADDQ    R13, CX
	ADDQ    R13, DX
	ADDQ    R14, R8
	ADDQ    R14, R9
	ADDQ    R14, R10
	ADDQ    R14, R11
	DECQ    R12
	JGT     row
	VZEROUPPER
	RET

// func gather16(o0, o1, a, b, c, d *float32, n int)
//
// Gather, 16 values a step (see Kernels.Gather).
TEXT ·gather16(SB), NOSPLIT, $0-56
	MOVQ o0+0(FP), R8
	MOVQ o1+8(FP), R9
	MOVQ a+16(FP), AX
	MOVQ b+24(FP), BX
	MOVQ c+32(FP), CX
	MOVQ d+40(FP), DX
	MOVQ n+48(FP), SI
	XORQ DI, DI

step:
	VMOVUPS (AX)(DI*1), Z0
	VMOVUPS (BX)(DI*1), Z1
	VMOVUPS (CX)(DI*1), Z2
	VMOVUPS (DX)(DI*1), Z3
	VADDPS  Z1, Z0, Z4
	VADDPS  Z2, Z4, Z4
	VSUBPS  Z2, Z1, Z5
	VSUBPS  Z3, Z5, Z5
	VMOVUPS Z4, (R8)(DI*1)
	VMOVUPS Z5, (R9)(DI*1)
	ADDQ    $64, DI
	SUBQ    $16, SI
	JGT     step
	VZEROUPPER
	RET

// func gatherInterleaved16(dst, a, b, c, d *float32, n int)
//
// GatherInterleaved, 16 values a step (see Kernels.GatherInterleaved).
TEXT ·gatherInterleaved16(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), R8
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), CX
	MOVQ d+32(FP), DX
	MOVQ n+40(FP), SI
	XORQ DI, DI
	VMOVUPS ·interleaveLo(SB), Z8
	VMOVUPS ·interleaveHi(SB), Z9

step:
	VMOVUPS (AX)(DI*1), Z0
	VMOVUPS (BX)(DI*1), Z1
	VMOVUPS (CX)(DI*1), Z2
	VMOVUPS (DX)(DI*1), Z3
	VADDPS  Z1, Z0, Z4
	VADDPS  Z2, Z4, Z4
	VSUBPS  Z2, Z1, Z5
	VSUBPS  Z3, Z5, Z5
	VMOVAPS   Z4, Z6
	VPERMT2PS Z5, Z8, Z6
	VPERMT2PS Z5, Z9, Z4
	VMOVUPS   Z6, (R8)(DI*2)
	VMOVUPS   Z4, 64(R8)(DI*2)
	ADDQ    $64, DI
	SUBQ    $16, SI
	JGT     step
	VZEROUPPER
	RET

// func butterfly8(o0, o1, o2, o3, a, b, c, d *float32, n, rows, sa, so int)
//
// Butterfly, 8 values a step (see Kernels.Butterfly).
TEXT ·butterfly8(SB), NOSPLIT, $0-96
	MOVQ o0+0(FP), R8
	MOVQ o1+8(FP), R9
	MOVQ o2+16(FP), R10
	MOVQ o3+24(FP), R11
	MOVQ a+32(FP), AX
	MOVQ b+40(FP), BX
	MOVQ c+48(FP), CX
	MOVQ d+56(FP), DX
	MOVQ rows+72(FP), R12
	MOVQ sa+80(FP), R13
	SHLQ $2, R13
	MOVQ so+88(FP), R14
	SHLQ $2, R14

row:
	MOVQ n+64(FP), SI
	XORQ DI, DI

step:
	VMOVUPS (AX)(DI*1), Y0
	VMOVUPS (BX)(DI*1), Y1
	VMOVUPS (CX)(DI*1), Y2
	VMOVUPS (DX)(DI*1), Y3
	VSUBPS  Y2, Y0, Y4
	VADDPS  Y2, Y1, Y5
	VSUBPS  Y1, Y2, Y6
	VSUBPS  Y3, Y1, Y7
	VMOVUPS Y4, (R8)(DI*1)
	VMOVUPS Y5, (R9)(DI*1)
	VMOVUPS Y6, (R10)(DI*1)
	VMOVUPS Y7, (R11)(DI*1)
	ADDQ    $32, DI
	SUBQ    $8, SI
	JGT     step
	ADDQ    R13, AX
	ADDQ    R13, BX
	ADDQ    R13, CX
	ADDQ    R13, DX
	ADDQ    R14, R8
	ADDQ    R14, R9
	ADDQ    R14, R10
	ADDQ    R14, R11
	DECQ    R12
	JGT     row
	VZEROUPPER
	RET

// func gather8(o0, o1, a, b, c, d *float32, n int)
//
// Gather, 8 values a step (see Kernels.Gather).
TEXT ·gather8(SB), NOSPLIT, $0-56
	MOVQ o0+0(FP), R8
	MOVQ o1+8(FP), R9
	MOVQ a+16(FP), AX
	MOVQ b+24(FP), BX
	MOVQ c+32(FP), CX
	MOVQ d+40(FP), DX
	MOVQ n+48(FP), SI
	XORQ DI, DI

step:
	VMOVUPS (AX)(DI*1), Y0
	VMOVUPS (BX)(DI*1), Y1
	VMOVUPS (CX)(DI*1), Y2
	VMOVUPS (DX)(DI*1), Y3
	VADDPS  Y1, Y0, Y4
	VADDPS  Y2, Y4, Y4
	VSUBPS  Y2, Y1, Y5
	VSUBPS  Y3, Y5, Y5
	VMOVUPS Y4, (R8)(DI*1)
	VMOVUPS Y5, (R9)(DI*1)
	ADDQ    $32, DI
	SUBQ    $8, SI
	JGT     step
	VZEROUPPER
	RET

// func gatherInterleaved8(dst, a, b, c, d *float32, n int)
//
// GatherInterleaved, 8 values a step (see Kernels.GatherInterleaved).
TEXT ·gatherInterleaved8(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), R8
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), CX
	MOVQ d+32(FP), DX
	MOVQ n+40(FP), SI
	XORQ DI, DI

step:
	VMOVUPS (AX)(DI*1), Y0
	VMOVUPS (BX)(DI*1), Y1
	VMOVUPS (CX)(DI*1), Y2
	VMOVUPS (DX)(DI*1), Y3
	VADDPS  Y1, Y0, Y4
	VADDPS  Y2, Y4, Y4
	VSUBPS  Y2, Y1, Y5
	VSUBPS  Y3, Y5, Y5
	VUNPCKLPS  Y5, Y4, Y6
	VUNPCKHPS  Y5, Y4, Y7
	VPERM2F128 $0x20, Y7, Y6, Y0
	VPERM2F128 $0x31, Y7, Y6, Y1
	VMOVUPS    Y0, (R8)(DI*2)
	VMOVUPS    Y1, 32(R8)(DI*2)
	ADDQ    $32, DI
	SUBQ    $8, SI
	JGT     step
	VZEROUPPER
	RET
