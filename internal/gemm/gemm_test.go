package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// view lays out a rows×cols matrix (of the view) in a buffer with some
// padding per stored row, transposed in storage when trans is set.
func view(rng *rand.Rand, rows, cols int, trans bool) Matrix {
	sr, sc := rows, cols
	if trans {
		sr, sc = cols, rows
	}
	stride := sc + rng.IntN(3)
	data := make([]float32, max(0, (sr-1)*stride+sc))
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return Matrix{Rows: rows, Cols: cols, Stride: stride, Data: data, Trans: trans}
}

// get reads element (i, j) of a view.
func get(m Matrix, i, j int) float32 { return m.Data[m.offset(i, j)] }

// permuted gives a view a random column permutation of its storage.
func permuted(rng *rand.Rand, m Matrix) Matrix {
	inner := m.Cols
	if m.Trans {
		inner = m.Rows
	}
	m.Index = rng.Perm(inner)
	return m
}

// checkMul multiplies with o and compares every element against a
// float64-accumulating reference, within a bound on float32 rounding.
func checkMul(t *testing.T, rng *rand.Rand, m, n, k int, ta, tb bool, o Options) {
	t.Helper()
	a, b := view(rng, m, k, ta), view(rng, k, n, tb)
	if rng.IntN(4) == 0 {
		a = permuted(rng, a)
	}
	if rng.IntN(4) == 0 {
		b = permuted(rng, b)
	}
	c := view(rng, m, n, false)
	before := append([]float32(nil), c.Data...)
	if err := Mul(c, a, b, o); err != nil {
		t.Fatalf("%d×%d×%d: %v", m, n, k, err)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum, abs float64
			for p := 0; p < k; p++ {
				v := float64(get(a, i, p)) * float64(get(b, p, j))
				sum += v
				abs += math.Abs(v)
			}
			if o.Accumulate {
				sum += float64(before[i*c.Stride+j])
				abs += math.Abs(float64(before[i*c.Stride+j]))
			}
			got := float64(c.Data[i*c.Stride+j])
			if tol := 1e-6*float64(k+1)*abs + 1e-30; math.Abs(got-sum) > tol {
				t.Fatalf("%d×%d×%d ta=%v tb=%v %+v: c[%d,%d] = %g, want %g (tol %g)", m, n, k, ta, tb, o, i, j, got, sum, tol)
			}
		}
	}
	// Padding between rows of c is never written.
	for i := 0; i < m; i++ {
		for j := n; j < c.Stride && i*c.Stride+j < len(c.Data); j++ {
			if c.Data[i*c.Stride+j] != before[i*c.Stride+j] {
				t.Fatalf("%d×%d×%d: padding c[%d,%d] written", m, n, k, i, j)
			}
		}
	}
}

func TestMulSmallShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 2, 3, 5, 6, 7, 11, 15, 16, 17, 24, 31, 33, 47, 64, 70}
	if raceEnabled {
		sizes = []int{1, 5, 6, 7, 16, 17, 33, 70}
	}
	for _, m := range sizes {
		for _, n := range sizes {
			for _, k := range sizes {
				ks := Kernels()
				o := Options{Accumulate: rng.IntN(2) == 0, Workers: 1 + rng.IntN(3), Kernel: ks[rng.IntN(len(ks))]}
				checkMul(t, rng, m, n, k, rng.IntN(2) == 0, rng.IntN(2) == 0, o)
			}
		}
	}
}

func TestMulEveryVariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][3]int{{1, 1, 1}, {6, 16, 1}, {13, 37, 29}, {70, 70, 70}, {125, 1030, 260}, {7, 2100, 9}, {250, 3, 520}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				opts := []Options{{NoAsm: true}, {NoAsm: true, Workers: 2, Accumulate: true}}
				for _, k := range Kernels() {
					if raceEnabled { // one concurrent run per kernel: the reference is slow under the race detector
						opts = append(opts, Options{Kernel: k, Workers: 3, Accumulate: true})
						continue
					}
					opts = append(opts, Options{Kernel: k}, Options{Kernel: k, Accumulate: true}, Options{Kernel: k, Workers: 2}, Options{Kernel: k, Workers: 3, Accumulate: true})
				}
				for _, o := range opts {
					t.Run(fmt.Sprintf("%v/ta=%v/tb=%v/%+v", s, ta, tb, o), func(t *testing.T) {
						checkMul(t, rng, s[0], s[1], s[2], ta, tb, o)
					})
				}
			}
		}
	}
}

// resnetShapes are ResNet34's convolutions at 224x224 as Cout × OH·OW ×
// Cin·kh·kw products (forward), named by where they occur.
var resnetShapes = []struct {
	name    string
	m, n, k int
}{
	{"conv1", 64, 12544, 147},
	{"layer1", 64, 3136, 576},
	{"layer2.0.conv1", 128, 784, 576},
	{"layer2", 128, 784, 1152},
	{"layer2.downsample", 128, 784, 64},
	{"layer3", 256, 196, 2304},
	{"layer4", 512, 49, 4608},
	{"layer4.downsample", 512, 49, 256},
}

