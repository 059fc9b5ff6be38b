package xray

import (
	"context"
	"image"
	"slices"
	"testing"

	"github.com/xrayllm/xray/preprocess"
)

// TestPredictUsesTheAnalyzerPreprocessing checks that there is one
// preprocessing path: with ImageNet normalisation set on the Analyzer,
// Predict gives the logits AnalyzeImage gives, and they differ from those
// of an Analyzer without it.
func TestPredictUsesTheAnalyzerPreprocessing(t *testing.T) {
	norm := preprocess.ImageNet()
	normed, err := Open("resnet/testdata/resnet18_narrow.pth", &Options{Preprocess: preprocess.Options{Normalize: &norm}})
	if err != nil {
		t.Fatal(err)
	}
	defer normed.Close()
	plain, err := Open("resnet/testdata/resnet18_narrow.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	img := image.NewGray(image.Rect(0, 0, 90, 70))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 % 256)
	}
	ctx := context.Background()
	p, err := normed.Predict(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := normed.AnalyzeImage(ctx, img, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Logits, res.Prediction.Logits) {
		t.Errorf("Predict logits %v, AnalyzeImage logits %v", p.Logits, res.Prediction.Logits)
	}
	q, err := plain.Predict(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(p.Logits, q.Logits) {
		t.Errorf("normalised and plain input give the same logits %v", p.Logits)
	}
	ps, err := normed.PredictBatch(ctx, []image.Image{img, img})
	if err != nil || len(ps) != 2 || !slices.Equal(ps[1].Logits, p.Logits) {
		t.Errorf("PredictBatch: %v, %v", ps, err)
	}
	if _, err := normed.PredictBatch(ctx, []image.Image{img, nil}); err == nil {
		t.Error("PredictBatch with a nil image: no error")
	}
}
