package xray

import (
	"context"
	"math"
	"testing"
)

// TestCalibrationDecidesTheTTAMean checks the order of the two steps:
// with both TTA and a calibration, the threshold acts on the mean over the
// variants, not on the plain image's probabilities.
func TestCalibrationDecidesTheTTAMean(t *testing.T) {
	a, img := narrowAnalyzer(t)
	ctx := context.Background()
	plain, err := a.AnalyzeImage(ctx, img, Request{TTA: true})
	if err != nil {
		t.Fatal(err)
	}
	classes := a.Model().Classes()
	pos, err := PositiveIndex(classes)
	if err != nil {
		t.Fatal(err)
	}
	mean := plain.Prediction.Probs[pos]
	// A threshold just above the mean's positive probability calls the
	// other class; one just below calls the positive class.
	for _, tc := range []struct {
		threshold float64
		want      int
	}{{math.Min(mean+1e-6, 1), 1 - pos}, {math.Max(mean-1e-6, 1e-9), pos}} {
		res, err := a.AnalyzeImage(ctx, img, Request{TTA: true, Calibration: &Calibration{Threshold: tc.threshold}})
		if err != nil {
			t.Fatal(err)
		}
		if res.TTA == nil || res.Decision == nil {
			t.Fatalf("threshold %v: TTA %v, decision %v", tc.threshold, res.TTA, res.Decision)
		}
		if got := res.Decision.Probability; math.Abs(got-mean) > 1e-12 {
			t.Errorf("threshold %v: decided on probability %v, want the TTA mean %v", tc.threshold, got, mean)
		}
		if res.Prediction.Index != tc.want || res.Decision.Decided != classes[tc.want] {
			t.Errorf("threshold %v (mean %v): decided %s (index %d), want %s", tc.threshold, mean, res.Decision.Decided, res.Prediction.Index, classes[tc.want])
		}
	}
}
