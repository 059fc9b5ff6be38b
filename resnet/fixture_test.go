package resnet

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// stageStats is what the fixture scripts record for an activation.
type stageStats struct {
	Shape []int     `json:"shape"`
	Mean  float64   `json:"mean"`
	Std   float64   `json:"std"`
	Min   float64   `json:"min"`
	Max   float64   `json:"max"`
	Head  []float64 `json:"head"`
}

// gradRecord is the fixture's gradient record at one layer.
type gradRecord struct {
	Grad       stageStats  `json:"grad"`
	Act        stageStats  `json:"act"`
	GradCAMRaw [][]float64 `json:"gradcam_raw"`
	Target     []int       `json:"target"`
}

// fixtureModel is one narrow network in testdata/expected.json.
type fixtureModel struct {
	Checkpoint  string                `json:"checkpoint"`
	Blocks      [4]int                `json:"blocks"`
	Images      int                   `json:"images"`
	Logits      [][]float64           `json:"logits"`
	Stages      map[string]stageStats `json:"stages"`
	BatchStages map[string]stageStats `json:"batch_stages"`
	Grads       map[string]gradRecord `json:"grads"`
}

// readFixtures reads testdata/expected.json, made by make_fixtures.py.
func readFixtures(t testing.TB) map[string]fixtureModel {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Models map[string]fixtureModel `json:"models"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f.Models
}

// pattern is image k of the fixture script: exact integer arithmetic, so
// Go and PyTorch see the same float32 input.
func pattern(k int) []float32 {
	x := make([]float32, inputLen)
	i := 0
	for c := 0; c < 3; c++ {
		for h := 0; h < InputSize; h++ {
			for w := 0; w < InputSize; w++ {
				v := (h*(k+3) + w*(2*k+5) + c*11 + (h*w)/(17+k)) % 64
				x[i] = float32(float64(v) / 63)
				i++
			}
		}
	}
	return x
}

// patterns concatenates images 0..n-1.
func patterns(n int) []float32 {
	var x []float32
	for k := 0; k < n; k++ {
		x = append(x, pattern(k)...)
	}
	return x
}

// describe computes the same statistics as the fixture scripts (std with
// Bessel's correction, as torch.std).
func describe(shape []int, v []float32) stageStats {
	var sum float64
	s := stageStats{Shape: shape, Min: math.Inf(1), Max: math.Inf(-1)}
	for _, x := range v {
		sum += float64(x)
		s.Min = math.Min(s.Min, float64(x))
		s.Max = math.Max(s.Max, float64(x))
	}
	s.Mean = sum / float64(len(v))
	var ss float64
	for _, x := range v {
		d := float64(x) - s.Mean
		ss += d * d
	}
	s.Std = math.Sqrt(ss / float64(len(v)-1))
	for i := 0; i < 8 && i < len(v); i++ {
		s.Head = append(s.Head, float64(v[i]))
	}
	return s
}

// compareStats reports where got differs from want by more than tol,
// relative to the activation's spread.
func compareStats(t *testing.T, name string, got, want stageStats, tol float64) {
	t.Helper()
	if len(got.Shape) != len(want.Shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape, want.Shape)
		return
	}
	for i := range got.Shape {
		if got.Shape[i] != want.Shape[i] {
			t.Errorf("%s: shape %v, want %v", name, got.Shape, want.Shape)
			return
		}
	}
	scale := math.Max(want.Std, 1e-3)
	check := func(what string, g, w float64) {
		if math.Abs(g-w) > tol*scale {
			t.Errorf("%s: %s = %.6g, want %.6g (tolerance %.2g)", name, what, g, w, tol*scale)
		}
	}
	check("mean", got.Mean, want.Mean)
	check("std", got.Std, want.Std)
	check("min", got.Min, want.Min)
	check("max", got.Max, want.Max)
	for i := range want.Head {
		check("head", got.Head[i], want.Head[i])
	}
}
