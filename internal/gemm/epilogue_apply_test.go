package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestApplyEpilogueEqualsSteps checks ApplyEpilogue, with every kernel,
// against the steps one by one, bit for bit, on a strided view.
func TestApplyEpilogueEqualsSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, kern := range Kernels() {
		for _, s := range [][2]int{{1, 1}, {3, 17}, {9, 70}} {
			for parts := 0; parts < 16; parts++ {
				name := fmt.Sprintf("%v/%v/parts=%b", kern, s, parts)
				e := randomEpilogue(rng, s[0], s[1], parts)
				full := view(rng, s[0], s[1]+5, false)
				got := Matrix{Rows: s[0], Cols: s[1], Stride: full.Stride, Data: full.Data}
				want := clone(got)
				applySteps(want, e)
				if err := ApplyEpilogue(got, e, kern); err != nil {
					t.Fatal(name, err)
				}
				for i := 0; i < s[0]; i++ {
					sameData(t, name, got.Data[i*got.Stride:i*got.Stride+s[1]], want.Data[i*want.Stride:i*want.Stride+s[1]])
				}
			}
		}
	}
	bad := Epilogue{Scale: []float32{1}}
	if err := ApplyEpilogue(Matrix{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}, &bad, KernelAuto); err == nil {
		t.Error("one scale for two rows: no error")
	}
}
