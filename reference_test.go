package xray

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xrayllm/xray/internal/metrics"
	"github.com/xrayllm/xray/internal/reftest"
)

// openReference opens an Analyzer on the reference checkpoint.
func openReference(t *testing.T) (*Analyzer, string) {
	t.Helper()
	dir := reftest.Dir(t)
	a, err := Open(reftest.Checkpoint(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a, dir
}

// TestReferenceOriginals decodes and resizes the reference's original
// files ourselves: probabilities within 5e-3 of PyTorch's (JPEG decoders
// differ slightly) and the same label.
func TestReferenceOriginals(t *testing.T) {
	a, dir := openReference(t)
	exp := reftest.Load(t, dir)
	var worst float64
	for _, im := range exp.Images {
		data, err := os.ReadFile(filepath.Join(dir, "images", im.File))
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.AnalyzeBytes(context.Background(), data, Request{})
		if err != nil {
			t.Fatalf("%s: %v", im.File, err)
		}
		if res.Prediction.Label != im.Pred {
			t.Errorf("%s: %s, PyTorch %s", im.File, res.Prediction.Label, im.Pred)
		}
		for j, want := range im.Probs {
			d := math.Abs(res.Prediction.Probs[j] - want)
			worst = math.Max(worst, d)
			if d > 5e-3 {
				t.Errorf("%s: P(%s) = %.5f, PyTorch %.5f", im.File, exp.Classes[j], res.Prediction.Probs[j], want)
			}
		}
	}
	t.Logf("%d originals: largest probability difference %.3g", len(exp.Images), worst)
}

// TestReferenceTest624 runs the whole Kermany test split: the same label
// as PyTorch for all 624 images, probabilities within 5e-3, and the
// metrics computed from our outputs equal to PyTorch's.
func TestReferenceTest624(t *testing.T) {
	a, dir := openReference(t)
	rows := reftest.Test624(t, dir)
	if len(rows) != 624 {
		t.Fatalf("%d rows, want 624", len(rows))
	}
	scores := make([]float64, len(rows))
	predicted, positive := make([]bool, len(rows)), make([]bool, len(rows))
	var worst float64
	for i, r := range rows {
		data, err := os.ReadFile(filepath.Join(dir, "test624", r.File))
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.AnalyzeBytes(context.Background(), data, Request{})
		if err != nil {
			t.Fatalf("%s: %v", r.File, err)
		}
		p := res.Prediction
		if p.Label != r.Pred {
			t.Errorf("%s: %s, PyTorch %s", r.File, p.Label, r.Pred)
		}
		d := math.Abs(p.Probs[1] - r.PPneumonia)
		worst = math.Max(worst, d)
		if d > 5e-3 {
			t.Errorf("%s: P(PNEUMONIA) = %.5f, PyTorch %.5f", r.File, p.Probs[1], r.PPneumonia)
		}
		scores[i], predicted[i], positive[i] = p.Probs[1], p.Index == 1, r.Label == "PNEUMONIA"
	}
	got, err := metrics.Binary(scores, predicted, positive)
	if err != nil {
		t.Fatal(err)
	}
	var want metrics.Report
	data, err := os.ReadFile(filepath.Join(dir, "test624", "test624_resnet34.metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if got.Confusion != want.Confusion || math.Abs(got.Accuracy-want.Accuracy) > 1e-12 || math.Abs(got.F1-want.F1) > 1e-12 {
		t.Errorf("metrics %+v, PyTorch %+v", got, want)
	}
	if math.Abs(got.AUC-want.AUC) > 1e-3 {
		t.Errorf("AUC %.5f, PyTorch %.5f", got.AUC, want.AUC)
	}
	t.Logf("624 images: accuracy %.4f AUC %.4f F1 %.4f (PyTorch %.4f %.4f %.4f); largest probability difference %.3g",
		got.Accuracy, got.AUC, got.F1, want.Accuracy, want.AUC, want.F1, worst)
}
