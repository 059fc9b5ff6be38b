package resnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xrayllm/xray/internal/gemm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convCases are the kernel/stride/padding combinations ResNet uses, on
// small odd-sized inputs.
var convCases = []struct{ k, stride, pad int }{
	{7, 2, 3}, {3, 1, 1}, {3, 2, 1}, {1, 2, 0}, {1, 1, 0},
}

// randoms returns n normal values.
func randoms(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// naiveConv is the direct convolution in float64: out[n,co,oy,ox] =
// Σ w[co,c,ky,kx]·x[n,c,oy·s−p+ky,ox·s−p+kx].
func naiveConv(x []float32, xs []int, w []float32, ws []int, stride, pad int) ([]float64, []int) {
	oh, ow := (xs[2]+2*pad-ws[2])/stride+1, (xs[3]+2*pad-ws[3])/stride+1
	out := make([]float64, xs[0]*ws[0]*oh*ow)
	convTerms(xs, ws, stride, pad, func(xi, wi, oi int) { out[oi] += float64(w[wi]) * float64(x[xi]) })
	return out, []int{xs[0], ws[0], oh, ow}
}

// naiveConvGrad is the direct gradient with respect to the input.
func naiveConvGrad(dy []float32, xs []int, w []float32, ws []int, stride, pad int) []float64 {
	dx := make([]float64, xs[0]*xs[1]*xs[2]*xs[3])
	convTerms(xs, ws, stride, pad, func(xi, wi, oi int) { dx[xi] += float64(w[wi]) * float64(dy[oi]) })
	return dx
}

// convTerms calls f with the input, weight and output offsets of every
// product term of the convolution.
func convTerms(xs, ws []int, stride, pad int, f func(xi, wi, oi int)) {
	oh, ow := (xs[2]+2*pad-ws[2])/stride+1, (xs[3]+2*pad-ws[3])/stride+1
	for n := 0; n < xs[0]; n++ {
		for co := 0; co < ws[0]; co++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					oi := ((n*ws[0]+co)*oh+oy)*ow + ox
					for c := 0; c < xs[1]; c++ {
						for ky := 0; ky < ws[2]; ky++ {
							iy := oy*stride - pad + ky
							if iy < 0 || iy >= xs[2] {
								continue
							}
							for kx := 0; kx < ws[3]; kx++ {
								ix := ox*stride - pad + kx
								if ix < 0 || ix >= xs[3] {
									continue
								}
								f(((n*xs[1]+c)*xs[2]+iy)*xs[3]+ix, ((co*xs[1]+c)*ws[2]+ky)*ws[3]+kx, oi)
							}
						}
					}
				}
			}
		}
	}
}

