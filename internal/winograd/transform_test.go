package winograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xrayllm/xray/internal/gemm"
)

// conv3x3 is the float64 3×3, stride-1, padding-1 convolution of one
// plane by one filter.
func conv3x3(img []float32, h, w int, g []float32) []float64 {
	out := make([]float64, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for ky := 0; ky < 3; ky++ {
				for kx := 0; kx < 3; kx++ {
					iy, ix := y+ky-1, x+kx-1
					if iy >= 0 && iy < h && ix >= 0 && ix < w {
						s += float64(g[ky*3+kx]) * float64(img[iy*w+ix])
					}
				}
			}
			out[y*w+x] = s
		}
	}
	return out
}

// TestTransformsConvolve checks Split, Input, the products at each ξ and
// Output together against the float64 convolution of one plane, on odd
// and even sizes, in chunks of tile rows, with every kernel.
func TestTransformsConvolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kind := range gemm.Kernels() {
		k, err := For(kind)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []int{2, 4} {
			for _, hw := range [][2]int{{1, 1}, {1, 2}, {2, 1}, {3, 5}, {7, 7}, {8, 6}, {14, 14}, {9, 40}, {56, 56}, {13, 29}} {
				for _, chunk := range []int{1, 2, 3} {
					t.Run(fmt.Sprintf("%v_F%d_%dx%d_chunk%d", kind, m, hw[0], hw[1], chunk), func(t *testing.T) {
						testConvolve(t, k, rng, m, hw[0], hw[1], chunk)
					})
				}
			}
		}
	}
}

func testConvolve(t *testing.T, k Kernels, rng *rand.Rand, m, h, w, chunk int) {
	img, g := randoms(rng, h*w), randoms(rng, 9)
	u2, u4 := FilterTransform(g), FilterTransformF4(g)
	l, u, tol := NewLayout(h, w), u2[:], 1e-5
	if m == 4 {
		l, u, tol = NewLayoutF4(h, w), u4[:], 1e-4
	}
	if len(u) != l.Tiles() {
		t.Fatalf("F(%d): %d transformed values for %d positions", m, len(u), l.Tiles())
	}
	p := make([]float32, l.PlaneSize())
	for i := range p {
		p[i] = float32(math.NaN()) // Split must write every value the transforms read
	}
	l.Split(p, img)
	out := make([]float32, h*w)
	for ty0 := 0; ty0 < l.TH; ty0 += chunk {
		rows := min(chunk, l.TH-ty0)
		v, mm := make([][]float32, l.Tiles()), make([][]float32, l.Tiles())
		for xi := range v {
			v[xi] = make([]float32, (rows-1)*l.TW+Span(l.TW))
			mm[xi] = make([]float32, Span(rows*l.TW))
		}
		k.Input(v, p, l, ty0, rows, make([]float32, l.InputScratch(rows)))
		for xi := range v {
			for i := 0; i < rows*l.TW; i++ {
				mm[xi][i] = u[xi] * v[xi][i]
			}
		}
		k.Output(out, mm, l, ty0, rows, make([]float32, l.OutputScratch(rows*l.TW)))
	}
	want := conv3x3(img, h, w, g)
	for i, v := range out {
		if d := math.Abs(float64(v) - want[i]); d > tol*(1+math.Abs(want[i])) {
			t.Fatalf("[%d] = %v, want %v", i, v, want[i])
		}
	}
}

// TestFilterTransform checks G g Gᵀ on a filter whose transform is known:
// a delta at the centre gives the outer product of (0, ½, −½, 0).
func TestFilterTransform(t *testing.T) {
	u := FilterTransform([]float32{0, 0, 0, 0, 1, 0, 0, 0, 0})
	c := [4]float32{0, 0.5, -0.5, 0}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			if u[i*4+j] != c[i]*c[j] {
				t.Fatalf("U[%d][%d] = %g, want %g", i, j, u[i*4+j], c[i]*c[j])
			}
		}
	}
}
