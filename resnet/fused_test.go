package resnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xrayllm/xray/internal/graphlock"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// runGraph compiles the part of g that roots need and returns a function
// that runs it on an input.
func runGraph(t *testing.T, g *Graph, roots ...*G.Node) func(x []float32) {
	t.Helper()
	var vm G.VM
	graphlock.Do(func() { vm = G.NewTapeMachine(g.ExprGraph().SubgraphRoots(roots...)) })
	t.Cleanup(func() { vm.Close() })
	return func(x []float32) {
		t.Helper()
		if err := g.SetInput(x); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
}

// sameBits fails unless got and want hold the same float32 values bit for
// bit.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// nodeValues copies the values of the named nodes of g.
func nodeValues(t *testing.T, g *Graph, names []string) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, n := range names {
		_, v, err := g.Value(n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = v
	}
	return out
}

func TestFusedGraphMatchesUnfused(t *testing.T) {
	m, _ := loadFixture(t, "resnet34_narrow")
	opts := GraphOptions{Batch: 2}
	plain, err := m.NewGraph(opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Fuse = true
	fused, err := m.NewGraph(opts)
	if err != nil {
		t.Fatal(err)
	}
	names := fused.LayerNames()
	for _, hidden := range []string{"conv1", "bn1", "layer1.0.conv1", "layer2.1.bn1", "layer3.0.conv2", "layer4.2.bn2"} {
		if slices.Contains(names, hidden) || !m.layout.hiddenWhenFused(hidden) {
			t.Errorf("the fused graph exposes %s", hidden)
		}
	}
	for _, kept := range []string{"relu", "maxpool", "layer1.0.relu", "layer2.0.downsample", "layer3.1", "layer4", "avgpool", "fc"} {
		if !slices.Contains(names, kept) || m.layout.hiddenWhenFused(kept) {
			t.Errorf("the fused graph lacks %s", kept)
		}
	}
	if len(fused.ExprGraph().AllNodes()) >= len(plain.ExprGraph().AllNodes()) {
		t.Errorf("the fused graph has %d nodes, the unfused one %d", len(fused.ExprGraph().AllNodes()), len(plain.ExprGraph().AllNodes()))
	}
	runPlain, runFused := runGraph(t, plain, plain.Logits()), runGraph(t, fused, fused.Logits())
	// The second input checks that values reused from run to run are
	// recomputed in full.
	for _, x := range [][]float32{patterns(2), append(pattern(3), pattern(1)...)} {
		runPlain(x)
		runFused(x)
		want, got := nodeValues(t, plain, names), nodeValues(t, fused, names)
		for _, n := range names {
			sameBits(t, n, got[n], want[n])
		}
	}
}

func TestActivationsChooseTheGraph(t *testing.T) {
	m, _ := loadFixture(t, "resnet18_narrow")
	acts, err := m.Activations(t.Context(), pattern(0), "layer2.1.bn1", "layer2.1", "fc")
	if err != nil {
		t.Fatal(err)
	}
	fusedActs, err := m.Activations(t.Context(), pattern(0), "layer2.1", "fc")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"layer2.1", "fc"} {
		sameBits(t, n, fusedActs[n].Data, acts[n].Data)
	}
	logits, err := m.Forward(t.Context(), pattern(0))
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "logits", logits[0], acts["fc"].Data)
}

// probedGradients builds g's gradient of Σ r·logits with respect to its
// probes and returns a function that runs it and returns the gradients.
func probedGradients(t *testing.T, g *Graph, probes []string) func(x []float32) map[string][]float32 {
	t.Helper()
	var grads G.Nodes
	graphlock.Do(func() {
		r := G.NewMatrix(g.ExprGraph(), tensor.Float32, G.WithShape(g.Logits().Shape().Clone()...), G.WithName("r"),
			G.WithValue(newDense(g.Logits().Shape(), []float32{0.5, -1.25, 2, 0.75})))
		cost, err := G.Sum(G.Must(G.HadamardProd(g.Logits(), r)))
		if err != nil {
			t.Fatal(err)
		}
		var ps G.Nodes
		for _, p := range probes {
			n, err := g.Probe(p)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, n)
		}
		if grads, err = G.Grad(cost, ps...); err != nil {
			t.Fatal(err)
		}
	})
	run := runGraph(t, g, append(slices.Clone(grads), g.Logits())...)
	return func(x []float32) map[string][]float32 {
		run(x)
		out := map[string][]float32{}
		for i, p := range probes {
			_, v, err := NodeValue(grads[i])
			if err != nil {
				t.Fatal(err)
			}
			out[p] = v
		}
		return out
	}
}