func TestMulResNetShapes(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow reference products (skipped with -short and -race)")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i, s := range resnetShapes {
		t.Run(s.name, func(t *testing.T) {
			ks := Kernels()[1:] // the assembly kernels; Go's is slow here
			if len(ks) == 0 {
				ks = Kernels()
			}
			checkMul(t, rng, s.m, s.n, s.k, false, false, Options{Kernel: ks[i%len(ks)]})
			// backward data: Wᵀ·dY
			checkMul(t, rng, s.k, s.n, s.m, true, false, Options{Workers: 2, Kernel: ks[(i+1)%len(ks)]})
		})
	}
}

// matrixSource is a Source over a stored matrix.
type matrixSource struct{ m Matrix }

// Size implements Source.
func (s matrixSource) Size() (int, int) { return s.m.Rows, s.m.Cols }

// Pack implements Source, element by element.
func (s matrixSource) Pack(panel []float32, p0, depth, j0, w int) {
	for p := 0; p < depth; p++ {
		for j := 0; j < w; j++ {
			panel[p*PanelWidth+j] = get(s.m, p0+p, j0+j)
		}
	}
}

func TestMulSourceMatchesMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, s := range [][3]int{{1, 1, 1}, {7, 33, 5}, {64, 300, 147}, {130, 1100, 270}} {
		opts := []Options{{}, {NoAsm: true}}
		for _, k := range Kernels() {
			opts = append(opts, Options{Kernel: k, Workers: 2, Accumulate: true})
		}
		for _, o := range opts {
			a, b := view(rng, s[0], s[2], false), view(rng, s[2], s[1], rng.IntN(2) == 0)
			c1, c2 := view(rng, s[0], s[1], false), Matrix{}
			c2 = c1
			c2.Data = append([]float32(nil), c1.Data...)
			if err := Mul(c1, a, b, o); err != nil {
				t.Fatal(err)
			}
			if err := MulSource(c2, a, matrixSource{b}, o); err != nil {
				t.Fatal(err)
			}
			for i := range c1.Data {
				if c1.Data[i] != c2.Data[i] {
					t.Fatalf("%v %+v: [%d] = %g, Mul gives %g", s, o, i, c2.Data[i], c1.Data[i])
				}
			}
		}
	}
	c := Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}
	a := Matrix{Rows: 2, Cols: 3, Stride: 3, Data: make([]float32, 6)}
	if err := MulSource(c, a, matrixSource{Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}}, Options{}); err == nil {
		t.Error("MulSource with a 2-row source for depth 3: no error")
	}
}

func TestMulErrors(t *testing.T) {
	ok := func(r, c int) Matrix { return Matrix{Rows: r, Cols: c, Stride: c, Data: make([]float32, r*c)} }
	for _, tc := range []struct {
		name    string
		c, a, b Matrix
	}{
		{"inner", ok(2, 2), ok(2, 3), ok(2, 2)},
		{"rows", ok(3, 2), ok(2, 2), ok(2, 2)},
		{"short data", ok(2, 2), Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 3)}, ok(2, 2)},
		{"small stride", ok(2, 2), Matrix{Rows: 2, Cols: 2, Stride: 1, Data: make([]float32, 4)}, ok(2, 2)},
		{"negative", Matrix{Rows: -1, Cols: 2}, ok(2, 2), ok(2, 2)},
		{"short index", ok(2, 2), Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4), Index: []int{0}}, ok(2, 2)},
		{"index past stride", ok(2, 2), Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4), Index: []int{0, 2}}, ok(2, 2)},
		{"negative index", ok(2, 2), Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4), Index: []int{-1, 1}}, ok(2, 2)},
		{"indexed c", Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4), Index: []int{1, 0}}, ok(2, 2), ok(2, 2)},
		{"transposed c", Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4), Trans: true}, ok(2, 2), ok(2, 2)},
	} {
		if err := Mul(tc.c, tc.a, tc.b, Options{}); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestMulZeroDepth(t *testing.T) {
	c := Matrix{Rows: 2, Cols: 2, Stride: 2, Data: []float32{1, 2, 3, 4}}
	a := Matrix{Rows: 2, Cols: 0}
	b := Matrix{Rows: 0, Cols: 2}
	if err := Mul(c, a, b, Options{Accumulate: true}); err != nil || c.Data[3] != 4 {
		t.Fatalf("accumulate with k=0: %v %v", err, c.Data)
	}
	if err := Mul(c, a, b, Options{}); err != nil || c.Data[3] != 0 {
		t.Fatalf("k=0: %v %v", err, c.Data)
	}
}

func FuzzMul(f *testing.F) {
	f.Add(uint8(5), uint8(17), uint8(3), uint8(0), uint64(1))
	f.Add(uint8(70), uint8(1), uint8(70), uint8(15), uint64(2))
	f.Fuzz(func(t *testing.T, m, n, k, flags uint8, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 7))
		ks := Kernels()
		o := Options{Accumulate: flags&4 != 0, Kernel: ks[int(flags>>3&3)%len(ks)], Workers: int(flags>>5) % 4}
		checkMul(t, rng, int(m%80)+1, int(n%80)+1, int(k%80), flags&1 != 0, flags&2 != 0, o)
	})
}
