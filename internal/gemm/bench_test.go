package gemm

import (
	"fmt"
	"testing"
)

// BenchmarkResNet34 times the forward products of ResNet34's convolutions
// (see resnetShapes) with every kernel this CPU runs, A packed per call
// (Mul) and once (MulPackedMatrix with a workspace, as the network runs
// them), and reports GFLOP/s.
func BenchmarkResNet34(b *testing.B) {
	b.Logf("default kernel: %s", KernelName())
	for _, s := range resnetShapes {
		for _, k := range Kernels() {
			b.Run(s.name+"/"+k.String(), func(b *testing.B) { benchMul(b, s.m, s.n, s.k, false, false, Options{Kernel: k}) })
			b.Run(s.name+"/"+k.String()+"/packed", func(b *testing.B) {
				benchMul(b, s.m, s.n, s.k, false, true, Options{Kernel: k, Workspace: new(Workspace)})
			})
		}
		b.Run(s.name+"/backward", func(b *testing.B) { benchMul(b, s.k, s.n, s.m, true, false, Options{}) })
	}
}

// benchMul times one m×n×k product, A packed once beforehand if packed.
func benchMul(b *testing.B, m, n, k int, ta, packed bool, o Options) {
	a := Matrix{Rows: m, Cols: k, Stride: k, Data: make([]float32, m*k), Trans: ta}
	if ta {
		a.Stride = m
	}
	bm := Matrix{Rows: k, Cols: n, Stride: n, Data: make([]float32, k*n)}
	c := Matrix{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)}
	for i := range a.Data {
		a.Data[i] = float32(i%7) - 3
	}
	for i := range bm.Data {
		bm.Data[i] = float32(i%5) - 2
	}
	mul := func() error { return Mul(c, a, bm, o) }
	if packed {
		pa, err := PackFor(a, o.Kernel)
		if err != nil {
			b.Fatal(err)
		}
		mul = func() error { return MulPackedMatrix(c, pa, bm, o) }
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := mul(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// ExampleMul multiplies a 2×3 matrix by a 3×2 one.
func ExampleMul() {
	a := Matrix{Rows: 2, Cols: 3, Stride: 3, Data: []float32{1, 2, 3, 4, 5, 6}}
	b := Matrix{Rows: 3, Cols: 2, Stride: 2, Data: []float32{1, 0, 0, 1, 1, 1}}
	c := Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}
	if err := Mul(c, a, b, Options{}); err != nil {
		fmt.Println(err)
	}
	fmt.Println(c.Data)
	// Output: [4 5 10 11]
}

// ExampleMulPacked packs a 2×3 matrix once and multiplies it by a 3×2 one,
// scaling, shifting and clamping each row of the product as it is stored.
func ExampleMulPacked() {
	a, err := Pack(Matrix{Rows: 2, Cols: 3, Stride: 3, Data: []float32{1, 2, 3, 4, 5, 6}})
	if err != nil {
		fmt.Println(err)
		return
	}
	b := Matrix{Rows: 3, Cols: 2, Stride: 2, Data: []float32{1, 0, 0, 1, 1, 1}}
	c := Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}
	o := Options{
		Epilogue:  &Epilogue{Scale: []float32{1, -1}, Shift: []float32{0, 10.5}, ReLU: true},
		Workspace: new(Workspace),
	}
	if err := MulPackedMatrix(c, a, b, o); err != nil {
		fmt.Println(err)
	}
	fmt.Println(c.Data)
	// Output: [4 5 0.5 0]
}
