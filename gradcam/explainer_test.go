package gradcam

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xrayllm/xray/internal/fixtures"
	"github.com/xrayllm/xray/resnet"
	"github.com/xrayllm/xray/weights"
)

const fixtureDir = "../resnet/testdata"

func fixtureExplainer(t testing.TB, name string) (*Explainer, *resnet.Model, fixtures.Model) {
	t.Helper()
	f := fixtures.Read(t, filepath.Join(fixtureDir, "expected.json"))[name]
	m, err := resnet.Load(filepath.Join(fixtureDir, f.Checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	e := NewExplainer(m, 0)
	t.Cleanup(func() { e.Close(); m.Close() })
	return e, m, f
}

// TestGradientsMatchPyTorch checks dScore/dActivation at several layers,
// including ones whose gradient flows back through later stages, against
// PyTorch's autograd on the fixture network.
func TestGradientsMatchPyTorch(t *testing.T) {
	e, _, f := fixtureExplainer(t, "resnet34_narrow")
	for layer, want := range f.Grads {
		t.Run(layer, func(t *testing.T) {
			d, pred, err := e.LayerData(context.Background(), fixtures.Pattern(0), &Options{Layer: layer})
			if err != nil {
				t.Fatal(err)
			}
			if pred.Index != want.Target[0] {
				t.Fatalf("target %d, PyTorch %d", pred.Index, want.Target[0])
			}
			shape := []int{1, d.C, d.H, d.W}
			fixtures.Compare(t, layer+" activation", fixtures.Describe(shape, d.Acts), want.Act, 1e-4)
			fixtures.Compare(t, layer+" gradient", fixtures.Describe(shape, d.Grads), want.Grad, 1e-3)
		})
	}
}

func TestGradCAMRawMatchesPyTorch(t *testing.T) {
	e, _, f := fixtureExplainer(t, "resnet34_narrow")
	for _, layer := range []string{"layer4", "layer3"} {
		res, err := e.Explain(context.Background(), fixtures.Pattern(0), &Options{Layer: layer})
		if err != nil {
			t.Fatal(err)
		}
		want := f.Grads[layer].GradCAMRaw[0]
		var peak float64
		for _, v := range want {
			peak = math.Max(peak, v)
		}
		i := 0
		for _, row := range res.Raw {
			for _, v := range row {
				if math.Abs(float64(v)-want[i]) > 1e-3*peak {
					t.Errorf("%s raw[%d] = %v, want %v", layer, i, v, want[i])
				}
				i++
			}
		}
		if i != len(want) {
			t.Errorf("%s: %d raw values, want %d", layer, i, len(want))
		}
	}
}

// TestGradCAMWeightsOracle: at layer4 with the logit target the gradient of
// class c's logit with respect to layer4 is fc.weight[c]/(H*W) everywhere,
// so Grad-CAM's channel weights are exactly that.
func TestGradCAMWeightsOracle(t *testing.T) {
	e, m, _ := fixtureExplainer(t, "resnet18_narrow")
	sd, err := weights.Load(filepath.Join(fixtureDir, "resnet18_narrow.pth"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fc := sd["fc.weight"]
	for class, name := range m.Classes() {
		res, err := e.Explain(context.Background(), fixtures.Pattern(1), &Options{Target: name})
		if err != nil {
			t.Fatal(err)
		}
		if res.TargetIndex != class {
			t.Fatalf("target %d, want %d", res.TargetIndex, class)
		}
		feats := fc.Shape[1]
		for c := 0; c < feats; c++ {
			want := fc.Data[class*feats+c] / 49
			if math.Abs(float64(res.Weights[c]-want)) > 1e-6 {
				t.Errorf("class %s channel %d: weight %v, want fc.weight/49 = %v", name, c, res.Weights[c], want)
			}
		}
	}
}

func TestExplainErrors(t *testing.T) {
	e, _, _ := fixtureExplainer(t, "resnet18_narrow")
	ctx := context.Background()
	x := fixtures.Pattern(0)
	tests := []struct {
		name string
		x    []float32
		opts *Options
		want string
	}{
		{"unknown layer", x, &Options{Layer: "layer5"}, "layer4.1"},
		{"fc is not a conv layer", x, &Options{Layer: "fc"}, "valid names"},
		{"unknown class", x, &Options{Target: "COVID"}, "NORMAL"},
		{"short input", x[:100], nil, "3×224×224"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Explain(ctx, tt.x, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestScoreCAMUsesMaskedForwardPasses recomputes ScoreCAM's channel scores
// with independent forward passes of the masked inputs.
func TestScoreCAMUsesMaskedForwardPasses(t *testing.T) {
	e, m, _ := fixtureExplainer(t, "resnet18_narrow")
	ctx := context.Background()
	x := fixtures.Pattern(2)
	res, err := e.Explain(ctx, x, &Options{Method: ScoreCAM()})
	if err != nil {
		t.Fatal(err)
	}
	d, pred, err := e.LayerData(ctx, x, &Options{Method: EigenCAM()}) // activations only
	if err != nil {
		t.Fatal(err)
	}
	masks, err := ScoreCAMMasks(d, 224, 224)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	scores := make([]float64, d.C)
	for c := 0; c < d.C; c++ {
		masked := make([]float32, len(x))
		for i := range x {
			masked[i] = x[i] * masks[c*224*224+i%(224*224)]
		}
		logits, err := m.Forward(ctx, masked)
		if err != nil {
			t.Fatal(err)
		}
		scores[c] = float64(logits[0][pred.Index])
	}
	peak := scores[0]
	for _, s := range scores {
		peak = math.Max(peak, s)
	}
	for _, s := range scores {
		sum += math.Exp(s - peak)
	}
	for c, s := range scores {
		want := math.Exp(s-peak) / sum
		if math.Abs(float64(res.Weights[c])-want) > 1e-5 {
			t.Errorf("channel %d: weight %v, want softmax of the masked scores %v", c, res.Weights[c], want)
		}
	}
}

func TestFaithfulness(t *testing.T) {
	e, m, _ := fixtureExplainer(t, "resnet34_narrow")
	ctx := context.Background()
	x := fixtures.Pattern(1)
	res, err := e.Explain(ctx, x, &Options{Faithfulness: true})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Faithfulness
	if f == nil {
		t.Fatal("no faithfulness")
	}
	// Recompute: keep the top 20% of the map, zero the rest.
	kept := 0
	masked := make([]float32, len(x))
	threshold := topFifth(res.Map)
	for i := range x {
		if v := res.Map[i%(224*224)]; v >= threshold && v > 0 {
			masked[i] = x[i]
			if i < 224*224 {
				kept++
			}
		}
	}
	ps, err := m.PredictTensor(ctx, masked)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.Masked-ps[0].Probs[res.TargetIndex]) > 1e-9 || math.Abs(f.Original-res.Prediction.Probs[res.TargetIndex]) > 1e-12 {
		t.Errorf("faithfulness %+v; recomputed masked %v", f, ps[0].Probs[res.TargetIndex])
	}
	if math.Abs(f.Drop-(f.Original-f.Masked)) > 1e-12 {
		t.Errorf("drop %v != %v - %v", f.Drop, f.Original, f.Masked)
	}
	if frac := float64(kept) / (224 * 224); frac < 0.19 || frac > 0.25 {
		t.Errorf("kept %.3f of the pixels, want about 0.2", frac)
	}
}

// topFifth returns the value at the 80th percentile from the top.
func topFifth(m []float32) float32 {
	s := append([]float32(nil), m...)
	slices.Sort(s)
	return s[len(s)-len(s)/5]
}

// TestProbabilityTarget checks the softmax target against the chain rule:
// for two classes dp_t/dA = p_t(1-p_t) (dz_t/dA - dz_o/dA).
func TestProbabilityTarget(t *testing.T) {
	e, m, _ := fixtureExplainer(t, "resnet18_narrow")
	ctx := context.Background()
	x := fixtures.Pattern(0)
	prob, pred, err := e.LayerData(ctx, x, &Options{Probability: true})
	if err != nil {
		t.Fatal(err)
	}
	classes := m.Classes()
	gt, _, err := e.LayerData(ctx, x, &Options{Target: classes[pred.Index]})
	if err != nil {
		t.Fatal(err)
	}
	gother, _, err := e.LayerData(ctx, x, &Options{Target: classes[1-pred.Index]})
	if err != nil {
		t.Fatal(err)
	}
	p := pred.Probs[pred.Index]
	var peak float64
	for _, g := range gt.Grads {
		peak = math.Max(peak, math.Abs(float64(g)))
	}
	for i := range prob.Grads {
		want := p * (1 - p) * float64(gt.Grads[i]-gother.Grads[i])
		if math.Abs(float64(prob.Grads[i])-want) > 1e-5*peak {
			t.Fatalf("gradient %d: %v, want %v", i, prob.Grads[i], want)
		}
	}
}
