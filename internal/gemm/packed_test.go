package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// clone copies a view's data.
func clone(m Matrix) Matrix {
	m.Data = append([]float32(nil), m.Data...)
	return m
}

// sameData fails unless got and want hold the same bits.
func sameData(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}

// randomEpilogue sets the parts of an epilogue for an m×n product chosen
// by the bits of parts.
func randomEpilogue(rng *rand.Rand, m, n int, parts int) *Epilogue {
	e := &Epilogue{ReLU: parts&8 != 0}
	if parts&1 != 0 {
		e.Scale = view(rng, 1, m, false).Data
	}
	if parts&2 != 0 {
		e.Shift = view(rng, 1, m, false).Data
	}
	if parts&4 != 0 {
		e.Residual = view(rng, m, n, false)
	}
	return e
}

// applySteps applies e to c the slow way, step by step, as a network
// without fusion would.
func applySteps(c Matrix, e *Epilogue) {
	for i := 0; i < c.Rows; i++ {
		for j := 0; j < c.Cols; j++ {
			v := c.Data[i*c.Stride+j]
			if e.Scale != nil {
				v = float32(v * e.Scale[i])
			}
			if e.Shift != nil {
				v = float32(v + e.Shift[i])
			}
			if e.Residual.Data != nil {
				v = float32(v + get(e.Residual, i, j))
			}
			if e.ReLU {
				v = max(v, 0)
			}
			c.Data[i*c.Stride+j] = v
		}
	}
}

func TestMulPackedMatchesMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := [][3]int{{1, 1, 1}, {5, 17, 3}, {8, 48, 256}, {9, 49, 257}, {13, 70, 69}, {64, 196, 300}, {70, 33, 520}}
	var ws Workspace
	for _, kern := range Kernels() {
		for _, s := range shapes {
			for _, o := range []Options{{Kernel: kern}, {Kernel: kern, Workers: 2}, {Kernel: kern, Workers: 3, Workspace: &ws}} {
				name := fmt.Sprintf("%v/%v/workers=%d", kern, s, o.Workers)
				a := view(rng, s[0], s[2], rng.IntN(2) == 0)
				if rng.IntN(2) == 0 {
					a = permuted(rng, a)
				}
				b := view(rng, s[2], s[1], rng.IntN(2) == 0)
				want := view(rng, s[0], s[1], false)
				got1, got2 := clone(want), clone(want)
				if err := Mul(want, a, b, o); err != nil {
					t.Fatal(name, err)
				}
				pa, err := PackFor(a, kern)
				if err != nil {
					t.Fatal(name, err)
				}
				if pa.Rows() != s[0] || pa.Cols() != s[2] || pa.Kernel() != kern {
					t.Fatalf("%s: packed %d×%d for %v", name, pa.Rows(), pa.Cols(), pa.Kernel())
				}
				if err := MulPacked(got1, pa, matrixSource{b}, o); err != nil {
					t.Fatal(name, err)
				}
				sameData(t, name+" MulPacked", got1.Data, want.Data)
				if err := MulPackedMatrix(got2, pa, b, o); err != nil {
					t.Fatal(name, err)
				}
				sameData(t, name+" MulPackedMatrix", got2.Data, want.Data)
			}
		}
	}
}

func TestUnpackRecoversTheView(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, kern := range Kernels() {
		for _, s := range [][2]int{{1, 1}, {7, 300}, {8, 256}, {17, 513}} {
			a := view(rng, s[0], s[1], rng.IntN(2) == 0)
			if rng.IntN(2) == 0 {
				a = permuted(rng, a)
			}
			pa, err := PackFor(a, kern)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, s[0]*s[1])
			if err := pa.Unpack(got); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < s[0]; i++ {
				for j := 0; j < s[1]; j++ {
					if g, w := got[i*s[1]+j], get(a, i, j); math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("%v %v: (%d, %d) = %g, want %g", kern, s, i, j, g, w)
					}
				}
			}
			if err := pa.Unpack(got[:len(got)-1]); err == nil {
				t.Errorf("%v %v: unpacking into too few values: no error", kern, s)
			}
		}
	}
}

func TestEpilogueEqualsSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var ws Workspace
	for _, kern := range Kernels() {
		for _, s := range [][3]int{{1, 1, 1}, {7, 5, 0}, {8, 49, 300}, {17, 70, 33}, {64, 530, 20}} {
			for parts := 0; parts < 16; parts++ {
				name := fmt.Sprintf("%v/%v/parts=%b", kern, s, parts)
				a, b := view(rng, s[0], s[2], false), view(rng, s[2], s[1], false)
				e := randomEpilogue(rng, s[0], s[1], parts)
				want := view(rng, s[0], s[1], false)
				got, gotPacked := clone(want), clone(want)
				o := Options{Kernel: kern, Workers: 1 + parts%3}
				if err := Mul(want, a, b, o); err != nil {
					t.Fatal(name, err)
				}
				applySteps(want, e)
				o.Epilogue = e
				if err := Mul(got, a, b, o); err != nil {
					t.Fatal(name, err)
				}
				sameData(t, name, got.Data, want.Data)
				pa, err := PackFor(a, kern)
				if err != nil {
					t.Fatal(name, err)
				}
				o.Workspace = &ws
				if err := MulPacked(gotPacked, pa, matrixSource{b}, o); err != nil {
					t.Fatal(name, err)
				}
				sameData(t, name+" packed", gotPacked.Data, want.Data)
			}
		}
	}
}

func TestPackedErrors(t *testing.T) {
	ok := func(r, c int) Matrix { return Matrix{Rows: r, Cols: c, Stride: c, Data: make([]float32, r*c)} }
	pa, err := Pack(ok(2, 3))
	if err != nil {
		t.Fatal(err)
	}
	other := KernelGo
	if pa.Kernel() == KernelGo {
		other = KernelAVX2
	}
	for _, tc := range []struct {
		name string
		c, b Matrix
		o    Options
	}{
		{"shape", ok(2, 2), ok(2, 2), Options{}},
		{"kernel", ok(2, 2), ok(3, 2), Options{Kernel: other}},
		{"accumulating epilogue", ok(2, 2), ok(3, 2), Options{Accumulate: true, Epilogue: &Epilogue{ReLU: true}}},
		{"scales", ok(2, 2), ok(3, 2), Options{Epilogue: &Epilogue{Scale: []float32{1}}}},
		{"shifts", ok(2, 2), ok(3, 2), Options{Epilogue: &Epilogue{Shift: []float32{1, 2, 3}}}},
		{"residual shape", ok(2, 2), ok(3, 2), Options{Epilogue: &Epilogue{Residual: ok(2, 3)}}},
		{"short residual", ok(2, 2), ok(3, 2), Options{Epilogue: &Epilogue{Residual: Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 3)}}}},
		{"transposed residual", ok(2, 2), ok(3, 2), Options{Epilogue: &Epilogue{Residual: Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4), Trans: true}}}},
	} {
		if err := MulPackedMatrix(tc.c, pa, tc.b, tc.o); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if err := MulPacked(ok(2, 2), nil, matrixSource{ok(3, 2)}, Options{}); err == nil {
		t.Error("nil packed matrix: no error")
	}
	if _, err := PackFor(ok(2, 2), Kernel(99)); err == nil {
		t.Error("unknown kernel: no error")
	}
}

func TestMulPackedAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	a, b, c := view(rng, 64, 300, false), view(rng, 300, 200, false), view(rng, 64, 200, false)
	pa, err := Pack(a)
	if err != nil {
		t.Fatal(err)
	}
	var ws Workspace
	o := Options{Workers: 1, Workspace: &ws, Epilogue: &Epilogue{Scale: make([]float32, 64), ReLU: true}}
	src := Source(matrixSource{b})
	allocs := testing.AllocsPerRun(10, func() {
		if err := MulPacked(c, pa, src, o); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("MulPacked with a workspace: %v allocations per call, want 0", allocs)
	}
}

func TestChoose(t *testing.T) {
	best := Kernels()[len(Kernels())-1]
	for _, tc := range []struct {
		env  string
		want Kernel
		note bool
	}{{"", best, false}, {"go", KernelGo, false}, {"bogus", best, true}} {
		d := choose(tc.env)
		if d.kernel != tc.want || (d.note != "") != tc.note {
			t.Errorf("choose(%q) = %+v, want %v (note %v)", tc.env, d, tc.want, tc.note)
		}
	}
	for _, k := range []Kernel{KernelAVX2, KernelAVX512} {
		d := choose(k.String())
		if k.Supported() != (d.kernel == k) || k.Supported() == (d.note != "") {
			t.Errorf("choose(%q) = %+v on a CPU that supports it: %v", k, d, k.Supported())
		}
	}
	t.Logf("default kernel: %s", KernelName())
}

