//go:build amd64

#include "textflag.h"

// The F(4×4, 3×3) kernels (see f4.go): Bᵀ and Aᵀ on six values at a time,
// each value by the float32 operations of input6 and output6 in their
// order (the products by 5 rounded before they are subtracted, never
// fused), so that they agree bit for bit with the portable kernels.

DATA four<>+0(SB)/4, $0x40800000  // 4.0
GLOBL four<>(SB), RODATA|NOPTR, $4

DATA five<>+0(SB)/4, $0x40a00000  // 5.0
GLOBL five<>(SB), RODATA|NOPTR, $4

DATA eight<>+0(SB)/4, $0x41000000 // 8.0
GLOBL eight<>(SB), RODATA|NOPTR, $4

// interleaveQLo and interleaveQHi pick, for VPERMT2PD, the first and the
// last four 64-bit values of two vectors alternately: x0 y0 x1 y1 ….
DATA interleaveQLo<>+0(SB)/8, $0
DATA interleaveQLo<>+8(SB)/8, $8
DATA interleaveQLo<>+16(SB)/8, $1
DATA interleaveQLo<>+24(SB)/8, $9
DATA interleaveQLo<>+32(SB)/8, $2
DATA interleaveQLo<>+40(SB)/8, $10
DATA interleaveQLo<>+48(SB)/8, $3
DATA interleaveQLo<>+56(SB)/8, $11
GLOBL interleaveQLo<>(SB), RODATA|NOPTR, $64

DATA interleaveQHi<>+0(SB)/8, $4
DATA interleaveQHi<>+8(SB)/8, $12
DATA interleaveQHi<>+16(SB)/8, $5
DATA interleaveQHi<>+24(SB)/8, $13
DATA interleaveQHi<>+32(SB)/8, $6
DATA interleaveQHi<>+40(SB)/8, $14
DATA interleaveQHi<>+48(SB)/8, $7
DATA interleaveQHi<>+56(SB)/8, $15
GLOBL interleaveQHi<>(SB), RODATA|NOPTR, $64

// The registers the kernels share: the six inputs' pointers AX, BX, CX,
// DX, SI and R8 (loaded by LOADIN6 from the array at DI), the byte offset
// DI into every run.

#define LOADIN6 \
	MOVQ 0(DI), AX; \
	MOVQ 8(DI), BX; \
	MOVQ 16(DI), CX; \
	MOVQ 24(DI), DX; \
	MOVQ 32(DI), SI; \
	MOVQ 40(DI), R8

#define LOAD6(v0, v1, v2, v3, v4, v5) \
	VMOVUPS (AX)(DI*1), v0; \
	VMOVUPS (BX)(DI*1), v1; \
	VMOVUPS (CX)(DI*1), v2; \
	VMOVUPS (DX)(DI*1), v3; \
	VMOVUPS (SI)(DI*1), v4; \
	VMOVUPS (R8)(DI*1), v5

// INPUT6 is input6 on vectors: Bᵀ (d0, …, d5) into (o0, d0, d1, d2, d3,
// o5), with t0…t3 and x as scratch and four and five holding 4 and 5;
// 4·d1 (exact) is computed once, into o5, for both t1 and o5.
// (In Go's operand order, VSUBPS a, b, c is c = b − a.)
#define INPUT6(d0, d1, d2, d3, d4, d5, t0, t1, t2, t3, o0, o5, x, four, five) \
	VMULPS four, d2, t0; \
	VSUBPS t0, d4, t0; \
	VMULPS four, d1, o5; \
	VSUBPS o5, d3, t1; \
	VSUBPS d2, d4, t2; \
	VSUBPS d1, d3, t3; \
	VADDPS t3, t3, t3; \
	VMULPS four, d0, o0; \
	VMULPS five, d2, x; \
	VSUBPS x, o0, o0; \
	VADDPS d4, o0, o0; \
	VMULPS five, d3, x; \
	VSUBPS x, o5, o5; \
	VADDPS d5, o5, o5; \
	VADDPS t1, t0, d0; \
	VSUBPS t1, t0, d1; \
	VADDPS t3, t2, d2; \
	VSUBPS t3, t2, d3

