// Package winograd holds the arithmetic of Winograd's F(2×2, 3×3) and
// F(4×4, 3×3) convolutions apart from their products: the filter
// transforms, the layouts of a padded image that make every input tile a
// set of contiguous runs, and the input and output transforms as vector
// kernels (AVX-512, AVX2 or portable Go, like package gemm's
// micro-kernels). F(4×4, 3×3) is in f4.go.
//
// A 3×3, stride-1 convolution computes each 2×2 block of output from the
// 4×4 input tile d around it (tiles overlap by 2) and a filter g as
//
//	Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
//
// with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½;
// ½ −½ ½; 0 0 1] and Aᵀ = [1 1 1 0; 0 1 −1 −1]. Both Bᵀ and Aᵀ act on
// four values at a time by the same few additions, which the kernels
// apply element by element to runs of tiles: Butterfly is Bᵀ (or B) and
// Gather is Aᵀ (or A).
//
// Every kernel computes each value by the same float32 operations in the
// same order, so the three instruction sets agree bit for bit. A kernel
// reads and writes whole vectors: the slices it is given must hold
// Span(n) values past each run's start (see the kernels' comments).
package winograd

import (
	"fmt"

	"github.com/xrayllm/xray/internal/gemm"
)

// Tiles is the number of transformed positions ξ of F(2×2, 3×3).
const Tiles = 16

// maxLanes is the widest vector a kernel uses, in float32 values.
const maxLanes = 16

// Slack is the most values a kernel writes past the end of a run: a
// buffer written by runs needs this many values after its last.
const Slack = maxLanes

// Span returns how many values a kernel may touch from the start of a run
// of n: n rounded up to a whole number of the widest vectors.
func Span(n int) int { return (n + maxLanes - 1) / maxLanes * maxLanes }

// Kernels are the transform kernels of one instruction set.
type Kernels struct {
	kernel            gemm.Kernel
	butterfly         func(o0, o1, o2, o3, a, b, c, d []float32, n, rows, sa, so int)
	gather            func(o0, o1, a, b, c, d []float32, n int)
	gatherInterleaved func(dst, a, b, c, d []float32, n int)
	// F(4×4, 3×3)'s (see f4.go), given the arrays of slices by value: a
	// pointer passed through a func value escapes, allocating every call.
	input6             func(o, in [6][]float32, n, rows, sa, so int)
	output6            func(o [4][]float32, in [6][]float32, n int)
	output6Interleaved func(dst []float32, in [6][]float32, n int)
}

// For returns the kernels matching gemm's kernel k (gemm.KernelAuto: the
// default one), so that XRAY_GEMM forces the transforms too.
func For(k gemm.Kernel) (Kernels, error) {
	if k == gemm.KernelAuto {
		k = gemm.DefaultKernel()
	}
	if !k.Supported() {
		return Kernels{}, fmt.Errorf("winograd: kernel %v not supported by this CPU", k)
	}
	switch k {
	case gemm.KernelAVX512:
		return withGoF4(avx512Kernels()), nil
	case gemm.KernelAVX2:
		return withGoF4(avx2Kernels()), nil
	case gemm.KernelGo:
		return goKernels(), nil
	}
	return Kernels{}, fmt.Errorf("winograd: unknown kernel %v", k)
}

// Kernel returns the instruction set of the kernels.
func (k Kernels) Kernel() gemm.Kernel { return k.kernel }

// goKernels are the portable kernels.
func goKernels() Kernels {
	return withGoF4(Kernels{kernel: gemm.KernelGo, butterfly: goButterfly, gather: goGather, gatherInterleaved: goGatherInterleaved})
}

// withGoF4 gives k the portable F(4×4, 3×3) kernels where it has none.
func withGoF4(k Kernels) Kernels {
	if k.input6 == nil {
		k.input6 = goInput6
	}
	if k.output6 == nil {
		k.output6 = goOutput6
	}
	if k.output6Interleaved == nil {
		k.output6Interleaved = goOutput6Interleaved
	}
	return k
}

// Butterfly computes, for rows runs of n values, the k-th run's values at
// offset k·sa in a, b, c and d and at k·so in the outputs,
//
//	o0 = a − c,  o1 = b + c,  o2 = c − b,  o3 = b − d
//
// (Bᵀ applied to (a, b, c, d)). Each input must hold (rows−1)·sa +
// Span(n) values and each output (rows−1)·so + Span(n); the values past a
// run's n-th of an output are overwritten with garbage, so runs are
// written in increasing order and a later run may start inside that
// spill. The outputs must not overlap the inputs.
func (k Kernels) Butterfly(o0, o1, o2, o3, a, b, c, d []float32, n, rows, sa, so int) {
	if n <= 0 || rows <= 0 {
		return
	}
	in, out := (rows-1)*sa+Span(n), (rows-1)*so+Span(n)
	_, _, _, _ = a[in-1], b[in-1], c[in-1], d[in-1]
	_, _, _, _ = o0[out-1], o1[out-1], o2[out-1], o3[out-1]
	k.butterfly(o0, o1, o2, o3, a, b, c, d, n, rows, sa, so)
}

// Gather computes, for n values,
//
//	o0 = a + b + c,  o1 = b − c − d
//
// (Aᵀ applied to (a, b, c, d), summed left to right). Every slice must
// hold Span(n) values; outputs past the n-th are garbage.
func (k Kernels) Gather(o0, o1, a, b, c, d []float32, n int) {
	if n <= 0 {
		return
	}
	s := Span(n)
	_, _, _, _, _, _ = a[s-1], b[s-1], c[s-1], d[s-1], o0[s-1], o1[s-1]
	k.gather(o0, o1, a, b, c, d, n)
}

// GatherInterleaved is Gather with its two outputs interleaved:
// dst[2t] = a[t] + b[t] + c[t], dst[2t+1] = b[t] − c[t] − d[t]. The
// inputs hold Span(n) values and dst 2·Span(n).
func (k Kernels) GatherInterleaved(dst, a, b, c, d []float32, n int) {
	if n <= 0 {
		return
	}
	s := Span(n)
	_, _, _, _, _ = a[s-1], b[s-1], c[s-1], d[s-1], dst[2*s-1]
	k.gatherInterleaved(dst, a, b, c, d, n)
}
