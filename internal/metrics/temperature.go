package metrics

import (
	"fmt"
	"math"
)

// The range FitTemperature searches and how closely it pins T: from 1/100
// to 100 times the logits' scale, to 1e-9 in log T.
const (
	minTemperature = 0.01
	maxTemperature = 100
	logTTolerance  = 1e-9
)

// NLL is the mean negative log-likelihood of the true classes after
// temperature scaling: for each case, −log softmax(z/T)[label], with z
// the case's logits (log-probabilities work as well: softmax ignores a
// constant added to every logit). T must be positive.
func NLL(logits [][]float64, labels []int, t float64) (float64, error) {
	if err := checkScores(logits, labels); err != nil {
		return 0, err
	}
	if !(t > 0) || math.IsInf(t, 0) {
		return 0, fmt.Errorf("metrics: temperature %v is not positive and finite", t)
	}
	var sum float64
	for i, z := range logits {
		sum += logSumExp(z, t) - z[labels[i]]/t
	}
	return sum / float64(len(logits)), nil
}

// FitTemperature finds the temperature T that minimises NLL on the cases:
// temperature scaling (Guo et al. 2017), one number that softens (T > 1)
// or sharpens (T < 1) every prediction without changing its ranking.
//
// The NLL is convex in β = 1/T (a log-sum-exp of functions linear in β,
// minus a linear term), so it has one minimum; any monotone change of
// variable keeps a function unimodal, so a golden-section search on log T
// over [1/100, 100] finds it, to 1e-9 in log T. When the cases are
// separated perfectly the NLL keeps falling as T shrinks and the search
// stops at the bound, 0.01.
func FitTemperature(logits [][]float64, labels []int) (float64, error) {
	if err := checkScores(logits, labels); err != nil {
		return 0, err
	}
	nll := func(u float64) float64 {
		v, _ := NLL(logits, labels, math.Exp(u)) // inputs checked above
		return v
	}
	return math.Exp(goldenMin(nll, math.Log(minTemperature), math.Log(maxTemperature), logTTolerance)), nil
}

// goldenMin returns the minimum of the unimodal f on [a, b], to tol.
func goldenMin(f func(float64) float64, a, b, tol float64) float64 {
	invPhi := (math.Sqrt(5) - 1) / 2
	c, d := b-invPhi*(b-a), a+invPhi*(b-a)
	fc, fd := f(c), f(d)
	for b-a > tol {
		if fc <= fd {
			b, d, fd = d, c, fc
			c = b - invPhi*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + invPhi*(b-a)
			fd = f(d)
		}
	}
	return (a + b) / 2
}

// logSumExp is log Σ exp(z_i / t), computed without overflow.
func logSumExp(z []float64, t float64) float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v/t)
	}
	if math.IsInf(mx, -1) {
		return mx
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v/t - mx)
	}
	return mx + math.Log(s)
}

// checkScores checks that there is one row of finite scores per label,
// rows of one length, and labels that index them. A log-probability of
// −Inf (a probability of 0) is allowed except for the true class.
func checkScores(logits [][]float64, labels []int) error {
	if len(logits) == 0 || len(labels) != len(logits) {
		return fmt.Errorf("metrics: %d score rows, %d labels", len(logits), len(labels))
	}
	k := len(logits[0])
	for i, z := range logits {
		if len(z) != k || k < 2 {
			return fmt.Errorf("metrics: case %d has %d scores, want %d (at least 2)", i, len(z), k)
		}
		if labels[i] < 0 || labels[i] >= k {
			return fmt.Errorf("metrics: case %d: label %d out of range [0, %d)", i, labels[i], k)
		}
		for c, v := range z {
			if math.IsNaN(v) || math.IsInf(v, 1) || (math.IsInf(v, -1) && c == labels[i]) {
				return fmt.Errorf("metrics: case %d: score %v of class %d", i, v, c)
			}
		}
	}
	return nil
}