func TestFusedGradientsMatchUnfused(t *testing.T) {
	m, _ := loadFixture(t, "resnet34_narrow")
	// relu's gradient passes the max pool and every block; layer3's
	// layer4's fused ops; layer2.1.bn1 lies inside a fused op, which is
	// then built unfused.
	probes := []string{"relu", "layer3", "layer2.1.bn1"}
	grad := map[bool]func([]float32) map[string][]float32{}
	for _, fuse := range []bool{false, true} {
		g, err := m.NewGraph(GraphOptions{Batch: 2, Probes: probes, Fuse: fuse})
		if err != nil {
			t.Fatal(err)
		}
		grad[fuse] = probedGradients(t, g, probes)
	}
	for _, x := range [][]float32{patterns(2), append(pattern(2), pattern(0)...)} {
		want, got := grad[false](x), grad[true](x)
		for _, p := range probes {
			if !slices.ContainsFunc(got[p], func(v float32) bool { return v != 0 }) {
				t.Errorf("the gradient at %s is zero", p)
			}
			sameBits(t, "gradient at "+p, got[p], want[p])
		}
	}
}

// fusedCases are the convPost combinations a BasicBlock uses.
var fusedCases = []struct{ residual, relu bool }{{true, true}, {false, true}, {false, false}}

// TestFusedConvGradNumeric checks the gradients of a fused convolution,
// batch norm, residual sum and ReLU with respect to the image and the
// residual against central differences of Σ q·y.
func TestFusedConvGradNumeric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, c := range fusedCases {
		t.Run(fmt.Sprintf("residual=%t_relu=%t", c.residual, c.relu), func(t *testing.T) {
			xs, ys := []int{1, 3, 7, 6}, []int{1, 4, 7, 6}
			w := testWeight(t, newDense([]int{4, 3, 3, 3}, randoms(rng, 4*3*3*3)))
			bn := affine{scale: randoms(rng, 4), shift: randoms(rng, 4)}
			g := G.NewGraph()
			xv, rv := newDense(xs, randoms(rng, prod(xs))), newDense(ys, randoms(rng, prod(ys)))
			x := G.NewTensor(g, tensor.Float32, 4, G.WithName("x"), G.WithValue(xv))
			wrt := G.Nodes{x}
			var res *G.Node
			if c.residual {
				res = G.NewTensor(g, tensor.Float32, 4, G.WithName("res"), G.WithValue(rv))
				wrt = append(wrt, res)
			}
			y, err := convBN(x, res, w, bn, "t", 1, 1, c.relu, nil)
			if err != nil {
				t.Fatal(err)
			}
			q := G.NewTensor(g, tensor.Float32, 4, G.WithName("q"), G.WithValue(newDense(ys, randoms(rng, prod(ys)))))
			cost := G.Must(G.Sum(G.Must(G.HadamardProd(y, q))))
			grads, err := G.Grad(cost, wrt...)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			f := func() float64 {
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				return float64(cost.Value().Data().(float32))
			}
			for i, in := range []*tensor.Dense{xv, rv}[:len(wrt)] {
				data := in.Data().([]float32)
				for _, j := range []int{0, 5, 40, len(data) - 1, rng.IntN(len(data))} {
					const h = 1e-3 // small: a step across a ReLU kink spoils the difference
					v := data[j]
					data[j] = v + h
					fp := f()
					data[j] = v - h
					fm := f()
					data[j] = v
					f()
					num := (fp - fm) / (2 * h)
					if g := float64(grads[i].Value().Data().([]float32)[j]); math.Abs(g-num) > 1e-2*(1+math.Abs(num)) {
						t.Errorf("d/d%s[%d] = %g, numeric %g", wrt[i].Name(), j, g, num)
					}
				}
			}
		})
	}
}

