package winograd

// The portable kernels, on the same contract as the assembly ones (see
// Kernels), whose bounds the exported methods have checked: they compute
// whole vectors of maxLanes values.

// goButterfly is Butterfly in Go.
func goButterfly(o0, o1, o2, o3, a, b, c, d []float32, n, rows, sa, so int) {
	s := Span(n)
	for r := 0; r < rows; r++ {
		i0, j0 := r*sa, r*so
		ar, br, cr, dr := a[i0:i0+s], b[i0:i0+s], c[i0:i0+s], d[i0:i0+s]
		w0, w1, w2, w3 := o0[j0:j0+s], o1[j0:j0+s], o2[j0:j0+s], o3[j0:j0+s]
		for i := range w0 {
			av, bv, cv, dv := ar[i], br[i], cr[i], dr[i]
			w0[i], w1[i], w2[i], w3[i] = av-cv, bv+cv, cv-bv, bv-dv
		}
	}
}

// goGather is Gather in Go.
func goGather(o0, o1, a, b, c, d []float32, n int) {
	s := Span(n)
	ar, br, cr, dr := a[:s], b[:s], c[:s], d[:s]
	w0, w1 := o0[:s], o1[:s]
	for i := range w0 {
		av, bv, cv, dv := ar[i], br[i], cr[i], dr[i]
		w0[i], w1[i] = av+bv+cv, bv-cv-dv
	}
}

// goGatherInterleaved is GatherInterleaved in Go.
func goGatherInterleaved(dst, a, b, c, d []float32, n int) {
	s := Span(n)
	ar, br, cr, dr := a[:s], b[:s], c[:s], d[:s]
	w := dst[:2*s]
	for i := range ar {
		av, bv, cv, dv := ar[i], br[i], cr[i], dr[i]
		w[2*i], w[2*i+1] = av+bv+cv, bv-cv-dv
	}
}
