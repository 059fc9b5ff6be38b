package winograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xrayllm/xray/internal/gemm"
)

// TestKernelsF4 checks every F(4×4, 3×3) kernel this CPU runs against
// input6 and output6, value by value and bit for bit (the assembly must
// round exactly as the Go does), on runs of awkward lengths and strides,
// and that none writes past the span it may spill into.
func TestKernelsF4(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kind := range gemm.Kernels() {
		k, err := For(kind)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 57} {
			for _, rows := range []int{1, 2, 5} {
				t.Run(fmt.Sprintf("%v_n%d_rows%d", kind, n, rows), func(t *testing.T) {
					testInput6(t, k, rng, n, rows)
					testOutput6(t, k, rng, n)
				})
			}
		}
	}
}

func sameBits(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

func testInput6(t *testing.T, k Kernels, rng *rand.Rand, n, rows int) {
	sa, so := n+5, n+2
	need, out := (rows-1)*sa+Span(n), (rows-1)*so+Span(n)
	var in, o, guardedO [6][]float32
	for i := range in {
		in[i] = randoms(rng, need)
		guardedO[i] = guarded(out, 20)
		o[i] = guardedO[i][:out]
	}
	k.Input6(&o, &in, n, rows, sa, so)
	for r := 0; r < rows; r++ {
		for j := 0; j < n; j++ {
			x, y := r*sa+j, r*so+j
			w0, w1, w2, w3, w4, w5 := input6(in[0][x], in[1][x], in[2][x], in[3][x], in[4][x], in[5][x])
			for i, w := range [6]float32{w0, w1, w2, w3, w4, w5} {
				if !sameBits(o[i][y], w) {
					t.Fatalf("input6 o%d row %d [%d] = %v, want %v", i, r, j, o[i][y], w)
				}
			}
		}
	}
	for i := range guardedO {
		checkGuard(t, fmt.Sprintf("input6 o%d", i), guardedO[i], out)
	}
}

func testOutput6(t *testing.T, k Kernels, rng *rand.Rand, n int) {
	s := Span(n)
	var in [6][]float32
	for i := range in {
		in[i] = randoms(rng, s)
	}
	var o, guardedO [4][]float32
	for i := range o {
		guardedO[i] = guarded(s, 20)
		o[i] = guardedO[i][:s]
	}
	il := guarded(4*s, 20)
	k.Output6(&o, &in, n)
	k.Output6Interleaved(il[:4*s], &in, n)
	for j := 0; j < n; j++ {
		w0, w1, w2, w3 := output6(in[0][j], in[1][j], in[2][j], in[3][j], in[4][j], in[5][j])
		for i, w := range [4]float32{w0, w1, w2, w3} {
			if !sameBits(o[i][j], w) {
				t.Fatalf("output6 y%d [%d] = %v, want %v", i, j, o[i][j], w)
			}
			if !sameBits(il[4*j+i], w) {
				t.Fatalf("output6 interleaved y%d [%d] = %v, want %v", i, j, il[4*j+i], w)
			}
		}
	}
	for i := range guardedO {
		checkGuard(t, fmt.Sprintf("output6 y%d", i), guardedO[i], s)
	}
	checkGuard(t, "output6 interleaved", il, 4*s)
}

// TestTransformsF4NoAlloc checks that F(4×4, 3×3)'s Input and Output,
// and the kernels under them, allocate nothing: the arrays of slices they
// pass stay on the stack.
func TestTransformsF4NoAlloc(t *testing.T) {
	l := NewLayoutF4(14, 14)
	p := make([]float32, l.PlaneSize())
	v, m := make([][]float32, l.Tiles()), make([][]float32, l.Tiles())
	for xi := range v {
		v[xi], m[xi] = make([]float32, (l.TH-1)*l.TW+Span(l.TW)), make([]float32, Span(l.TH*l.TW))
	}
	q, tmp := make([]float32, l.InputScratch(l.TH)), make([]float32, l.OutputScratch(l.TH*l.TW))
	out := make([]float32, 14*14)
	for _, kind := range gemm.Kernels() {
		k, err := For(kind)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(10, func() {
			k.Input(v, p, l, 0, l.TH, q)
			k.Output(out, m, l, 0, l.TH, tmp)
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations an Input and Output", kind, allocs)
		}
	}
}

// BenchmarkTransformsF4 times Input and Output of F(4×4, 3×3) on one
// whole plane, with every kernel this CPU runs.
func BenchmarkTransformsF4(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, hw := range []int{56, 14} {
		l := NewLayoutF4(hw, hw)
		p := randoms(rng, l.PlaneSize())
		v, m := make([][]float32, l.Tiles()), make([][]float32, l.Tiles())
		for xi := range v {
			v[xi] = make([]float32, (l.TH-1)*l.TW+Span(l.TW))
			m[xi] = randoms(rng, Span(l.TH*l.TW))
		}
		q, tmp := make([]float32, l.InputScratch(l.TH)), make([]float32, l.OutputScratch(l.TH*l.TW))
		out := make([]float32, hw*hw)
		for _, kind := range gemm.Kernels() {
			k, err := For(kind)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%dx%d/input/%v", hw, hw, kind), func(b *testing.B) {
				for b.Loop() {
					k.Input(v, p, l, 0, l.TH, q)
				}
			})
			b.Run(fmt.Sprintf("%dx%d/output/%v", hw, hw, kind), func(b *testing.B) {
				for b.Loop() {
					k.Output(out, m, l, 0, l.TH, tmp)
				}
			})
		}
	}
}