// TestAssemblyKernelsAgree checks that the assembly kernels, whatever their
// tiles, sum in the same order with the same roundings: their products
// are identical bit for bit.
func TestAssemblyKernelsAgree(t *testing.T) {
	ks := Kernels()[1:]
	if len(ks) < 2 {
		t.Logf("this CPU runs %d assembly kernels; there is nothing to compare", len(ks))
		return
	}
	rng := rand.New(rand.NewPCG(17, 18))
	for _, s := range [][3]int{{1, 1, 1}, {9, 50, 255}, {64, 196, 576}, {70, 70, 600}, {130, 49, 1030}} {
		a, b := view(rng, s[0], s[2], rng.IntN(2) == 0), view(rng, s[2], s[1], false)
		want := view(rng, s[0], s[1], false)
		got := clone(want)
		if err := Mul(want, a, b, Options{Kernel: ks[0], Accumulate: true}); err != nil {
			t.Fatal(err)
		}
		for _, k := range ks[1:] {
			if err := Mul(got, a, b, Options{Kernel: k, Accumulate: true, Workers: 2}); err != nil {
				t.Fatal(err)
			}
			for i := range want.Data {
				if got.Data[i] != want.Data[i] {
					t.Fatalf("%v: %v gives [%d] = %g, %v %g", s, k, i, got.Data[i], ks[0], want.Data[i])
				}
			}
		}
	}
}

func TestPackedSharedConcurrently(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	a, b := view(rng, 70, 300, false), view(rng, 300, 90, false)
	want := view(rng, 70, 90, false)
	if err := Mul(want, a, b, Options{}); err != nil {
		t.Fatal(err)
	}
	pa, err := Pack(a)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			var ws Workspace
			c := clone(want)
			for range 3 {
				if err := MulPacked(c, pa, matrixSource{b}, Options{Workers: 2, Workspace: &ws}); err != nil {
					errs <- err
					return
				}
				for i := range c.Data {
					if c.Data[i] != want.Data[i] {
						errs <- fmt.Errorf("[%d] = %g, want %g", i, c.Data[i], want.Data[i])
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func FuzzMulPacked(f *testing.F) {
	f.Add(uint8(9), uint8(49), uint8(30), uint8(15), uint64(1))
	f.Add(uint8(1), uint8(70), uint8(0), uint8(0x3a), uint64(2))
	f.Fuzz(func(t *testing.T, m, n, k, flags uint8, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 8))
		ks := Kernels()
		kern := ks[int(flags>>4&3)%len(ks)]
		rows, cols, depth := int(m%80)+1, int(n%80)+1, int(k%80)
		a, b := view(rng, rows, depth, flags&0x40 != 0), view(rng, depth, cols, flags&0x80 != 0)
		if flags&0x20 != 0 {
			a = permuted(rng, a)
		}
		e := randomEpilogue(rng, rows, cols, int(flags&15))
		want := view(rng, rows, cols, false)
		got := clone(want)
		o := Options{Kernel: kern, Workers: int(seed % 4)}
		if err := Mul(want, a, b, o); err != nil {
			t.Fatal(err)
		}
		applySteps(want, e)
		pa, err := PackFor(a, kern)
		if err != nil {
			t.Fatal(err)
		}
		o.Epilogue = e
		if err := MulPacked(got, pa, matrixSource{b}, o); err != nil {
			t.Fatal(err)
		}
		sameData(t, fmt.Sprintf("%d×%d×%d %v parts %b", rows, cols, depth, kern, flags&15), got.Data, want.Data)
	})
}

func TestEpilogueSpecialValues(t *testing.T) {
	const m, n = 3, 37 // vectors and a scalar tail
	specials := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), -3, float32(math.Inf(1)), float32(math.Inf(-1)), 0}
	res := Matrix{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)}
	for i := range res.Data {
		res.Data[i] = specials[i%len(specials)]
	}
	e := &Epilogue{Scale: []float32{-1, 1, -2}, Residual: res, ReLU: true}
	a := Matrix{Rows: m, Cols: 1, Stride: 1, Data: make([]float32, m)}
	b := Matrix{Rows: 1, Cols: n, Stride: n, Data: make([]float32, n)}
	want := Matrix{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)} // 0·(-1) = -0: every special case
	applySteps(want, e)
	for _, k := range Kernels() {
		got := Matrix{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)}
		if err := Mul(got, a, b, Options{Kernel: k, Epilogue: e}); err != nil {
			t.Fatal(err)
		}
		sameData(t, k.String(), got.Data, want.Data)
	}
}
