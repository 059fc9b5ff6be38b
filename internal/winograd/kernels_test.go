package winograd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/xrayllm/xray/internal/gemm"
)

func randoms(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// sentinel fills the values past a buffer's allowed span, to check that a
// kernel never writes there.
const sentinel = float32(-12345)

func guarded(n, guard int) []float32 {
	v := make([]float32, n+guard)
	for i := range v {
		v[i] = sentinel
	}
	return v
}

func checkGuard(t *testing.T, what string, v []float32, n int) {
	t.Helper()
	for i := n; i < len(v); i++ {
		if v[i] != sentinel {
			t.Fatalf("%s: wrote [%d], past its %d values", what, i, n)
		}
	}
}

// TestKernels checks every kernel this CPU runs against the formulas,
// value by value (each is one float32 operation or two, left to right,
// so the results are exact), on runs of awkward lengths and strides,
// and that none writes past the span it may spill into.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kind := range gemm.Kernels() {
		k, err := For(kind)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 3, 7, 8, 9, 14, 15, 16, 17, 28, 31, 33, 57} {
			for _, rows := range []int{1, 2, 5} {
				t.Run(fmt.Sprintf("%v_n%d_rows%d", kind, n, rows), func(t *testing.T) {
					testButterfly(t, k, rng, n, rows)
					testGather(t, k, rng, n)
				})
			}
		}
	}
}

func testButterfly(t *testing.T, k Kernels, rng *rand.Rand, n, rows int) {
	sa, so := n+3, n+1
	in, out := (rows-1)*sa+Span(n), (rows-1)*so+Span(n)
	a, b, c, d := randoms(rng, in), randoms(rng, in), randoms(rng, in), randoms(rng, in)
	var o [4][]float32
	for i := range o {
		o[i] = guarded(out, 20)
	}
	k.Butterfly(o[0][:out], o[1][:out], o[2][:out], o[3][:out], a, b, c, d, n, rows, sa, so)
	for r := 0; r < rows; r++ {
		for j := 0; j < n; j++ {
			x, y := r*sa+j, r*so+j
			want := [4]float32{a[x] - c[x], b[x] + c[x], c[x] - b[x], b[x] - d[x]}
			for i := range o {
				if o[i][y] != want[i] {
					t.Fatalf("butterfly o%d row %d [%d] = %v, want %v", i, r, j, o[i][y], want[i])
				}
			}
		}
	}
	for i := range o {
		checkGuard(t, fmt.Sprintf("butterfly o%d", i), o[i], out)
	}
}

func testGather(t *testing.T, k Kernels, rng *rand.Rand, n int) {
	s := Span(n)
	a, b, c, d := randoms(rng, s), randoms(rng, s), randoms(rng, s), randoms(rng, s)
	o0, o1, il := guarded(s, 20), guarded(s, 20), guarded(2*s, 20)
	k.Gather(o0[:s], o1[:s], a, b, c, d, n)
	k.GatherInterleaved(il[:2*s], a, b, c, d, n)
	for j := 0; j < n; j++ {
		w0, w1 := a[j]+b[j]+c[j], b[j]-c[j]-d[j]
		if o0[j] != w0 || o1[j] != w1 {
			t.Fatalf("gather [%d] = %v, %v, want %v, %v", j, o0[j], o1[j], w0, w1)
		}
		if il[2*j] != w0 || il[2*j+1] != w1 {
			t.Fatalf("interleaved [%d] = %v, %v, want %v, %v", j, il[2*j], il[2*j+1], w0, w1)
		}
	}
	checkGuard(t, "gather o0", o0, s)
	checkGuard(t, "gather o1", o1, s)
	checkGuard(t, "interleaved", il, 2*s)
}