// closeTo fails unless got and want agree within float32 rounding.
func closeTo(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
			t.Fatalf("%s: [%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}

func TestConvOpMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range convCases {
		for _, hw := range [][3]int{{9, 11, 3}, {14, 14, 3}, {5, 4, 3}, {1, 1, 3}, {2, 3, 3}, {7, 6, 61}, {3, 5, 8}} {
			// 61 and 8 channels make several channel blocks (convGeom.cblock).
			xs, ws := []int{2, hw[2], hw[0], hw[1]}, []int{5, hw[2], c.k, c.k}
			if xs[2]+2*c.pad < c.k || xs[3]+2*c.pad < c.k {
				continue
			}
			t.Run(fmt.Sprintf("k%d_s%d_p%d_%dx%dx%d", c.k, c.stride, c.pad, hw[2], hw[0], hw[1]), func(t *testing.T) {
				x, w := randoms(rng, prod(xs)), randoms(rng, prod(ws))
				op := testConvOp(t, newDense(ws, w), c.stride, c.pad)
				want, os := naiveConv(x, xs, w, ws, c.stride, c.pad)
				xcopy := append([]float32(nil), x...)
				y, err := op.Do(newDense(xs, x))
				if err != nil {
					t.Fatal(err)
				}
				if !y.Shape().Eq(tensor.Shape(os)) {
					t.Fatalf("shape %v, want %v", y.Shape(), os)
				}
				closeTo(t, "forward", y.Data().([]float32), want)
				if !slices.Equal(x, xcopy) {
					t.Fatal("the input was overwritten")
				}
				dy := randoms(rng, prod(os))
				back := newConvGradOp("t", op.geom, op.w, xs, op.scratch)
				dx, err := back.Do(newDense(os, dy))
				if err != nil {
					t.Fatal(err)
				}
				closeTo(t, "backward", dx.Data().([]float32), naiveConvGrad(dy, xs, w, ws, c.stride, c.pad))
			})
		}
	}
}

// TestConvGradNumeric checks the symbolic gradient Gorgonia builds
// through two stacked convolutions against central differences of
// Σ r·conv(conv(x)).
func TestConvGradNumeric(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range convCases {
		t.Run(fmt.Sprintf("k%d_s%d_p%d", c.k, c.stride, c.pad), func(t *testing.T) {
			xs := []int{1, 2, 9, 8}
			w1, w2 := randoms(rng, 3*2*c.k*c.k), randoms(rng, 2*3*3*3)
			x := randoms(rng, prod(xs))
			f, grad := stackedConv(t, xs, w1, w2, c.k, c.stride, c.pad, rng)
			for _, i := range []int{0, 7, 33, len(x) - 1, rng.IntN(len(x))} {
				const h = 1e-2
				xp, xm := append([]float32(nil), x...), append([]float32(nil), x...)
				xp[i] += h
				xm[i] -= h
				num := (f(xp) - f(xm)) / (2 * h)
				_ = f(x)
				if g := float64(grad()[i]); math.Abs(g-num) > 1e-2*(1+math.Abs(num)) {
					t.Errorf("d/dx[%d] = %g, numeric %g", i, g, num)
				}
			}
		})
	}
}

// stackedConv builds x → conv(w1) → conv(w2, 3x3/1 pad 1) → Σ r·y with its
// gradient; f runs it on an input and returns the cost, grad the last run's
// gradient with respect to x.
func stackedConv(t *testing.T, xs []int, w1, w2 []float32, k, stride, pad int, rng *rand.Rand) (f func([]float32) float64, grad func() []float32) {
	t.Helper()
	g := G.NewGraph()
	xv := newDense(xs, make([]float32, prod(xs)))
	x := G.NewTensor(g, tensor.Float32, 4, G.WithName("x"), G.WithValue(xv))
	scratch := new(convScratch) // shared, as in a network's graph
	y1, err := conv2d(x, testWeight(t, newDense([]int{3, 2, k, k}, w1)), "c1", stride, pad, scratch)
	if err != nil {
		t.Fatal(err)
	}
	y2, err := conv2d(y1, testWeight(t, newDense([]int{2, 3, 3, 3}, w2)), "c2", 1, 1, scratch)
	if err != nil {
		t.Fatal(err)
	}
	r := G.NewTensor(g, tensor.Float32, 4, G.WithName("r"), G.WithValue(newDense(y2.Shape(), randoms(rng, y2.Shape().TotalSize()))))
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(y2, r))))
	grads, err := G.Grad(cost, x)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	t.Cleanup(func() { vm.Close() })
	f = func(in []float32) float64 {
		copy(xv.Data().([]float32), in)
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return float64(cost.Value().Data().(float32))
	}
	grad = func() []float32 { return grads[0].Value().Data().([]float32) }
	return f, grad
}

func TestConvOpErrors(t *testing.T) {
	w := newDense([]int{4, 3, 3, 3}, make([]float32, 108))
	op := testConvOp(t, w, 1, 1)
	for _, in := range []G.Value{
		newDense([]int{1, 2, 5, 5}, make([]float32, 50)), // channels
		newDense([]int{1, 3, 5}, make([]float32, 15)),    // rank
		newDense([]int{1, 3, 0, 0}, make([]float32, 0)),  // empty
		tensor.New(tensor.WithShape(1, 3, 2, 2), tensor.Of(tensor.Float64)),
	} {
		if _, err := op.Do(in); err == nil {
			t.Errorf("Do(%v): no error", in.Shape())
		}
	}
	if _, err := op.Do(); err == nil {
		t.Error("Do(): no error")
	}
	back := newConvGradOp("t", op.geom, op.w, tensor.Shape{1, 3, 5, 5}, op.scratch)
	if _, err := back.Do(newDense([]int{1, 4, 4, 5}, make([]float32, 80))); err == nil {
		t.Error("backward with a wrong gradient shape: no error")
	}
	if _, err := newConvWeight("t", newDense([]int{4, 3, 3}, make([]float32, 36))); err == nil {
		t.Error("newConvWeight of a 3-D weight: no error")
	}
	for _, bad := range []struct{ stride, pad int }{{0, 1}, {1, -1}} {
		if _, err := newConvOp("t", op.w, bad.stride, bad.pad, convPost{}, nil); err == nil {
			t.Errorf("newConvOp(%d, %d): no error", bad.stride, bad.pad)
		}
	}
}