// OUTPUT6 is output6 on vectors: Aᵀ (m0, …, m5) into y0…y3, with s12,
// d12, s34 and d34 as scratch and four and eight holding 4 and 8.
#define OUTPUT6(m0, m1, m2, m3, m4, m5, s12, d12, s34, d34, y0, y1, y2, y3, four, eight) \
	VADDPS m2, m1, s12; \
	VSUBPS m2, m1, d12; \
	VADDPS m4, m3, s34; \
	VSUBPS m4, m3, d34; \
	VADDPS s12, m0, y0; \
	VADDPS s34, y0, y0; \
	VADDPS d34, d34, y1; \
	VADDPS y1, d12, y1; \
	VMULPS four, s34, y2; \
	VADDPS y2, s12, y2; \
	VMULPS eight, d34, y3; \
	VADDPS y3, d12, y3; \
	VADDPS m5, y3, y3

// INPUT6PROLOGUE loads the pointers of input6x16 and input6x8 (the
// outputs' into R9…R14) and turns n, sa and so into bytes in their
// argument slots: the twelve pointers take the registers.
#define INPUT6PROLOGUE \
	MOVQ in+8(FP), DI; \
	LOADIN6; \
	MOVQ o+0(FP), DI; \
	MOVQ 0(DI), R9; \
	MOVQ 8(DI), R10; \
	MOVQ 16(DI), R11; \
	MOVQ 24(DI), R12; \
	MOVQ 32(DI), R13; \
	MOVQ 40(DI), R14; \
	MOVQ n+16(FP), DI; \
	SHLQ $2, DI; \
	MOVQ DI, n+16(FP); \
	MOVQ sa+32(FP), DI; \
	SHLQ $2, DI; \
	MOVQ DI, sa+32(FP); \
	MOVQ so+40(FP), DI; \
	SHLQ $2, DI; \
	MOVQ DI, so+40(FP)

// INPUT6NEXTROW moves the twelve pointers of input6x16 and input6x8 to
// the next run and counts the runs down, setting the flags for JGT.
#define INPUT6NEXTROW \
	MOVQ sa+32(FP), DI; \
	ADDQ DI, AX; \
	ADDQ DI, BX; \
	ADDQ DI, CX; \
	ADDQ DI, DX; \
	ADDQ DI, SI; \
	ADDQ DI, R8; \
	MOVQ so+40(FP), DI; \
	ADDQ DI, R9; \
	ADDQ DI, R10; \
	ADDQ DI, R11; \
	ADDQ DI, R12; \
	ADDQ DI, R13; \
	ADDQ DI, R14; \
	DECQ rows+24(FP)

// OUTPUT6PROLOGUE loads the pointers of output6x16 and output6x8 (the
// outputs' into R9…R12) and n into R13, to count down.
#define OUTPUT6PROLOGUE \
	MOVQ in+8(FP), DI; \
	LOADIN6; \
	MOVQ o+0(FP), DI; \
	MOVQ 0(DI), R9; \
	MOVQ 8(DI), R10; \
	MOVQ 16(DI), R11; \
	MOVQ 24(DI), R12; \
	MOVQ n+16(FP), R13; \
	XORQ DI, DI

// INTERLEAVEDPROLOGUE loads the pointers of output6Interleaved16 and
// output6Interleaved8 (dst's into R9) and n into R13, to count down.
#define INTERLEAVEDPROLOGUE \
	MOVQ in+8(FP), DI; \
	LOADIN6; \
	MOVQ dst+0(FP), R9; \
	MOVQ n+16(FP), R13; \
	XORQ DI, DI

