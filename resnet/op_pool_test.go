package resnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// naiveMaxPool is MaxPool2d(k, stride, pad) as PyTorch defines it: the
// input padded with -inf, each output the largest value of its window,
// its gradient routed to the first such position in row-major order.
func naiveMaxPool(x []float32, xs []int, g poolGeom, dy []float32) (y, dx []float32) {
	oh, ow := (xs[2]+2*g.pad-g.k)/g.stride+1, (xs[3]+2*g.pad-g.k)/g.stride+1
	y, dx = make([]float32, xs[0]*xs[1]*oh*ow), make([]float32, len(x))
	for c := 0; c < xs[0]*xs[1]; c++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				best, at := float32(math.Inf(-1)), -1
				for ky := 0; ky < g.k; ky++ {
					for kx := 0; kx < g.k; kx++ {
						iy, ix := oy*g.stride-g.pad+ky, ox*g.stride-g.pad+kx
						if iy < 0 || iy >= xs[2] || ix < 0 || ix >= xs[3] {
							continue
						}
						if i := (c*xs[2]+iy)*xs[3] + ix; at < 0 || x[i] > best {
							best, at = x[i], i
						}
					}
				}
				o := (c*oh+oy)*ow + ox
				y[o] = best
				dx[at] += dy[o]
			}
		}
	}
	return y, dx
}

// runMaxPool runs a max pool of geometry g on x (shape xs).
func runMaxPool(t *testing.T, g poolGeom, xs []int, x []float32) G.Value {
	t.Helper()
	op, err := newMaxPoolOp("t", g, nil)
	if err != nil {
		t.Fatal(err)
	}
	y, err := op.Do(newDense(xs, x))
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func TestMaxPoolMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	g := poolGeom{k: 3, stride: 2, pad: 1}
	for _, xs := range [][]int{{2, 3, 9, 8}, {1, 2, 1, 1}, {1, 1, 2, 5}, {1, 4, 112, 112}} {
		t.Run(fmt.Sprint(xs), func(t *testing.T) {
			// Negative values check the -inf padding; rounding to quarters
			// makes ties, which check the first-maximum rule.
			x := randoms(rng, prod(xs))
			for i := range x {
				x[i] = float32(math.Round(float64(x[i])*4) / 4)
			}
			y := runMaxPool(t, g, xs, x)
			dy := randoms(rng, y.Shape().TotalSize())
			wantY, wantDX := naiveMaxPool(x, xs, g, dy)
			sameBits(t, "forward", y.Data().([]float32), wantY)
			back := &maxPoolGradOp{gradBase: gradBase{base("maxpool_grad", "t", 2, nil)}, geom: g}
			for run := 0; run < 2; run++ { // the second run reuses the output
				dx, err := back.Do(newDense(xs, x), newDense(y.Shape(), dy))
				if err != nil {
					t.Fatal(err)
				}
				sameBits(t, "backward", dx.Data().([]float32), wantDX)
			}
		})
	}
}

// TestMaxPoolSymDiff checks the gradient Gorgonia builds through the op.
func TestMaxPoolSymDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	xs := []int{1, 2, 7, 6}
	x := randoms(rng, prod(xs))
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float32, 4, G.WithName("x"), G.WithValue(newDense(xs, x)))
	y, err := maxPool(xn, "maxpool", nil)
	if err != nil {
		t.Fatal(err)
	}
	q := randoms(rng, y.Shape().TotalSize())
	qn := G.NewTensor(g, tensor.Float32, 4, G.WithName("q"), G.WithValue(newDense(y.Shape(), q)))
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(y, qn))))
	grads, err := G.Grad(cost, xn)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	_, want := naiveMaxPool(x, xs, poolGeom{k: 3, stride: 2, pad: 1}, q)
	sameBits(t, "gradient", grads[0].Value().Data().([]float32), want)
}

func TestMaxPoolErrors(t *testing.T) {
	if _, err := newMaxPoolOp("t", poolGeom{k: 3, stride: 2, pad: 2}, nil); err == nil {
		t.Error("padding over half the window: no error")
	}
	op, err := newMaxPoolOp("t", poolGeom{k: 3, stride: 2, pad: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Do(newDense([]int{1, 1, 2, 2}, make([]float32, 4))); err == nil {
		t.Error("an input smaller than the window: no error")
	}
	back := &maxPoolGradOp{gradBase: gradBase{base("maxpool_grad", "t", 2, nil)}, geom: op.geom}
	if _, err := back.Do(newDense([]int{1, 1, 5, 5}, make([]float32, 25)), newDense([]int{1, 1, 3, 3}, make([]float32, 9))); err == nil {
		t.Error("a gradient of the wrong shape: no error")
	}
}

func TestMaxPoolGeometriesAndNaN(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, g := range []poolGeom{{k: 2, stride: 2}, {k: 3, stride: 1, pad: 1}, {k: 5, stride: 2, pad: 2}, {k: 3, stride: 3}} {
		xs := []int{1, 3, 11, 10}
		x := randoms(rng, prod(xs))
		for i := range x {
			switch rng.IntN(20) {
			case 0:
				x[i] = float32(math.NaN())
			case 1:
				x[i] = float32(math.Copysign(0, -1))
			case 2:
				x[i] = 0
			}
		}
		y := runMaxPool(t, g, xs, x)
		want, _ := naiveMaxPool(x, xs, g, make([]float32, y.Shape().TotalSize()))
		sameBits(t, fmt.Sprintf("%+v", g), y.Data().([]float32), want)
	}
}

// BenchmarkMaxPoolStem pools a stem-sized ReLU output, half zeros
// ("relu") or nine tenths ("dark", like an X-ray's background).
func BenchmarkMaxPoolStem(b *testing.B) {
	for _, c := range []struct {
		name string
		cut  float32
	}{{"relu", 0}, {"dark", 0.8}} {
		b.Run(c.name, func(b *testing.B) {
			xs := []int{1, 64, 112, 112}
			x := randoms(rand.New(rand.NewPCG(9, 9)), prod(xs))
			for i := range x {
				x[i] = max(x[i]-c.cut, 0)
			}
			op, err := newMaxPoolOp("maxpool", poolGeom{k: 3, stride: 2, pad: 1}, nil)
			if err != nil {
				b.Fatal(err)
			}
			in := newDense(xs, x)
			for b.Loop() {
				if _, err := op.Do(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
