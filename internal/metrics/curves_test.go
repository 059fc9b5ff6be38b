package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
)

func TestCurvesByHand(t *testing.T) {
	// Sorted by score: 0.9 positive, 0.6 negative and positive (a tie), 0.1 negative.
	scores := []float64{0.6, 0.6, 0.1, 0.9}
	labels := []bool{false, true, false, true}
	roc, err := ROC(scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	wantROC := [][2]float64{{0, 0}, {0, 0.5}, {0.5, 1}, {1, 1}}
	if len(roc) != len(wantROC) {
		t.Fatalf("ROC %+v, want the points %v", roc, wantROC)
	}
	for i, w := range wantROC {
		if roc[i].FPR != w[0] || roc[i].TPR != w[1] {
			t.Errorf("ROC point %d: %+v, want %v", i, roc[i], w)
		}
	}
	if a := AreaUnderROC(roc); math.Abs(a-0.875) > 1e-12 {
		t.Errorf("area under ROC %v, want 0.875", a)
	}
	pr, err := PR(scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	wantPR := [][2]float64{{0.5, 1}, {1, 2.0 / 3}, {1, 0.5}}
	if len(pr) != len(wantPR) {
		t.Fatalf("PR %+v, want the points %v", pr, wantPR)
	}
	for i, w := range wantPR {
		if pr[i].Recall != w[0] || math.Abs(pr[i].Precision-w[1]) > 1e-12 {
			t.Errorf("PR point %d: %+v, want %v", i, pr[i], w)
		}
	}
	if ap := AveragePrecision(pr); math.Abs(ap-(0.5+0.5*2.0/3)) > 1e-12 {
		t.Errorf("average precision %v, want 5/6", ap)
	}
}

func TestCurvesRefuse(t *testing.T) {
	if _, err := ROC([]float64{0.1, 0.2}, []bool{true, true}); err == nil {
		t.Error("ROC of one class accepted")
	}
	if _, err := PR([]float64{0.1, 0.2}, []bool{false, false}); err == nil {
		t.Error("PR without a positive case accepted")
	}
	if _, err := ROC([]float64{0.1}, []bool{true, false}); err == nil {
		t.Error("ROC of mismatched lengths accepted")
	}
	if _, err := PR(nil, nil); err == nil {
		t.Error("PR of no cases accepted")
	}
}

// TestCurvesReference checks the curves on PyTorch's probabilities over
// test624 against counts made directly at each threshold, and the area
// under the ROC against the pairwise AUC and the reference's metrics.
func TestCurvesReference(t *testing.T) {
	dir := reftest.Dir(t)
	rows := reftest.Test624(t, dir)
	if len(rows) != 624 {
		t.Fatalf("%d rows, want 624", len(rows))
	}
	scores, labels := make([]float64, len(rows)), make([]bool, len(rows))
	for i, r := range rows {
		scores[i], labels[i] = r.PPneumonia, r.Label == "PNEUMONIA"
	}
	roc, err := ROC(scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := PR(scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr) != len(roc)-1 || roc[0].FPR != 0 || roc[0].TPR != 0 {
		t.Fatalf("%d ROC points starting at %+v, %d PR points", len(roc), roc[0], len(pr))
	}
	for i, p := range roc[1:] {
		tp, fp, pos, neg := countAbove(scores, labels, p.Threshold)
		fpr, tpr := float64(fp)/float64(neg), float64(tp)/float64(pos)
		prec, rec := float64(tp)/float64(tp+fp), float64(tp)/float64(pos)
		if p.FPR != fpr || p.TPR != tpr || pr[i].Threshold != p.Threshold || pr[i].Precision != prec || pr[i].Recall != rec {
			t.Fatalf("at threshold %v: ROC %+v, PR %+v; counted fpr %v tpr %v precision %v recall %v", p.Threshold, p, pr[i], fpr, tpr, prec, rec)
		}
	}
	area := AreaUnderROC(roc)
	if pw := pairwiseAUC(scores, labels); math.Abs(area-pw) > 1e-12 {
		t.Errorf("area under ROC %v, pairwise AUC %v", area, pw)
	}
	pred := make([]bool, len(scores))
	for i, s := range scores {
		pred[i] = s > 0.5
	}
	if r, err := Binary(scores, pred, labels); err != nil || math.Abs(r.AUC-area) > 1e-12 {
		t.Errorf("Binary's AUC %v (%v), area under ROC %v", r.AUC, err, area)
	}
	var want struct {
		AUC float64 `json:"auc"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "test624", "test624_resnet34.metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	// The TSV rounds the probabilities to 7 digits; the reference's AUC used them unrounded.
	if math.Abs(area-want.AUC) > 1e-4 {
		t.Errorf("area under ROC %v, reference AUC %v", area, want.AUC)
	}
	if ap := AveragePrecision(pr); ap <= 0.5 || ap > 1 {
		t.Errorf("average precision %v", ap)
	}
}

// countAbove counts the true and false positives when the cases scoring
// at least th are called positive, and the positive and negative cases.
func countAbove(scores []float64, labels []bool, th float64) (tp, fp, pos, neg int) {
	for i, s := range scores {
		switch {
		case labels[i] && s >= th:
			tp, pos = tp+1, pos+1
		case labels[i]:
			pos++
		case s >= th:
			fp, neg = fp+1, neg+1
		default:
			neg++
		}
	}
	return tp, fp, pos, neg
}

// pairwiseAUC is the share of (positive, negative) pairs the scores order
// rightly, ties counting half.
func pairwiseAUC(scores []float64, labels []bool) float64 {
	var sum float64
	var pairs int
	for i := range scores {
		for j := range scores {
			if !labels[i] || labels[j] {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				sum++
			case scores[i] == scores[j]:
				sum += 0.5
			}
		}
	}
	return sum / float64(pairs)
}
