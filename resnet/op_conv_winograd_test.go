package resnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xrayllm/xray/internal/gemm"
	"github.com/xrayllm/xray/internal/winograd"
	G "gorgonia.org/gorgonia"
)

// TestWinogradMatchesDirect checks both paths of a 3x3, stride-1 op, with
// each convPost, against the float64 convolution followed by the same
// steps, on odd sizes, channel counts off the kernel's tiles and batches,
// the Winograd path in chunks of the default size and of one tile row.
func TestWinogradMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	shapes := [][4]int{{1, 3, 5, 7}, {2, 5, 9, 8}, {3, 13, 7, 11}, {2, 19, 1, 1}, {1, 9, 2, 3}, {2, 70, 6, 5}, {1, 33, 17, 18}, {2, 6, 20, 13}, {1, 40, 7, 8}}
	for _, sh := range shapes {
		for _, post := range fusedCases {
			for _, path := range []string{"winograd", "winograd_rows", "winograd4", "winograd4_rows", "direct"} {
				direct := path == "direct"
				name := fmt.Sprintf("%v_res%v_relu%v_%s", sh, post.residual, post.relu, path)
				t.Run(name, func(t *testing.T) {
					xs := []int{sh[0], sh[1], sh[2], sh[3]}
					ws := []int{sh[1] + 3, sh[1], 3, 3}
					x, w := randoms(rng, prod(xs)), randoms(rng, prod(ws))
					bn := affine{scale: randoms(rng, ws[0]), shift: randoms(rng, ws[0])}
					op, err := newConvOp("t", testWeight(t, newDense(ws, w)), 1, 1, convPost{bn: &bn, residual: post.residual, relu: post.relu}, nil)
					if err != nil {
						t.Fatal(err)
					}
					op.path = pathWinograd
					if direct {
						op.path = pathDirect
					}
					if strings.HasSuffix(path, "_rows") {
						op.scratch.wino.chunkBytes = 1 // one tile row a chunk
					}
					if strings.HasPrefix(path, "winograd4") {
						op.scratch.wino.tile = 4 // F(4×4) wherever it needs fewer products
					}
					if op.winograd() == direct {
						t.Fatalf("winograd() = %v on path %v", op.winograd(), op.path)
					}
					want, os := naiveConv(x, xs, w, ws, 1, 1)
					in := []G.Value{newDense(xs, x)}
					var res []float32
					if post.residual {
						res = randoms(rng, prod(os))
						in = append(in, newDense(os, res))
					}
					p := os[2] * os[3]
					for i := range want {
						co := i / p % ws[0]
						v := want[i]*float64(bn.scale[co]) + float64(bn.shift[co])
						if res != nil {
							v += float64(res[i])
						}
						if post.relu {
							v = math.Max(v, 0)
						}
						want[i] = v
					}
					y, err := op.Do(in...)
					if err != nil {
						t.Fatal(err)
					}
					if strings.HasPrefix(path, "winograd4") {
						closeToScale(t, "forward", y.Data().([]float32), want, 2e-5)
					} else {
						closeTo(t, "forward", y.Data().([]float32), want)
					}
				})
			}
		}
	}
}

// TestWinogradPostMatchesSteps checks that the Winograd path's fused
// batch norm, residual sum and ReLU give, bit for bit, its plain product
// followed by the same float32 steps one by one.
func TestWinogradPostMatchesSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	xs, ws := []int{2, 6, 7, 9}, []int{5, 6, 3, 3}
	w := testWeight(t, newDense(ws, randoms(rng, prod(ws))))
	bn := affine{scale: randoms(rng, ws[0]), shift: randoms(rng, ws[0])}
	x := newDense(xs, randoms(rng, prod(xs)))
	for i, c := range append(fusedCases, fusedCases...) {
		plain, err := newConvOp("t", w, 1, 1, convPost{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fused, err := newConvOp("t", w, 1, 1, convPost{bn: &bn, residual: c.residual, relu: c.relu}, nil)
		if err != nil {
			t.Fatal(err)
		}
		plain.path, fused.path = pathWinograd, pathWinograd
		if i >= len(fusedCases) { // the second time round by F(4×4)
			plain.scratch.wino.tile, fused.scratch.wino.tile = 4, 4
		}
		y, err := plain.Do(x)
		if err != nil {
			t.Fatal(err)
		}
		want := append([]float32(nil), y.Data().([]float32)...)
		res := randoms(rng, len(want))
		p := xs[2] * xs[3]
		for i, v := range want {
			co := i / p % ws[0]
			v = float32(v * bn.scale[co])
			v = float32(v + bn.shift[co])
			if c.residual {
				v = float32(v + res[i])
			}
			if c.relu {
				v = max(v, 0)
			}
			want[i] = v
		}
		in := []G.Value{x}
		if c.residual {
			in = append(in, newDense(y.Shape(), res))
		}
		got, err := fused.Do(in...)
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, fused.String(), got.Data().([]float32), want)
	}
}

