package gradcam

import (
	"context"
	"math"
	"path/filepath"
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
