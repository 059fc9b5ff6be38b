// Command asmgen writes package gemm's AVX-512 micro-kernels and its
// AVX-512 and AVX epilogues with avo:
//
//	go run . -out ../zkernels_amd64.s -stubs ../zkernels_amd64.go -pkg gemm
//
// It is a module of its own so that the library does not depend on avo.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// tileRows is the height of the AVX-512 register tile; kernels are
// generated for 1 to tilePanels panels of 16 columns.
const (
	tileRows   = 8
	tilePanels = 3
)

func main() {
	for np := 1; np <= tilePanels; np++ {
		tile(tileRows, np)
	}
	epilogue(16)
	epilogue(8)
	Generate()
}

// zmm returns the vector register Zn.
func zmm(n int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[n]
}

// tile writes kernel<mr>x<16·np>: C[mr×16np] = (C if acc) + A·B over kc
// steps, A packed mr values a step, B as np panels of 16 values a step,
// ps floats apart. Each sum runs over k in order with one rounding per
// multiply-add; with acc the tile's sums are then added to C.
func tile(mr, np int) {
	name := fmt.Sprintf("kernel%dx%d", mr, 16*np)
	TEXT(name, NOSPLIT, "func(kc int, a, b *float32, ps int, c *float32, ldc int, acc int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes C[%d×%d] (rows ldc floats apart) = (C if acc != 0) + A·B over kc packed steps of A (%d values) and %d B panels (16 values a step, ps floats apart).", name, mr, 16*np, mr, np))
	Load(Param("kc"), RCX)
	Load(Param("a"), RSI)
	Load(Param("b"), RDI)
	Load(Param("ps"), R9)
	SHLQ(U8(2), R9)
	Load(Param("c"), RDX)
	Load(Param("ldc"), R8)
	SHLQ(U8(2), R8)
	acc := func(i, p int) VecPhysical { return zmm(i*np + p) }
	bv := func(p int) VecPhysical { return zmm(mr*np + p) }
	for i := 0; i < mr; i++ {
		for p := 0; p < np; p++ {
			VPXORD(acc(i, p), acc(i, p), acc(i, p))
		}
	}
	TESTQ(RCX, RCX)
	JLE(LabelRef(name + "_done"))
	Label(name + "_loop")
	for p := 0; p < np; p++ {
		m := Mem{Base: RDI}
		if p > 0 {
			m = Mem{Base: RDI, Index: R9, Scale: uint8(p)}
		}
		VMOVUPS(m, bv(p))
	}
	for i := 0; i < mr; i++ {
		for p := 0; p < np; p++ {
			VFMADD231PS_BCST(Mem{Base: RSI, Disp: 4 * i}, bv(p), acc(i, p))
		}
	}
	ADDQ(U32(4*mr), RSI)
	ADDQ(U8(64), RDI)
	DECQ(RCX)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	Load(Param("acc"), RAX)
	TESTQ(RAX, RAX)
	JEQ(LabelRef(name + "_store"))
	for i := 0; i < mr; i++ {
		for p := 0; p < np; p++ {
			VADDPS(Mem{Base: RDX, Disp: 64 * p}, acc(i, p), acc(i, p))
		}
		if i < mr-1 {
			ADDQ(R8, RDX)
		}
	}
	Load(Param("c"), RDX)
	Label(name + "_store")
	for i := 0; i < mr; i++ {
		for p := 0; p < np; p++ {
			VMOVUPS(acc(i, p), Mem{Base: RDX, Disp: 64 * p})
		}
		if i < mr-1 {
			ADDQ(R8, RDX)
		}
	}
	VZEROUPPER()
	RET()
}

// Flags of the epilogues, one per step of gemm.Epilogue.
const (
	flagScale = 1 << iota
	flagShift
	flagResidual
	flagReLU
)

// epilogue writes epilogue<lanes>, which applies gemm.Epilogue's steps to
// n vectors of lanes values of a row (AVX-512 for 16 lanes, AVX for 8):
// v = v*scale, v += shift, v += res[j], v = max(v, 0) as Go computes it,
// each step rounded and only if its flag is set.
func epilogue(lanes int) {
	name := fmt.Sprintf("epilogue%d", lanes)
	TEXT(name, NOSPLIT, "func(row *float32, n int, scale, shift float32, res *float32, flags int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s applies the epilogue steps selected by flags (1 scale, 2 shift, 4 residual, 8 ReLU) to n·%d values of row, each step rounded to float32.", name, lanes))
	Load(Param("row"), RDI)
	Load(Param("n"), RCX)
	Load(Param("res"), RSI)
	Load(Param("flags"), RAX)
	vec := func(n int) VecPhysical { return []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5}[n] }
	if lanes == 16 {
		vec = zmm
	}
	scale, shift, zero, v, t, nan := vec(0), vec(1), vec(2), vec(3), vec(4), vec(5)
	VBROADCASTSS(NewParamAddr("scale", 16), scale)
	VBROADCASTSS(NewParamAddr("shift", 20), shift)
	if lanes == 16 {
		VPXORD(zero, zero, zero)
	} else {
		VXORPS(zero, zero, zero)
	}
	TESTQ(RCX, RCX)
	JLE(LabelRef(name + "_done"))
	Label(name + "_loop")
	VMOVUPS(Mem{Base: RDI}, v)
	step := func(flag int, label string, op func()) {
		TESTQ(U32(flag), RAX)
		JEQ(LabelRef(name + label))
		op()
		Label(name + label)
	}
	step(flagScale, "_noscale", func() { VMULPS(scale, v, v) })
	step(flagShift, "_noshift", func() { VADDPS(shift, v, v) })
	step(flagResidual, "_nores", func() { VADDPS(Mem{Base: RSI}, v, v) })
	// Go's max(v, 0): VMAXPS gives v > 0 ? v : +0, which turns -0 into
	// +0 as Go does; NaN lanes (unordered with themselves) keep v.
	step(flagReLU, "_norelu", func() {
		VMAXPS(zero, v, t)
		if lanes == 16 {
			VCMPPS(U8(3), v, v, K1)
			VMOVAPS(v, K1, t)
		} else {
			VCMPPS(U8(3), v, v, nan)
			VBLENDVPS(nan, v, t, t)
		}
		VMOVAPS(t, v)
	})
	VMOVUPS(v, Mem{Base: RDI})
	ADDQ(U8(4*lanes), RDI)
	ADDQ(U8(4*lanes), RSI)
	DECQ(RCX)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
