package resnet

import (
	"context"
	"math"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
	"github.com/xrayllm/xray/preprocess"
)

// TestReferenceLogits checks the port against PyTorch on the reference's
// resized inputs: logits within 1e-3, the same prediction, and the
// per-stage statistics, which show where a port starts to differ.
func TestReferenceLogits(t *testing.T) {
	dir := reftest.Dir(t)
	exp := reftest.Load(t, dir)
	m, err := Load(reftest.Checkpoint(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	stages := []string{"conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"}
	var worst float64
	for _, im := range exp.Images {
		x := preprocess.ToTensor(preprocess.RGB(reftest.Resized(t, dir, im.File)), nil, nil)
		acts, err := m.Activations(context.Background(), x, stages...)
		if err != nil {
			t.Fatal(err)
		}
		logits := acts["fc"].Data
		for j, want := range im.Logits {
			d := math.Abs(float64(logits[j]) - want)
			worst = math.Max(worst, d)
			if d > 1e-3 {
				t.Errorf("%s: logit %d = %v, want %v", im.File, j, logits[j], want)
			}
		}
		if p := m.Prediction(logits); p.Label != im.Pred {
			t.Errorf("%s: predicted %s, PyTorch %s", im.File, p.Label, im.Pred)
		}
		for _, s := range stages {
			a := acts[s]
			w := im.Stages[s]
			compareStats(t, im.File+" "+s, describe(a.Shape, a.Data), w, 1e-3)
		}
	}
	t.Logf("%d images: largest logit difference %.3g", len(exp.Images), worst)
}