// TestWinogradOnlyWithoutProbes checks that the convolutions of graphs
// whose gradient runs back through them keep the direct product, that
// WithWinograd and XRAY_CONV turn the path off, and that only 3x3,
// stride-1, padding-1 ones are eligible.
func TestWinogradOnlyWithoutProbes(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	w := testWeight(t, newDense([]int{4, 3, 3, 3}, randoms(rng, 4*3*9)))
	op, err := newConvOp("t", w, 1, 1, convPost{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !op.winograd() {
		t.Error("graph without probes: winograd() = false")
	}
	var set settings // the builder turns the path off as the model's settings say
	if set.winogradOn() != winogradAsked() {
		t.Errorf("default settings: Winograd %v, XRAY_CONV asks %v", set.winogradOn(), winogradAsked())
	}
	for _, on := range []bool{false, true} {
		if WithWinograd(on)(&set); set.winogradOn() != on {
			t.Errorf("WithWinograd(%v): Winograd %v", on, set.winogradOn())
		}
	}
	op.scratch.wino.off = true
	if op.winograd() {
		t.Error("turned off: winograd() = true")
	}
	op.scratch.wino.off = false
	op.scratch.wino.differentiated = true
	if op.winograd() {
		t.Error("graph with probes: winograd() = true")
	}
	op.path = pathWinograd // a test may still force it
	if !op.winograd() {
		t.Error("forced: winograd() = false")
	}
	for _, sp := range [][2]int{{2, 1}, {1, 0}} {
		strided, err := newConvOp("t", w, sp[0], sp[1], convPost{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strided.path = pathWinograd; strided.winograd() {
			t.Errorf("stride %d, padding %d: winograd() = true", sp[0], sp[1])
		}
	}
}

// TestWinogradBlockRoom checks that a block's rows of V leave room for the
// input transform's spill past each channel's last tile, which would
// otherwise land in the next channel's row, written concurrently when
// the channels are shared among goroutines (see phased).
func TestWinogradBlockRoom(t *testing.T) {
	w := testWeight(t, newDense([]int{2, 3, 3, 3}, make([]float32, 2*3*9)))
	op, err := newConvOp("t", w, 1, 1, convPost{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for h := 1; h <= 20; h++ {
		for wd := 1; wd <= 40; wd++ {
			for _, l := range []winograd.Layout{winograd.NewLayout(h, wd), winograd.NewLayoutF4(h, wd)} {
				r := winogradRun{op: op, l: l}
				for ty0 := 0; ty0 < r.l.TH; ty0++ {
					var v, m []float32
					b := r.block(&v, &m, 0, ty0, r.l.TH)
					tiles := (r.l.TH - ty0) * r.l.TW
					if b.vrow < tiles-r.l.TW+winograd.Span(r.l.TW) || b.cols < tiles || b.cols%gemm.PanelWidth != 0 {
						t.Fatalf("F(%d) %dx%d from tile row %d: vrow %d, cols %d for %d tiles of rows of %d", l.M, h, wd, ty0, b.vrow, b.cols, tiles, r.l.TW)
					}
				}
			}
		}
	}
}

// closeToScale is closeTo for F(4×4, 3×3), whose rounding error grows
// with the size of the sums rather than of each result: every value must
// lie within tol·(rms + |want|) of want, rms the root mean square of all
// of want (a wrong tap or tile moves values by about rms).
func closeToScale(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var ss float64
	for _, v := range want {
		ss += v * v
	}
	rms := math.Sqrt(ss / float64(max(1, len(want))))
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*(rms+math.Abs(want[i])) {
			t.Fatalf("%s: [%d] = %g, want %g (rms %g)", what, i, got[i], want[i], rms)
		}
	}
}