// TestFusedConvMatchesSteps checks a fused op against the plain
// convolution followed by the separate batch norm, residual and ReLU ops.
func TestFusedConvMatchesSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, c := range fusedCases {
		for _, cc := range convCases {
			xs := []int{2, 5, 9, 8}
			w := testWeight(t, newDense([]int{6, 5, cc.k, cc.k}, randoms(rng, 6*5*cc.k*cc.k)))
			bn := affine{scale: randoms(rng, 6), shift: randoms(rng, 6)}
			x := newDense(xs, randoms(rng, prod(xs)))
			plain, err := newConvOp("t", w, cc.stride, cc.pad, convPost{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			y, err := plain.Do(x)
			if err != nil {
				t.Fatal(err)
			}
			ys := y.Shape()
			want, err := newAffineOp("bn", bn.scale, bn.shift, nil).Do(y)
			if err != nil {
				t.Fatal(err)
			}
			in := []G.Value{x}
			if c.residual {
				res := newDense(ys, randoms(rng, ys.TotalSize()))
				in = append(in, res)
				want, err = newAddReLUOp("add", nil).Do(want, res)
			} else if c.relu {
				want, err = newReLUOp("relu", nil).Do(want)
			}
			if err != nil {
				t.Fatal(err)
			}
			fused, err := newConvOp("t", w, cc.stride, cc.pad, convPost{bn: &bn, residual: c.residual, relu: c.relu}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fused.Do(in...)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, fmt.Sprintf("%s k%d s%d", fused, cc.k, cc.stride), got.Data().([]float32), want.Data().([]float32))
		}
	}
}

// TestBatchedConvMatchesImageByImage checks that a batch multiplied in one
// product (forwardBatched) gives each image's values bit for bit.
func TestBatchedConvMatchesImageByImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, c := range fusedCases {
		for _, cc := range convCases {
			xs := []int{3, 4, 9, 8}
			w := testWeight(t, newDense([]int{5, 4, cc.k, cc.k}, randoms(rng, 5*4*cc.k*cc.k)))
			bn := affine{scale: randoms(rng, 5), shift: randoms(rng, 5)}
			post := convPost{bn: &bn, residual: c.residual, relu: c.relu}
			batch, err := newConvOp("t", w, cc.stride, cc.pad, post, nil)
			if err != nil {
				t.Fatal(err)
			}
			x := randoms(rng, prod(xs))
			ys, err := batch.geom.outShape(xs)
			if err != nil {
				t.Fatal(err)
			}
			in := []G.Value{newDense(xs, x)}
			var res []float32
			if c.residual {
				res = randoms(rng, ys.TotalSize())
				in = append(in, newDense(ys, res))
			}
			if batch.batched(xs, ys) == batch.geom.direct() {
				t.Fatalf("k%d s%d: batched %t", cc.k, cc.stride, batch.batched(xs, ys))
			}
			got, err := batch.Do(in...)
			if err != nil {
				t.Fatal(err)
			}
			single, err := newConvOp("t", w, cc.stride, cc.pad, post, nil)
			if err != nil {
				t.Fatal(err)
			}
			inSize, outSize := prod(xs[1:]), ys.TotalSize()/xs[0]
			for i := 0; i < xs[0]; i++ {
				one := []G.Value{newDense([]int{1, xs[1], xs[2], xs[3]}, x[i*inSize:(i+1)*inSize])}
				if c.residual {
					one = append(one, newDense([]int{1, ys[1], ys[2], ys[3]}, res[i*outSize:(i+1)*outSize]))
				}
				want, err := single.Do(one...)
				if err != nil {
					t.Fatal(err)
				}
				sameBits(t, fmt.Sprintf("%s k%d s%d image %d", batch, cc.k, cc.stride, i),
					got.Data().([]float32)[i*outSize:(i+1)*outSize], want.Data().([]float32))
			}
		}
	}
}
