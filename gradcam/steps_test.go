package gradcam

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xrayllm/xray/internal/fixtures"
)

// gradientMethods are the methods that read dScore/dA.
func gradientMethods() []Method {
	var ms []Method
	for _, m := range allMethods() {
		if m.NeedsGradient() {
			ms = append(ms, m)
		}
	}
	return ms
}

// recombine computes a method's signed map from the steps' A, dScore/dA
// and α, independently of the method's code: Σ_c α_c·A_c when the method
// has channel weights, else its per-place formula.
func recombine(t *testing.T, s *Steps) []float32 {
	t.Helper()
	n := s.Height * s.Width
	out := make([]float64, n)
	for c := 0; c < s.Channels; c++ {
		for i := range n {
			a, g := float64(s.Activations[c*n+i]), float64(s.Gradients[c*n+i])
			switch {
			case s.Alpha != nil:
				out[i] += float64(s.Alpha[c]) * a
			case s.Method == "hirescam":
				out[i] += g * a
			case s.Method == "layercam":
				out[i] += math.Max(g, 0) * a
			default:
				t.Fatalf("%s: no α and no per-place formula", s.Method)
			}
		}
	}
	m := make([]float32, n)
	for i, v := range out {
		m[i] = float32(v)
	}
	return m
}

// TestStepsRecombineToMap checks, for every gradient method at two
// layers, that ReLU(Σ α·A) (or the method's per-place sum) upsampled is
// the map Explain returns, that each step is the previous one's
// consequence, and that asking for the steps changes nothing.
func TestStepsRecombineToMap(t *testing.T) {
	e, _, _ := fixtureExplainer(t, "resnet34_narrow")
	defer e.Close()
	x := fixtures.Pattern(0)
	ctx := context.Background()
	for _, layer := range []string{"layer4", "layer3"} {
		rs, err := e.ExplainMethods(ctx, x, gradientMethods(), &Options{Layer: layer, Steps: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range rs {
			t.Run(layer+"/"+res.Method, func(t *testing.T) {
				if res.Steps == nil || res.Steps.Layer != layer {
					t.Fatalf("steps %+v at %s", res.Steps, layer)
				}
				checkRecombines(t, res)
				plain, err := e.Explain(ctx, x, &Options{Layer: layer, Method: mustMethod(t, res.Method)})
				if err != nil {
					t.Fatal(err)
				}
				if plain.Steps != nil || !slices.Equal(plain.Map, res.Map) {
					t.Error("Steps changed the explanation, or came unasked")
				}
			})
		}
	}
}

// checkRecombines checks that the steps of a gradient method's result
// recombine to its map: the signed sum from A, dScore/dA and α (see
// recombine), its ReLU = Raw, and that upsampled = Map.
func checkRecombines(t *testing.T, res *Result) {
	t.Helper()
	s := res.Steps
	if s == nil {
		t.Fatal("no steps")
	}
	if s.Method != res.Method || s.Layer != res.Layer || s.Target != res.Target {
		t.Errorf("steps of %s %s %s, result %s %s %s", s.Method, s.Layer, s.Target, res.Method, res.Layer, res.Target)
	}
	n := s.Channels * s.Height * s.Width
	if len(s.Activations) != n || len(s.Gradients) != n || len(s.Weighted) != s.Height*s.Width {
		t.Fatalf("sizes %d, %d, %d for %dx%dx%d", len(s.Activations), len(s.Gradients), len(s.Weighted), s.Channels, s.Height, s.Width)
	}
	m := recombine(t, s)
	peak := 0.0
	for _, v := range m {
		peak = math.Max(peak, math.Abs(float64(v)))
	}
	for i := range m {
		if d := math.Abs(float64(m[i] - s.Weighted[i])); d > 1e-5*peak {
			t.Fatalf("weighted[%d] = %v, recombined %v", i, s.Weighted[i], m[i])
		}
	}
	if !slices.Equal(s.Rectified, relu(s.Weighted)) {
		t.Error("Rectified is not ReLU(Weighted)")
	}
	if !slices.Equal(s.Rectified, slices.Concat(res.Raw...)) {
		t.Error("Rectified is not Result.Raw")
	}
	if !slices.Equal(s.Upsampled, res.Map) {
		t.Error("Upsampled is not Result.Map")
	}
	up, _, err := Finalize(m, s.Height, s.Width, res.Height, res.Width)
	if err != nil {
		t.Fatal(err)
	}
	for i := range up {
		if d := math.Abs(float64(up[i] - res.Map[i])); d > 1e-4 {
			t.Fatalf("upsampled recombination[%d] = %v, map %v", i, up[i], res.Map[i])
		}
	}
}

// mustMethod returns the method called name.
func mustMethod(t *testing.T, name string) Method {
	t.Helper()
	m, err := MethodByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestStepsGradCAMAlphaIsMeanGradient checks α_c = mean_ij dScore/dA_cij
// at a layer where the gradient varies over the places.
func TestStepsGradCAMAlphaIsMeanGradient(t *testing.T) {
	e, _, _ := fixtureExplainer(t, "resnet34_narrow")
	defer e.Close()
	res, err := e.Explain(context.Background(), fixtures.Pattern(1), &Options{Layer: "layer3", Steps: true})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Steps
	n := s.Height * s.Width
	if len(s.Alpha) != s.Channels {
		t.Fatalf("%d weights for %d channels", len(s.Alpha), s.Channels)
	}
	varies := false
	for c, a := range s.Alpha {
		g := s.Gradients[c*n : (c+1)*n]
		mean := 0.0
		for _, v := range g {
			mean += float64(v)
			varies = varies || v != g[0]
		}
		mean /= float64(n)
		if math.Abs(float64(a)-mean) > 1e-6*math.Abs(mean)+1e-12 {
			t.Errorf("α[%d] = %v, mean gradient %v", c, a, mean)
		}
	}
	if !varies {
		t.Error("the gradient is constant over every channel; the test proves nothing")
	}
}

// stepsGolden is testdata/steps_golden.json (make_steps.py).
type stepsGolden struct {
	Layers map[string]struct {
		Target   int                  `json:"target"`
		Shape    []int                `json:"shape"`
		Grads    []float64            `json:"grads"`
		Alpha    map[string][]float64 `json:"alpha"`
		Weighted []float64            `json:"weighted"`
	} `json:"layers"`
}

// TestStepsMatchPyTorch compares dScore/dA, α of the weighted methods and
// Grad-CAM's signed sum with PyTorch's autograd on the fixture network.
func TestStepsMatchPyTorch(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "steps_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden stepsGolden
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	e, _, _ := fixtureExplainer(t, "resnet34_narrow")
	defer e.Close()
	for layer, want := range golden.Layers {
		t.Run(layer, func(t *testing.T) {
			var ms []Method
			for name := range want.Alpha {
				ms = append(ms, mustMethod(t, name))
			}
			rs, err := e.ExplainMethods(context.Background(), fixtures.Pattern(0), ms, &Options{Layer: layer, Steps: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, res := range rs {
				s := res.Steps
				if res.TargetIndex != want.Target || !slices.Equal([]int{s.Channels, s.Height, s.Width}, want.Shape) {
					t.Fatalf("target %d shape %dx%dx%d, PyTorch %d %v", res.TargetIndex, s.Channels, s.Height, s.Width, want.Target, want.Shape)
				}
				closeTo(t, layer+" dScore/dA", s.Gradients, want.Grads, 1e-3)
				closeTo(t, layer+" α "+res.Method, s.Alpha, want.Alpha[res.Method], 1e-3)
				if res.Method == "gradcam" {
					closeTo(t, layer+" weighted", s.Weighted, want.Weighted, 1e-3)
				}
			}
		})
	}
}

// closeTo checks got against want within tol of want's largest magnitude.
func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	peak := 0.0
	for _, v := range want {
		peak = math.Max(peak, math.Abs(v))
	}
	for i, v := range want {
		if math.Abs(float64(got[i])-v) > tol*peak {
			t.Fatalf("%s[%d] = %v, PyTorch %v (peak %v)", what, i, got[i], v, peak)
		}
	}
}

// TestStepsOfOtherMethodsAndErrors checks what gradient-free methods
// expose and that Steps refuses what has no single set of steps.
func TestStepsOfOtherMethodsAndErrors(t *testing.T) {
	e, _, _ := fixtureExplainer(t, "resnet18_narrow")
	defer e.Close()
	ctx := context.Background()
	x := fixtures.Pattern(2)
	rs, err := e.ExplainMethods(ctx, x, []Method{EigenCAM(), ScoreCAM(), GradCAM()}, &Options{Steps: true})
	if err != nil {
		t.Fatal(err)
	}
	eigen, score := rs[0].Steps, rs[1].Steps
	if eigen.Gradients != nil || eigen.Alpha != nil || len(eigen.Activations) == 0 {
		t.Errorf("eigencam steps: %d gradients, %d weights, %d activations", len(eigen.Gradients), len(eigen.Alpha), len(eigen.Activations))
	}
	if score.Gradients != nil || len(score.Alpha) != score.Channels {
		t.Errorf("scorecam steps: %d gradients, %d weights", len(score.Gradients), len(score.Alpha))
	}
	if rs[2].Steps.Gradients == nil {
		t.Error("gradcam steps beside gradient-free methods lack the gradient")
	}
	for _, o := range []*Options{{Steps: true, AugSmooth: true}, {Steps: true, Layers: []string{"layer3", "layer4"}}} {
		if _, err := e.Explain(ctx, x, o); err == nil {
			t.Errorf("Steps with %+v: no error", o)
		}
	}
}
