package metrics

import (
	"fmt"
	"math"
)

// OperatingPoint is one threshold on the positive class's score and what
// calling positive every case scoring at least it gives.
type OperatingPoint struct {
	Threshold   float64 `json:"threshold"`
	Sensitivity float64 `json:"sensitivity"`
	Specificity float64 `json:"specificity"`
	// J is Youden's J at this point: sensitivity + specificity − 1.
	J float64 `json:"j"`
}

// operatingPoints lists the ROC's thresholds as operating points, from the
// highest score down; the ROC's first point, above every score, is left
// out (it calls nothing positive).
func operatingPoints(scores []float64, positive []bool) ([]OperatingPoint, error) {
	roc, err := ROC(scores, positive)
	if err != nil {
		return nil, err
	}
	pts := make([]OperatingPoint, 0, len(roc)-1)
	for _, r := range roc[1:] {
		pts = append(pts, OperatingPoint{Threshold: r.Threshold, Sensitivity: r.TPR, Specificity: 1 - r.FPR, J: r.TPR - r.FPR})
	}
	return pts, nil
}

// Youden returns the ROC operating point with the largest Youden's J
// (sensitivity + specificity − 1), the point of the ROC curve farthest
// above the chance diagonal; of tied points, the one with the highest
// threshold. Its threshold is one of the scores: cases scoring at least
// it are called positive. Both classes must occur.
func Youden(scores []float64, positive []bool) (OperatingPoint, error) {
	pts, err := operatingPoints(scores, positive)
	if err != nil {
		return OperatingPoint{}, err
	}
	best := pts[0]
	for _, p := range pts[1:] {
		if p.J > best.J {
			best = p
		}
	}
	return best, nil
}

// AtSensitivity returns the operating point with the highest threshold
// whose sensitivity is at least target (in [0, 1]): the most specific way
// to find that share of the positive cases. Both classes must occur.
func AtSensitivity(scores []float64, positive []bool, target float64) (OperatingPoint, error) {
	if math.IsNaN(target) || target < 0 || target > 1 {
		return OperatingPoint{}, fmt.Errorf("metrics: target sensitivity %v is not in [0, 1]", target)
	}
	pts, err := operatingPoints(scores, positive)
	if err != nil {
		return OperatingPoint{}, err
	}
	for _, p := range pts {
		if p.Sensitivity >= target {
			return p, nil
		}
	}
	return pts[len(pts)-1], nil // the lowest threshold finds every positive case
}
