package metrics

import (
	"math"
	"testing"
)

func TestBinary(t *testing.T) {
	tests := []struct {
		name      string
		scores    []float64
		labels    []bool
		wantAUC   float64
		wantAcc   float64
		wantF1    float64
		confusion Confusion
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1, 1, 1, Confusion{TP: 2, TN: 2}},
		{"inverted", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0, 0, 0, Confusion{FP: 2, FN: 2}},
		// ties between a positive and a negative count half
		{"tie", []float64{0.6, 0.6, 0.1, 0.9}, []bool{false, true, false, true}, 0.875, 0.75, 0.8, Confusion{TP: 2, FP: 1, TN: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pred := make([]bool, len(tt.scores))
			for i, s := range tt.scores {
				pred[i] = s > 0.5
			}
			r, err := Binary(tt.scores, pred, tt.labels)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(r.AUC-tt.wantAUC) > 1e-12 || math.Abs(r.Accuracy-tt.wantAcc) > 1e-12 || math.Abs(r.F1-tt.wantF1) > 1e-12 {
				t.Errorf("auc %v acc %v f1 %v, want %v %v %v", r.AUC, r.Accuracy, r.F1, tt.wantAUC, tt.wantAcc, tt.wantF1)
			}
			if r.Confusion != tt.confusion {
				t.Errorf("confusion %+v, want %+v", r.Confusion, tt.confusion)
			}
		})
	}
	if _, err := Binary(nil, nil, nil); err == nil {
		t.Error("no cases accepted")
	}
}