// func input6x16(o, in *[6]*float32, n, rows, sa, so int)
//
// Input6, 16 values a step (see Kernels.Input6).
TEXT ·input6x16(SB), NOSPLIT, $0-48
	VBROADCASTSS four<>(SB), Z30
	VBROADCASTSS five<>(SB), Z31
	INPUT6PROLOGUE

row:
	XORQ DI, DI

step:
	LOAD6(Z0, Z1, Z2, Z3, Z4, Z5)
	INPUT6(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z30, Z31)
	VMOVUPS Z10, (R9)(DI*1)
	VMOVUPS Z0, (R10)(DI*1)
	VMOVUPS Z1, (R11)(DI*1)
	VMOVUPS Z2, (R12)(DI*1)
	VMOVUPS Z3, (R13)(DI*1)
	VMOVUPS Z11, (R14)(DI*1)
	ADDQ    $64, DI
	CMPQ    DI, n+16(FP)
	JLT     step
	INPUT6NEXTROW
	JGT     row
	VZEROUPPER
	RET

// func output6x16(o *[4]*float32, in *[6]*float32, n int)
//
// Output6, 16 values a step (see Kernels.Output6).
TEXT ·output6x16(SB), NOSPLIT, $0-24
	VBROADCASTSS four<>(SB), Z30
	VBROADCASTSS eight<>(SB), Z31
	OUTPUT6PROLOGUE

step:
	LOAD6(Z0, Z1, Z2, Z3, Z4, Z5)
	OUTPUT6(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z30, Z31)
	VMOVUPS Z10, (R9)(DI*1)
	VMOVUPS Z11, (R10)(DI*1)
	VMOVUPS Z12, (R11)(DI*1)
	VMOVUPS Z13, (R12)(DI*1)
	ADDQ    $64, DI
	SUBQ    $16, R13
	JGT     step
	VZEROUPPER
	RET

// func output6Interleaved16(dst *float32, in *[6]*float32, n int)
//
// Output6Interleaved, 16 values a step (see Kernels.Output6Interleaved):
// y0…y3 transposed, pairs of 32-bit values interleaved by VPERMT2PS,
// then pairs of 64-bit values by VPERMT2PD.
TEXT ·output6Interleaved16(SB), NOSPLIT, $0-24
	VBROADCASTSS four<>(SB), Z30
	VBROADCASTSS eight<>(SB), Z31
	VMOVUPS ·interleaveLo(SB), Z26
	VMOVUPS ·interleaveHi(SB), Z27
	VMOVUPS interleaveQLo<>(SB), Z28
	VMOVUPS interleaveQHi<>(SB), Z29
	INTERLEAVEDPROLOGUE

step:
	LOAD6(Z0, Z1, Z2, Z3, Z4, Z5)
	OUTPUT6(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z30, Z31)
	VMOVAPS   Z10, Z14    // y0 y1 pairs, values 0…7 and 8…15
	VPERMT2PS Z11, Z26, Z14
	VPERMT2PS Z11, Z27, Z10
	VMOVAPS   Z12, Z15    // y2 y3 pairs
	VPERMT2PS Z13, Z26, Z15
	VPERMT2PS Z13, Z27, Z12
	VMOVAPD   Z14, Z16    // tiles 0…3, 4…7
	VPERMT2PD Z15, Z28, Z16
	VPERMT2PD Z15, Z29, Z14
	VMOVAPD   Z10, Z17    // tiles 8…11, 12…15
	VPERMT2PD Z12, Z28, Z17
	VPERMT2PD Z12, Z29, Z10
	VMOVUPS   Z16, (R9)(DI*4)
	VMOVUPS   Z14, 64(R9)(DI*4)
	VMOVUPS   Z17, 128(R9)(DI*4)
	VMOVUPS   Z10, 192(R9)(DI*4)
	ADDQ    $64, DI
	SUBQ    $16, R13
	JGT     step
	VZEROUPPER
	RET

