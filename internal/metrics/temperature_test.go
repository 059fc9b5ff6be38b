package metrics

import (
	"math"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
)

func TestNLLByHand(t *testing.T) {
	// Logits (0, ln 3): softmax (1/4, 3/4). True class 1 gives −ln(3/4),
	// true class 0 gives −ln(1/4); at T = 2 the logits are (0, ln √3):
	// softmax (1/(1+√3), √3/(1+√3)).
	logits := [][]float64{{0, math.Log(3)}, {0, math.Log(3)}}
	got, err := NLL(logits, []int{1, 0}, 1)
	if want := (-math.Log(0.75) - math.Log(0.25)) / 2; err != nil || math.Abs(got-want) > 1e-12 {
		t.Errorf("NLL(T=1) = %v, %v; want %v", got, err, want)
	}
	got, _ = NLL(logits, []int{1, 1}, 2)
	if want := -math.Log(math.Sqrt(3) / (1 + math.Sqrt(3))); math.Abs(got-want) > 1e-12 {
		t.Errorf("NLL(T=2) = %v, want %v", got, want)
	}
	for _, temp := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := NLL(logits, []int{1, 0}, temp); err == nil {
			t.Errorf("NLL(T=%v): no error", temp)
		}
	}
}

func TestFitTemperatureByHand(t *testing.T) {
	// Four cases with logits (0, ln 9) (confidence 0.9), one of them
	// wrong: right 3 times in 4. The NLL is lowest when softmax(z/T) gives
	// the true frequency, 3/4: 9^(1/T) = 3, so T = 2.
	z := []float64{0, math.Log(9)}
	got, err := FitTemperature([][]float64{z, z, z, z}, []int{1, 1, 1, 0})
	if err != nil || math.Abs(got-2) > 1e-6 {
		t.Errorf("FitTemperature = %v, %v; want 2", got, err)
	}
	if _, err := FitTemperature(nil, nil); err == nil {
		t.Error("no cases: no error")
	}
	if _, err := FitTemperature([][]float64{{0, math.Inf(-1)}}, []int{1}); err == nil {
		t.Error("true class of probability 0: no error")
	}
}

func TestFitTemperatureReference(t *testing.T) {
	rows := reftest.Test624(t, reftest.Dir(t))
	logp, labels := make([][]float64, len(rows)), make([]int, len(rows))
	var direct float64
	for i, r := range rows {
		logp[i] = []float64{math.Log(1 - r.PPneumonia), math.Log(r.PPneumonia)}
		p := 1 - r.PPneumonia
		if r.Label == "PNEUMONIA" {
			labels[i], p = 1, r.PPneumonia
		}
		direct -= math.Log(p) / float64(len(rows))
	}
	before, err := NLL(logp, labels, 1)
	if err != nil || math.Abs(before-direct) > 1e-9 {
		t.Fatalf("NLL(T=1) = %v, %v; the mean of −log p(true class) is %v", before, err, direct)
	}
	temp, err := FitTemperature(logp, labels)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := NLL(logp, labels, temp)
	if !(after < before) {
		t.Errorf("fitted T = %v: NLL %v, not below %v at T = 1", temp, after, before)
	}
	for _, f := range []float64{0.99, 1.01} { // a minimum: both neighbours are higher
		if n, _ := NLL(logp, labels, temp*f); n < after {
			t.Errorf("NLL(%v·T) = %v below NLL(T) = %v", f, n, after)
		}
	}
	t.Logf("test624: T = %.4f, NLL %.4f → %.4f", temp, before, after)
}
