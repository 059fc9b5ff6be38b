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
	dir, exp, m := loadReference(t)
	stages := []string{"conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"}
	var worst float64
	for _, im := range exp.Images {
		x := referenceInput(t, dir, im.File)
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

// loadReference skips without the reference and otherwise returns its
// directory, its expectations and its model, closed when the test ends.
func loadReference(t *testing.T) (string, reftest.Expected, *Model) {
	t.Helper()
	dir := reftest.Dir(t)
	exp := reftest.Load(t, dir)
	m, err := Load(reftest.Checkpoint(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return dir, exp, m
}

// referenceInput is the network input of a reference image, from the
// reference's own resized copy.
func referenceInput(t *testing.T, dir, file string) []float32 {
	t.Helper()
	return preprocess.ToTensor(preprocess.RGB(reftest.Resized(t, dir, file)), nil, nil)
}