// func input6x8(o, in *[6]*float32, n, rows, sa, so int)
//
// Input6, 8 values a step (see input6x16).
TEXT ·input6x8(SB), NOSPLIT, $0-48
	VBROADCASTSS four<>(SB), Y14
	VBROADCASTSS five<>(SB), Y15
	INPUT6PROLOGUE

row:
	XORQ DI, DI

step:
	LOAD6(Y0, Y1, Y2, Y3, Y4, Y5)
	INPUT6(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y14, Y15)
	VMOVUPS Y10, (R9)(DI*1)
	VMOVUPS Y0, (R10)(DI*1)
	VMOVUPS Y1, (R11)(DI*1)
	VMOVUPS Y2, (R12)(DI*1)
	VMOVUPS Y3, (R13)(DI*1)
	VMOVUPS Y11, (R14)(DI*1)
	ADDQ    $32, DI
	CMPQ    DI, n+16(FP)
	JLT     step
	INPUT6NEXTROW
	JGT     row
	VZEROUPPER
	RET

// func output6x8(o *[4]*float32, in *[6]*float32, n int)
//
// Output6, 8 values a step (see output6x16).
TEXT ·output6x8(SB), NOSPLIT, $0-24
	VBROADCASTSS four<>(SB), Y14
	VBROADCASTSS eight<>(SB), Y15
	OUTPUT6PROLOGUE

step:
	LOAD6(Y0, Y1, Y2, Y3, Y4, Y5)
	OUTPUT6(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)
	VMOVUPS Y10, (R9)(DI*1)
	VMOVUPS Y11, (R10)(DI*1)
	VMOVUPS Y12, (R11)(DI*1)
	VMOVUPS Y13, (R12)(DI*1)
	ADDQ    $32, DI
	SUBQ    $8, R13
	JGT     step
	VZEROUPPER
	RET

// func output6Interleaved8(dst *float32, in *[6]*float32, n int)
//
// Output6Interleaved, 8 values a step (see output6Interleaved16): y0…y3
// transposed in each 128-bit half by VUNPCKLPS/HPS and VUNPCKLPD/HPD,
// the halves put in order by VPERM2F128.
TEXT ·output6Interleaved8(SB), NOSPLIT, $0-24
	VBROADCASTSS four<>(SB), Y14
	VBROADCASTSS eight<>(SB), Y15
	INTERLEAVEDPROLOGUE

step:
	LOAD6(Y0, Y1, Y2, Y3, Y4, Y5)
	OUTPUT6(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)
	VUNPCKLPS  Y11, Y10, Y0 // per half h: y0 y1 of tiles 4h, 4h+1
	VUNPCKHPS  Y11, Y10, Y1 // tiles 4h+2, 4h+3
	VUNPCKLPS  Y13, Y12, Y2 // y2 y3 of tiles 4h, 4h+1
	VUNPCKHPS  Y13, Y12, Y3 // tiles 4h+2, 4h+3
	VUNPCKLPD  Y2, Y0, Y4   // tile 4h
	VUNPCKHPD  Y2, Y0, Y5   // tile 4h+1
	VUNPCKLPD  Y3, Y1, Y6   // tile 4h+2
	VUNPCKHPD  Y3, Y1, Y7   // tile 4h+3
	VPERM2F128 $0x20, Y5, Y4, Y0 // tiles 0, 1
	VPERM2F128 $0x20, Y7, Y6, Y1 // tiles 2, 3
	VPERM2F128 $0x31, Y5, Y4, Y2 // tiles 4, 5
	VPERM2F128 $0x31, Y7, Y6, Y3 // tiles 6, 7
	VMOVUPS    Y0, (R9)(DI*4)
	VMOVUPS    Y1, 32(R9)(DI*4)
	VMOVUPS    Y2, 64(R9)(DI*4)
	VMOVUPS    Y3, 96(R9)(DI*4)
	ADDQ    $32, DI
	SUBQ    $8, R13
	JGT     step
	VZEROUPPER
	RET
