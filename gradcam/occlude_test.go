package gradcam

import (
	"context"
	"math"
	"testing"

	"github.com/xrayllm/xray/gradcam/occlusion"
	"github.com/xrayllm/xray/internal/fixtures"
	"github.com/xrayllm/xray/resnet"
)

// TestOcclusionMatchesSinglePasses: each occluded probability in the
// batch is what a forward pass of the masked input alone gives, and the
// probability before is the prediction's.
func TestOcclusionMatchesSinglePasses(t *testing.T) {
	e, m, _ := fixtureExplainer(t, "resnet18_narrow")
	ctx := context.Background()
	x := fixtures.Pattern(1)
	r, err := e.Explain(ctx, x, &Options{Occlusion: true})
	if err != nil {
		t.Fatal(err)
	}
	oc := r.Occlusion
	if oc == nil || len(oc.Checks) != 3 || oc.BorderPixels != 22 || oc.Target != r.Target {
		t.Fatalf("occlusion %+v", oc)
	}
	if math.Abs(oc.Before-r.Prediction.Probs[r.TargetIndex]) > 1e-6 {
		t.Errorf("before %v, prediction %v", oc.Before, r.Prediction.Probs[r.TargetIndex])
	}
	n := resnet.InputSize
	top, err := occlusion.TopMask(r.Map, occlusion.CAMTopFraction)
	if err != nil {
		t.Fatal(err)
	}
	masks := map[occlusion.Region][]float32{
		occlusion.Border: occlusion.BorderMask(n, n, 22), occlusion.CAMTop: top, occlusion.OutsideLungs: occlusion.LungMask(n, n),
	}
	for i, reg := range occlusion.Regions() {
		c := oc.Checks[i]
		logits, err := m.Forward(ctx, maskInput(x, masks[reg]))
		if err != nil {
			t.Fatal(err)
		}
		p := m.Prediction(logits[0])
		if c.Region != reg || math.Abs(c.After-p.Probs[r.TargetIndex]) > 1e-5 || c.PredictedAfter != p.Label {
			t.Errorf("%s: check %+v, single pass %v %s", reg, c, p.Probs, p.Label)
		}
	}
	if _, err := e.Occlusion(ctx, x[:10], r); err == nil {
		t.Error("short input: no error")
	}
	if _, err := e.Occlusion(ctx, x, &Result{}); err == nil {
		t.Error("result without a map: no error")
	}
}
