package xray

import (
	"context"
	"image"
	"slices"
	"testing"

	"github.com/xrayllm/xray/gradcam"
)

// TestProgressReportsStagesBeforeTheReport checks that Progress hears the
// stages in order, each with what it promises set and before the report
// is written, and only StagePredicted when no CAM is computed.
func TestProgressReportsStagesBeforeTheReport(t *testing.T) {
	a, err := Open("resnet/testdata/resnet18_narrow.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	img := image.NewGray(image.Rect(0, 0, 80, 60))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13 % 256)
	}
	var stages []Stage
	hook := func(s Stage, r *Result) {
		stages = append(stages, s)
		if r.Input == nil || len(r.Prediction.Probs) == 0 || r.Report != nil {
			t.Errorf("%v: input %v, probs %v, report %v", s, r.Input != nil, r.Prediction.Probs, r.Report)
		}
		if s == StageExplained && r.CAM == nil {
			t.Errorf("%v: CAM set = %v", s, r.CAM != nil)
		}
	}
	res, err := a.AnalyzeImage(context.Background(), img, Request{CAM: &gradcam.Options{}, Report: true, Progress: hook})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stages, []Stage{StagePredicted, StageExplained}) || res.Report == nil {
		t.Errorf("stages %v, report %v", stages, res.Report != nil)
	}
	stages = nil
	if _, err := a.AnalyzeImage(context.Background(), img, Request{Progress: hook}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stages, []Stage{StagePredicted}) || StageExplained.String() != "explained" {
		t.Errorf("classify only: stages %v", stages)
	}
}
