package gradcam

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/resnet"
)

// TestReferenceCAMs checks every method@layer of expected.json on every
// reference image, computed from the reference's resized input: the final
// 224x224 map within 2e-3 of pytorch-grad-cam's, the raw map within 1e-3
// of its maximum; for the gradient methods, the steps (Options.Steps)
// recombine to that map.
func TestReferenceCAMs(t *testing.T) {
	dir := reftest.Dir(t)
	exp := reftest.Load(t, dir)
	m, err := resnet.Load(reftest.Checkpoint(dir))
	if err != nil {
		t.Fatal(err)
	}
	e := NewExplainer(m, 0)
	defer func() { e.Close(); m.Close() }()
	var worstMap, worstRaw float64
	pairs := 0
	for _, im := range exp.Images {
		x := preprocess.ToTensor(preprocess.RGB(reftest.Resized(t, dir, im.File)), nil, nil)
		byLayer := map[string][]Method{}
		for key := range im.CAMs {
			name, layer, _ := strings.Cut(key, "@")
			method, err := MethodByName(name)
			if err != nil {
				t.Fatal(err)
			}
			byLayer[layer] = append(byLayer[layer], method)
		}
		for layer, methods := range byLayer {
			results, err := e.ExplainMethods(context.Background(), x, methods, &Options{Layer: layer, Steps: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				key := r.Method + "@" + layer
				want := im.CAMs[key]
				if r.Target != im.Pred {
					t.Errorf("%s %s: target %s, PyTorch's prediction %s", im.File, key, r.Target, im.Pred)
				}
				worstRaw = math.Max(worstRaw, compareRaw(t, im.File+" "+key, r.Raw, want.Raw))
				wantMap, err := reftest.ReadF32(filepath.Join(dir, "cams", want.File), 224*224)
				if err != nil {
					t.Fatal(err)
				}
				worstMap = math.Max(worstMap, compareMap(t, im.File+" "+key, r.Map, wantMap))
				if mustMethod(t, r.Method).NeedsGradient() {
					checkRecombines(t, r)
				}
				pairs++
			}
		}
	}
	if pairs != 13*8 {
		t.Errorf("compared %d image × method@layer pairs, want 13 × 8", pairs)
	}
	t.Logf("%d pairs: largest map difference %.3g, largest raw difference %.3g of the raw maximum", pairs, worstMap, worstRaw)
}

// compareRaw returns the largest difference relative to want's maximum.
func compareRaw(t *testing.T, name string, got [][]float32, want [][]float64) float64 {
	t.Helper()
	if len(got) != len(want) || len(got) == 0 || len(got[0]) != len(want[0]) {
		t.Errorf("%s: raw map %dx?, want %dx%d", name, len(got), len(want), len(want[0]))
		return math.Inf(1)
	}
	var peak, worst float64
	for _, row := range want {
		for _, v := range row {
			peak = math.Max(peak, v)
		}
	}
	for i, row := range want {
		for j, v := range row {
			worst = math.Max(worst, math.Abs(float64(got[i][j])-v))
		}
	}
	rel := worst / math.Max(peak, 1e-12)
	if peak == 0 {
		rel = worst
	}
	if rel > 1e-3 {
		t.Errorf("%s: raw map differs by %.3g of its maximum %.3g", name, rel, peak)
	}
	return rel
}

// compareMap returns the largest absolute difference.
func compareMap(t *testing.T, name string, got, want []float32) float64 {
	t.Helper()
	var worst float64
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if worst > 2e-3 {
		t.Errorf("%s: map differs by %.3g (tolerance 2e-3)", name, worst)
	}
	return worst
}
