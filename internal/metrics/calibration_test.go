package metrics

import (
	"math"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
)

func TestCalibrateByHand(t *testing.T) {
	// Confidence (the larger probability) and whether its class is right:
	//   A 0.75 right, B 0.75 wrong → bin (0.7, 0.8]: accuracy 0.5, confidence 0.75, gap 0.25
	//   C 0.95 right               → bin (0.9, 1.0]: accuracy 1,   confidence 0.95, gap 0.05
	//   D 0.55 wrong               → bin (0.5, 0.6]: accuracy 0,   confidence 0.55, gap 0.55
	// ECE = 2/4·0.25 + 1/4·0.05 + 1/4·0.55 = 0.125 + 0.0125 + 0.1375 = 0.275.
	probs := [][]float64{{0.25, 0.75}, {0.75, 0.25}, {0.05, 0.95}, {0.45, 0.55}}
	labels := []int{1, 1, 1, 0}
	r, err := Calibrate(probs, labels, ECEBins)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.ECE-0.275) > 1e-12 {
		t.Errorf("ECE = %v, want 0.275", r.ECE)
	}
	want := map[int]ReliabilityBin{5: {Count: 1, Confidence: 0.55}, 7: {Count: 2, Confidence: 0.75, Accuracy: 0.5}, 9: {Count: 1, Confidence: 0.95, Accuracy: 1}}
	for b, bin := range r.Bins {
		w := want[b]
		if bin.Count != w.Count || math.Abs(bin.Confidence-w.Confidence) > 1e-12 || bin.Accuracy != w.Accuracy {
			t.Errorf("bin %d = %+v, want %+v", b, bin, w)
		}
		if math.Abs(bin.Lo-float64(b)/10) > 1e-12 || math.Abs(bin.Hi-float64(b+1)/10) > 1e-12 {
			t.Errorf("bin %d spans (%v, %v]", b, bin.Lo, bin.Hi)
		}
	}
	// A perfectly calibrated set: confidence 0.8, right 4 times in 5.
	r, _ = Calibrate([][]float64{{0.8, 0.2}, {0.8, 0.2}, {0.8, 0.2}, {0.8, 0.2}, {0.8, 0.2}}, []int{0, 0, 0, 0, 1}, ECEBins)
	if math.Abs(r.ECE) > 1e-12 {
		t.Errorf("calibrated set: ECE = %v, want 0", r.ECE)
	}
}

func TestCalibrateRefuses(t *testing.T) {
	for name, probs := range map[string][][]float64{"NaN": {{math.NaN(), 0.5}}, "above 1": {{2, 0}}, "empty row": {{}}} {
		if _, err := Calibrate(probs, []int{0}, ECEBins); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Calibrate([][]float64{{0.5, 0.5}}, []int{0, 1}, ECEBins); err == nil {
		t.Error("label count mismatch: no error")
	}
}

func TestCalibrateReference(t *testing.T) {
	rows := reftest.Test624(t, reftest.Dir(t))
	probs, labels := make([][]float64, len(rows)), make([]int, len(rows))
	// Directly: each bin's cases by comparing with its edges, PyTorch's
	// own predicted label for right or wrong.
	var want float64
	for b := range 10 {
		lo, hi := float64(b)/10, float64(b+1)/10
		var n, right int
		var conf float64
		for _, r := range rows {
			c := math.Max(r.PPneumonia, 1-r.PPneumonia)
			if c > lo && c <= hi {
				n++
				conf += c
				if r.Pred == r.Label {
					right++
				}
			}
		}
		if n > 0 {
			want += float64(n) / float64(len(rows)) * math.Abs(float64(right)/float64(n)-conf/float64(n))
		}
	}
	for i, r := range rows {
		probs[i] = []float64{1 - r.PPneumonia, r.PPneumonia}
		if r.Label == "PNEUMONIA" {
			labels[i] = 1
		}
	}
	got, err := Calibrate(probs, labels, ECEBins)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.ECE-want) > 1e-9 {
		t.Errorf("ECE = %.6f, counting gives %.6f", got.ECE, want)
	}
	t.Logf("test624: ECE %.4f", got.ECE)
}
