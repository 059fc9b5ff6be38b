//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

// hasAsm reports whether the AVX2/FMA micro-kernel can run on this CPU.
var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x16 computes one 6×16 tile of C from kc packed steps of A (6
// values each) and B (16 values each): C = (C if acc != 0) + A·B, with C's
// rows ldc floats apart. Implemented in kernel_amd64.s.
//
//go:noescape
func kernel6x16(kc int, a, b, c *float32, ldc int, acc int)

// asmKernel runs the assembly micro-kernel on slices checked by the caller:
// len(a) ≥ 6·kc, len(b) ≥ 16·kc, and c holds 6 rows of 16 at stride ldc.
func asmKernel(kc int, a, b, c []float32, ldc int, acc bool) {
	_, _, _ = a[mr*kc-1], b[nr*kc-1], c[(mr-1)*ldc+nr-1] // bounds the assembly relies on
	f := 0
	if acc {
		f = 1
	}
	kernel6x16(kc, &a[0], &b[0], &c[0], ldc, f)
}
