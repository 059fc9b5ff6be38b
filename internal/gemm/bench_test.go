package gemm

import (
	"fmt"
	"testing"
)

// BenchmarkResNet34 times the forward products of ResNet34's convolutions
// (see resnetShapes) and reports GFLOP/s.
func BenchmarkResNet34(b *testing.B) {
	for _, s := range resnetShapes {
		for _, noAsm := range []bool{false, true} {
			name := s.name
			if noAsm {
				name += "/go"
			}
			b.Run(name, func(b *testing.B) { benchMul(b, s.m, s.n, s.k, false, Options{NoAsm: noAsm}) })
		}
		b.Run(s.name+"/backward", func(b *testing.B) { benchMul(b, s.k, s.n, s.m, true, Options{}) })
	}
}

// benchMul times one m×n×k product.
func benchMul(b *testing.B, m, n, k int, ta bool, o Options) {
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
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Mul(c, a, bm, o); err != nil {
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
