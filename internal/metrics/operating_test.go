package metrics

import (
	"math"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
)

func TestOperatingPointsByHand(t *testing.T) {
	// scikit-learn's roc_curve example. Calling positive the cases scoring
	// at least t:
	//   t = 0.8:  TP 1 of 2, FP 0 of 2 → sensitivity 0.5, specificity 1,   J 0.5
	//   t = 0.4:  TP 1,      FP 1      → sensitivity 0.5, specificity 0.5, J 0
	//   t = 0.35: TP 2,      FP 1      → sensitivity 1,   specificity 0.5, J 0.5
	//   t = 0.1:  TP 2,      FP 2      → sensitivity 1,   specificity 0,   J 0
	// Youden: J 0.5 at 0.8 and 0.35, the higher threshold wins → 0.8.
	// Sensitivity ≥ 0.95: first reached at 0.35; ≥ 0.5 already at 0.8.
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	positive := []bool{false, false, true, true}
	y, err := Youden(scores, positive)
	if err != nil {
		t.Fatal(err)
	}
	if y != (OperatingPoint{Threshold: 0.8, Sensitivity: 0.5, Specificity: 1, J: 0.5}) {
		t.Errorf("Youden = %+v", y)
	}
	for _, tt := range []struct {
		target float64
		want   OperatingPoint
	}{
		{0.95, OperatingPoint{Threshold: 0.35, Sensitivity: 1, Specificity: 0.5, J: 0.5}},
		{0.5, OperatingPoint{Threshold: 0.8, Sensitivity: 0.5, Specificity: 1, J: 0.5}},
		{1, OperatingPoint{Threshold: 0.35, Sensitivity: 1, Specificity: 0.5, J: 0.5}},
	} {
		got, err := AtSensitivity(scores, positive, tt.target)
		if err != nil || got != tt.want {
			t.Errorf("AtSensitivity(%v) = %+v, %v; want %+v", tt.target, got, err, tt.want)
		}
	}
	// One negative scoring above both positives moves Youden down:
	//   t = 0.9: sens 0, spec 2/3; t = 0.7: sens 0.5, spec 2/3, J 1/6;
	//   t = 0.6: sens 1, spec 2/3, J 2/3 (the best); t = 0.2: sens 1, spec 1/3.
	y, err = Youden([]float64{0.9, 0.7, 0.6, 0.2, 0.2}, []bool{false, true, true, false, false})
	if err != nil || y.Threshold != 0.6 || y.Sensitivity != 1 || math.Abs(y.Specificity-2.0/3) > 1e-15 {
		t.Errorf("Youden = %+v, %v; want threshold 0.6, sensitivity 1, specificity 2/3", y, err)
	}
}

func TestOperatingPointsRefuse(t *testing.T) {
	if _, err := Youden([]float64{0.1, 0.2}, []bool{true, true}); err == nil {
		t.Error("Youden with one class: no error")
	}
	for _, target := range []float64{-0.1, 1.1, math.NaN()} {
		if _, err := AtSensitivity([]float64{0.1, 0.2}, []bool{true, false}, target); err == nil {
			t.Errorf("AtSensitivity(%v): no error", target)
		}
	}
}

// bruteOperatingPoints computes, for every distinct score as threshold,
// sensitivity and specificity by counting, independently of ROC.
func bruteOperatingPoints(scores []float64, positive []bool) []OperatingPoint {
	var pts []OperatingPoint
	seen := map[float64]bool{}
	for _, th := range scores {
		if seen[th] {
			continue
		}
		seen[th] = true
		var tp, fn, tn, fp float64
		for i, s := range scores {
			switch {
			case s >= th && positive[i]:
				tp++
			case s >= th:
				fp++
			case positive[i]:
				fn++
			default:
				tn++
			}
		}
		sens, spec := tp/(tp+fn), tn/(tn+fp)
		pts = append(pts, OperatingPoint{Threshold: th, Sensitivity: sens, Specificity: spec, J: sens + spec - 1})
	}
	return pts
}

func TestOperatingPointsReference(t *testing.T) {
	rows := reftest.Test624(t, reftest.Dir(t))
	scores, positive := make([]float64, len(rows)), make([]bool, len(rows))
	for i, r := range rows {
		scores[i], positive[i] = r.PPneumonia, r.Label == "PNEUMONIA"
	}
	brute := bruteOperatingPoints(scores, positive)
	var wantY, wantS OperatingPoint
	for _, p := range brute {
		if p.J > wantY.J+1e-12 || (math.Abs(p.J-wantY.J) <= 1e-12 && p.Threshold > wantY.Threshold) {
			wantY = p
		}
		if p.Sensitivity >= 0.95 && p.Threshold > wantS.Threshold {
			wantS = p
		}
	}
	y, err := Youden(scores, positive)
	if err != nil {
		t.Fatal(err)
	}
	s, err := AtSensitivity(scores, positive, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b OperatingPoint) bool {
		return a.Threshold == b.Threshold && math.Abs(a.Sensitivity-b.Sensitivity) < 1e-12 && math.Abs(a.Specificity-b.Specificity) < 1e-12
	}
	if !near(y, wantY) {
		t.Errorf("Youden = %+v, counting gives %+v", y, wantY)
	}
	if !near(s, wantS) {
		t.Errorf("AtSensitivity(0.95) = %+v, counting gives %+v", s, wantS)
	}
	t.Logf("test624: Youden threshold %.6f sensitivity %.4f specificity %.4f J %.4f; sensitivity ≥ 0.95 at %.6f: sensitivity %.4f specificity %.4f",
		y.Threshold, y.Sensitivity, y.Specificity, y.J, s.Threshold, s.Sensitivity, s.Specificity)
}
