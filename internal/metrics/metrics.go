// Package metrics computes binary classification metrics the way the
// reference's training script reports them (argmax threshold; ROC AUC with
// tied scores counted as half, as scikit-learn's roc_auc_score), the ROC
// and precision–recall curves, other operating points on the ROC curve
// (Youden's J, a target sensitivity), and calibration: the expected
// calibration error over confidence bins and temperature scaling.
package metrics

import (
	"fmt"
	"sort"
)

// Confusion counts outcomes with the positive class as "positive".
type Confusion struct {
	TP int `json:"tp"`
	TN int `json:"tn"`
	FP int `json:"fp"`
	FN int `json:"fn"`
}

// Report is a set of binary classification metrics.
type Report struct {
	N           int       `json:"n"`
	Accuracy    float64   `json:"accuracy"`
	AUC         float64   `json:"auc"`
	F1          float64   `json:"f1"`
	Sensitivity float64   `json:"sensitivity"`
	Specificity float64   `json:"specificity"`
	Precision   float64   `json:"precision"`
	Confusion   Confusion `json:"confusion"`
}

// Binary computes the metrics from the positive class's scores, whether
// each case was predicted positive, and the true labels.
func Binary(scores []float64, predicted, positive []bool) (Report, error) {
	n := len(scores)
	if n == 0 || len(predicted) != n || len(positive) != n {
		return Report{}, fmt.Errorf("metrics: %d scores, %d predictions, %d labels", n, len(predicted), len(positive))
	}
	var c Confusion
	for i := range scores {
		switch {
		case predicted[i] && positive[i]:
			c.TP++
		case predicted[i]:
			c.FP++
		case positive[i]:
			c.FN++
		default:
			c.TN++
		}
	}
	r := Report{N: n, Confusion: c}
	r.Accuracy = ratio(c.TP+c.TN, n)
	r.Sensitivity = ratio(c.TP, c.TP+c.FN)
	r.Specificity = ratio(c.TN, c.TN+c.FP)
	r.Precision = ratio(c.TP, c.TP+c.FP)
	if r.Precision+r.Sensitivity > 0 {
		r.F1 = 2 * r.Precision * r.Sensitivity / (r.Precision + r.Sensitivity)
	}
	r.AUC = auc(scores, positive)
	return r, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// auc is the Mann-Whitney statistic with average ranks for ties.
func auc(scores []float64, positive []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	ranks := make([]float64, len(scores))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			ranks[idx[k]] = avg
		}
		i = j
	}
	var pos, neg int
	var sum float64
	for i, p := range positive {
		if p {
			pos++
			sum += ranks[i]
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return 0
	}
	return (sum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}
