package metrics

import (
	"fmt"
	"sort"
)

// ROCPoint is one point of a ROC curve: the false and true positive rates
// when the cases scoring at least Threshold are called positive.
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// PRPoint is one point of a precision–recall curve: the recall and the
// precision when the cases scoring at least Threshold are called positive.
type PRPoint struct {
	Threshold float64 `json:"threshold"`
	Recall    float64 `json:"recall"`
	Precision float64 `json:"precision"`
}

// threshold is the outcome of calling positive every case scoring at
// least score: how many true and false positives that gives.
type threshold struct {
	score  float64
	tp, fp int
}

// thresholds lists, for each distinct score from the highest down, the
// true and false positives of calling positive every case scoring at
// least it; pos and neg count the positive and negative cases.
func thresholds(scores []float64, positive []bool) (ts []threshold, pos, neg int, err error) {
	if len(scores) == 0 || len(positive) != len(scores) {
		return nil, 0, 0, fmt.Errorf("metrics: %d scores, %d labels", len(scores), len(positive))
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	var tp, fp int
	for k, i := range idx {
		if positive[i] {
			tp++
		} else {
			fp++
		}
		if k+1 == len(idx) || scores[idx[k+1]] != scores[i] {
			ts = append(ts, threshold{score: scores[i], tp: tp, fp: fp})
		}
	}
	return ts, tp, fp, nil
}

// ROC returns the ROC curve of the positive class's scores against the
// true labels: one point per distinct score, from the highest threshold
// down, after a first point (0, 0) at a threshold above every score, as
// scikit-learn's roc_curve without dropping intermediate points. The area
// under it (AreaUnderROC) is Binary's AUC. Both classes must occur.
func ROC(scores []float64, positive []bool) ([]ROCPoint, error) {
	ts, pos, neg, err := thresholds(scores, positive)
	if err != nil {
		return nil, err
	}
	if pos == 0 || neg == 0 {
		return nil, fmt.Errorf("metrics: ROC needs both classes, got %d positive and %d negative", pos, neg)
	}
	pts := []ROCPoint{{Threshold: ts[0].score + 1}}
	for _, t := range ts {
		pts = append(pts, ROCPoint{Threshold: t.score, FPR: ratio(t.fp, neg), TPR: ratio(t.tp, pos)})
	}
	return pts, nil
}

// AreaUnderROC is the trapezoidal area under a ROC curve.
func AreaUnderROC(pts []ROCPoint) float64 {
	var a float64
	for i := 1; i < len(pts); i++ {
		a += (pts[i].FPR - pts[i-1].FPR) * (pts[i].TPR + pts[i-1].TPR) / 2
	}
	return a
}

// PR returns the precision–recall curve of the positive class's scores
// against the true labels: one point per distinct score, from the highest
// threshold down (recall rising to 1), as scikit-learn's
// precision_recall_curve lists them in reverse, without its final point at
// recall 0. Some case must be positive.
func PR(scores []float64, positive []bool) ([]PRPoint, error) {
	ts, pos, _, err := thresholds(scores, positive)
	if err != nil {
		return nil, err
	}
	if pos == 0 {
		return nil, fmt.Errorf("metrics: precision-recall needs a positive case")
	}
	pts := make([]PRPoint, len(ts))
	for i, t := range ts {
		pts[i] = PRPoint{Threshold: t.score, Recall: ratio(t.tp, pos), Precision: ratio(t.tp, t.tp+t.fp)}
	}
	return pts, nil
}

// AveragePrecision is the area under a precision–recall curve as
// scikit-learn's average_precision_score sums it: each point's precision
// times the recall it adds.
func AveragePrecision(pts []PRPoint) float64 {
	var ap, recall float64
	for _, p := range pts {
		ap += (p.Recall - recall) * p.Precision
		recall = p.Recall
	}
	return ap
}
