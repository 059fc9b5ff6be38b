package gradcam

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xrayllm/xray/gradcam/occlusion"
	"github.com/xrayllm/xray/internal/reftest"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/resnet"
)

// explainRef is explain/explain.json of the reference.
type explainRef struct {
	BandPx int `json:"band_px"`
	Images []struct {
		File      string            `json:"file"`
		Pred      string            `json:"pred"`
		Probs     []float64         `json:"probs"`
		CAMs      map[string]string `json:"cams"`
		Occlusion struct {
			BandPx     int     `json:"band_px"`
			Target     string  `json:"target"`
			ProbBefore float64 `json:"prob_before"`
			ProbAfter  float64 `json:"prob_after"`
		} `json:"occlusion_border"`
	} `json:"images"`
}

func loadExplainRef(t *testing.T, dir string) explainRef {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "explain", "explain.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r explainRef
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("explain.json: %v", err)
	}
	if len(r.Images) == 0 {
		t.Fatal("explain.json lists no images")
	}
	return r
}

// optionsForKey turns a reference key, method[+aug|+eigen]@layer[+layer...],
// into a method and options.
func optionsForKey(t *testing.T, key string) (Method, *Options) {
	t.Helper()
	name, layers, _ := strings.Cut(key, "@")
	name, smooth, _ := strings.Cut(name, "+")
	m, err := MethodByName(name)
	if err != nil {
		t.Fatal(err)
	}
	o := &Options{Layers: strings.Split(layers, "+"), AugSmooth: smooth == "aug", EigenSmooth: smooth == "eigen"}
	return m, o
}

// TestReferenceExplainFeatures checks aug smoothing, eigen smoothing and
// multi-layer fusion against pytorch-grad-cam 1.5.5's maps (within 2e-3)
// on every reference image, and the border occlusion against PyTorch's
// probabilities (within 5e-3).
func TestReferenceExplainFeatures(t *testing.T) {
	dir := reftest.Dir(t)
	ref := loadExplainRef(t, dir)
	m, err := resnet.Load(reftest.Checkpoint(dir))
	if err != nil {
		t.Fatal(err)
	}
	e := NewExplainer(m, 0)
	defer func() { e.Close(); m.Close() }()
	ctx := context.Background()
	worst := map[string]float64{}
	var worstBefore, worstAfter float64
	for _, im := range ref.Images {
		x := preprocess.ToTensor(preprocess.RGB(reftest.Resized(t, dir, im.File)), nil, nil)
		for key, file := range im.CAMs {
			method, opts := optionsForKey(t, key)
			opts.Occlusion = key == "gradcam@layer2+layer3+layer4"
			r, err := e.ExplainMethods(ctx, x, []Method{method}, opts)
			if err != nil {
				t.Fatalf("%s %s: %v", im.File, key, err)
			}
			want, err := reftest.ReadF32(filepath.Join(dir, "explain", "cams", file), 224*224)
			if err != nil {
				t.Fatal(err)
			}
			if r[0].Target != im.Pred {
				t.Errorf("%s %s: target %s, PyTorch's %s", im.File, key, r[0].Target, im.Pred)
			}
			worst[key] = math.Max(worst[key], compareMap(t, im.File+" "+key, r[0].Map, want))
			if oc := r[0].Occlusion; oc != nil {
				b, _ := oc.Check(occlusion.Border)
				want := im.Occlusion
				if oc.BorderPixels != want.BandPx || oc.Target != want.Target {
					t.Errorf("%s: border %d px for %s, reference %d px for %s", im.File, oc.BorderPixels, oc.Target, want.BandPx, want.Target)
				}
				worstBefore = math.Max(worstBefore, math.Abs(oc.Before-want.ProbBefore))
				worstAfter = math.Max(worstAfter, math.Abs(b.After-want.ProbAfter))
				if math.Abs(oc.Before-want.ProbBefore) > 5e-3 || math.Abs(b.After-want.ProbAfter) > 5e-3 {
					t.Errorf("%s: border occlusion %.4f → %.4f, PyTorch %.4f → %.4f", im.File, oc.Before, b.After, want.ProbBefore, want.ProbAfter)
				}
			}
		}
	}
	if len(worst) != 4 {
		t.Errorf("compared keys %v, want the 4 of explain.json", worst)
	}
	for key, w := range worst {
		t.Logf("%s: largest map difference %.3g over %d images", key, w, len(ref.Images))
	}
	t.Logf("border occlusion: largest difference %.3g before, %.3g after", worstBefore, worstAfter)
}
