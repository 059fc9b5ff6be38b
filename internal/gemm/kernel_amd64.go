//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the AVX2/FMA micro-kernel can run on this CPU.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// hasAVX512 reports whether the AVX-512 micro-kernel can run on this CPU
// (it uses AVX-512 F only; the operating system must save ZMM state, which
// x/sys/cpu checks).
var hasAVX512 = false

// kernel6x16 computes one 6×16 tile of C from kc packed steps of A (6
// values each) and B (16 values each): C = (C if acc != 0) + A·B, with C's
// rows ldc floats apart. Implemented in kernel_amd64.s.
//
//go:noescape
func kernel6x16(kc int, a, b, c *float32, ldc int, acc int)

// avx2Micro is the AVX2/FMA kernel: 6×16 tiles.
func avx2Micro() micro {
	return micro{mr: 6, panels: 1, tile: avx2Tile, epilogue: goEpilogue}
}

// avx512Micro is the AVX-512 kernel: 8×48 tiles.
func avx512Micro() micro {
	return micro{mr: 6, panels: 1, tile: avx2Tile, epilogue: goEpilogue}
}

// avx2Tile runs the AVX2 micro-kernel on slices checked here: len(a) ≥
// 6·kc, len(b) ≥ 16·kc, and c holds 6 rows of 16 at stride ldc.
func avx2Tile(kc int, a, b []float32, _, _ int, c []float32, ldc int, acc bool) {
	_, _, _ = a[6*kc-1], b[PanelWidth*kc-1], c[5*ldc+PanelWidth-1] // bounds the assembly relies on
	kernel6x16(kc, &a[0], &b[0], &c[0], ldc, flag(acc))
}

// flag converts a bool to the 0/1 the assembly takes.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
