//go:build amd64

package winograd

import "github.com/xrayllm/xray/internal/gemm"

// The assembly kernels (kernels_amd64.s), 16 values a step with AVX-512,
// 8 with AVX2; bounds are checked by the exported methods of Kernels.

//go:noescape
func butterfly16(o0, o1, o2, o3, a, b, c, d *float32, n, rows, sa, so int)

//go:noescape
func gather16(o0, o1, a, b, c, d *float32, n int)

//go:noescape
func gatherInterleaved16(dst, a, b, c, d *float32, n int)

//go:noescape
func butterfly8(o0, o1, o2, o3, a, b, c, d *float32, n, rows, sa, so int)

//go:noescape
func gather8(o0, o1, a, b, c, d *float32, n int)

//go:noescape
func gatherInterleaved8(dst, a, b, c, d *float32, n int)

// avx512Kernels are the AVX-512 kernels.
func avx512Kernels() Kernels {
	return Kernels{
		kernel: gemm.KernelAVX512,
		butterfly: func(o0, o1, o2, o3, a, b, c, d []float32, n, rows, sa, so int) {
			butterfly16(&o0[0], &o1[0], &o2[0], &o3[0], &a[0], &b[0], &c[0], &d[0], n, rows, sa, so)
		},
		gather: func(o0, o1, a, b, c, d []float32, n int) {
			gather16(&o0[0], &o1[0], &a[0], &b[0], &c[0], &d[0], n)
		},
		gatherInterleaved: func(dst, a, b, c, d []float32, n int) {
			gatherInterleaved16(&dst[0], &a[0], &b[0], &c[0], &d[0], n)
		},
		input6:             input6AVX512,
		output6:            output6AVX512,
		output6Interleaved: output6InterleavedAVX512,
	}
}

// avx2Kernels are the AVX2 kernels.
func avx2Kernels() Kernels {
	return Kernels{
		kernel: gemm.KernelAVX2,
		butterfly: func(o0, o1, o2, o3, a, b, c, d []float32, n, rows, sa, so int) {
			butterfly8(&o0[0], &o1[0], &o2[0], &o3[0], &a[0], &b[0], &c[0], &d[0], n, rows, sa, so)
		},
		gather: func(o0, o1, a, b, c, d []float32, n int) {
			gather8(&o0[0], &o1[0], &a[0], &b[0], &c[0], &d[0], n)
		},
		gatherInterleaved: func(dst, a, b, c, d []float32, n int) {
			gatherInterleaved8(&dst[0], &a[0], &b[0], &c[0], &d[0], n)
		},
		input6:             input6AVX2,
		output6:            output6AVX2,
		output6Interleaved: output6InterleavedAVX2,
	}
}