func TestConvWeightValuesRoundTrip(t *testing.T) {
	for _, shape := range [][]int{{5, 3, 7, 7}, {9, 61, 3, 3}, {4, 6, 1, 1}} {
		data := make([]float32, prod(shape))
		for i := range data {
			data[i] = float32(i%97) - 48.5
		}
		w := testWeight(t, newDense(shape, slices.Clone(data)))
		got, err := w.values()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, data) {
			t.Errorf("%v: the unpacked weight differs from the one packed", shape)
		}
	}
}

func TestConvOrderIsAPermutation(t *testing.T) {
	for _, g := range []convGeom{{cin: 3, kh: 7, kw: 7}, {cin: 64, kh: 3, kw: 3}, {cin: 61, kh: 3, kw: 3}, {cin: 512, kh: 3, kw: 3}, {cin: 8, kh: 7, kw: 7}} {
		seen := make([]bool, g.depth())
		for _, q := range g.order() {
			if q < 0 || q >= len(seen) || seen[q] {
				t.Fatalf("%+v: order repeats or leaves %d", g, q)
			}
			seen[q] = true
		}
		for r := range seen {
			if !seen[r] {
				t.Fatalf("%+v: order misses %d", g, r)
			}
		}
	}
	if (convGeom{cin: 9, kh: 1, kw: 1}).order() != nil {
		t.Error("1x1 kernels need no permutation")
	}
}

// testWeight packs a convolution weight.
func testWeight(t *testing.T, w *tensor.Dense) *convWeight {
	t.Helper()
	cw, err := newConvWeight("t", w)
	if err != nil {
		t.Fatal(err)
	}
	return cw
}

// testConvOp returns a plain convolution op by w.
func testConvOp(t *testing.T, w *tensor.Dense, stride, pad int) *convOp {
	t.Helper()
	op, err := newConvOp("t", testWeight(t, w), stride, pad, convPost{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// prod multiplies ints.
func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

// BenchmarkUnfoldedPack packs every panel of the unfolding of ResNet34's
// convolutions at 224x224, as the GEMM asks for them.
func BenchmarkUnfoldedPack(b *testing.B) {
	for _, c := range []struct {
		name string
		g    convGeom
		size int
	}{
		{"conv1", convGeom{cin: 3, cout: 64, kh: 7, kw: 7, stride: 2, pad: 3}, 224},
		{"layer1", convGeom{cin: 64, cout: 64, kh: 3, kw: 3, stride: 1, pad: 1}, 56},
		{"layer2", convGeom{cin: 128, cout: 128, kh: 3, kw: 3, stride: 1, pad: 1}, 28},
		{"layer3", convGeom{cin: 256, cout: 256, kh: 3, kw: 3, stride: 1, pad: 1}, 14},
		{"layer4", convGeom{cin: 512, cout: 512, kh: 3, kw: 3, stride: 1, pad: 1}, 7},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := c.size + 2*c.g.pad
			oh, ow, err := c.g.outSize(c.size, c.size)
			if err != nil {
				b.Fatal(err)
			}
			u := newUnfolded(c.g, h, h, oh, ow)
			u.img = randoms(rand.New(rand.NewPCG(1, 2)), c.g.cin*h*h)
			rows, cols := u.Size()
			panel := make([]float32, blockDepth*gemm.PanelWidth)
			for b.Loop() {
				for p0 := 0; p0 < rows; p0 += blockDepth {
					depth := min(blockDepth, rows-p0)
					for j0 := 0; j0 < cols; j0 += gemm.PanelWidth {
						u.Pack(panel, p0, depth, j0, min(gemm.PanelWidth, cols-j0))
					}
				}
			}
		})
	}
}
