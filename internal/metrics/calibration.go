package metrics

import (
	"fmt"
	"math"
)

// ReliabilityBin is one bin of a reliability diagram: the cases whose
// confidence (the predicted class's probability) lies in (Lo, Hi], the
// first bin also holding a confidence of exactly 0.
type ReliabilityBin struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Count is how many cases fell in the bin; Confidence their mean
	// confidence and Accuracy the share of them predicted right (both 0
	// for an empty bin).
	Count      int     `json:"count"`
	Confidence float64 `json:"confidence"`
	Accuracy   float64 `json:"accuracy"`
}

// Reliability is how well a classifier's confidence matches how often it
// is right, measured over equal-width confidence bins.
type Reliability struct {
	// ECE is the expected calibration error: the mean over bins of
	// |accuracy − confidence|, weighted by the share of cases in each.
	ECE  float64          `json:"ece"`
	Bins []ReliabilityBin `json:"bins"`
}

// ECEBins is the number of bins of the expected calibration error as
// Guo et al. (2017, "On calibration of modern neural networks") report it.
const ECEBins = 10

// Calibrate measures the calibration of predictions: for each case the
// class probabilities and its true class. A case's confidence is its
// largest probability and it counts as right when that class (the first
// of ties) is the true one; cases are grouped by confidence into bins
// equal-width bins of [0, 1], as Guo et al. (2017) do, and ECE is
// Σ_b (n_b / n) · |accuracy_b − confidence_b|.
func Calibrate(probs [][]float64, labels []int, bins int) (Reliability, error) {
	if len(probs) == 0 || len(labels) != len(probs) || bins < 1 {
		return Reliability{}, fmt.Errorf("metrics: calibration of %d predictions, %d labels in %d bins", len(probs), len(labels), bins)
	}
	r := Reliability{Bins: make([]ReliabilityBin, bins)}
	for b := range r.Bins {
		r.Bins[b].Lo, r.Bins[b].Hi = float64(b)/float64(bins), float64(b+1)/float64(bins)
	}
	right := make([]int, bins)
	for i, p := range probs {
		best, err := argmax(p)
		if err != nil {
			return Reliability{}, fmt.Errorf("metrics: case %d: %w", i, err)
		}
		conf := p[best]
		// bin b holds (b/bins, (b+1)/bins]: ceil(conf·bins) − 1, 0 for 0.
		b := min(max(int(math.Ceil(conf*float64(bins)))-1, 0), bins-1)
		r.Bins[b].Count++
		r.Bins[b].Confidence += conf
		if best == labels[i] {
			right[b]++
		}
	}
	for b := range r.Bins {
		bin := &r.Bins[b]
		if bin.Count == 0 {
			continue
		}
		bin.Confidence /= float64(bin.Count)
		bin.Accuracy = float64(right[b]) / float64(bin.Count)
		r.ECE += float64(bin.Count) / float64(len(probs)) * math.Abs(bin.Accuracy-bin.Confidence)
	}
	return r, nil
}

// argmax is the index of the largest of p, the first of ties; p must be
// probabilities.
func argmax(p []float64) (int, error) {
	if len(p) == 0 {
		return 0, fmt.Errorf("no probabilities")
	}
	best := 0
	for i, v := range p {
		if math.IsNaN(v) || v < 0 || v > 1+1e-9 {
			return 0, fmt.Errorf("probability %v is not in [0, 1]", v)
		}
		if v > p[best] {
			best = i
		}
	}
	return best, nil
}
