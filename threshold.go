package xray

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
	"github.com/xrayllm/xray/resnet"
)

// PositiveClass names the class a decision threshold decides for, the
// one eval counts as positive by default: PNEUMONIA, the model's second
// class. A model without a class of that name has its second class
// (index 1) as the positive one.
const PositiveClass = "PNEUMONIA"

// PositiveIndex returns the index of the positive class among classes:
// PositiveClass's, else 1 (the second class).
func PositiveIndex(classes []string) (int, error) {
	if i := slices.Index(classes, PositiveClass); i >= 0 {
		return i, nil
	}
	if len(classes) < 2 {
		return 0, fmt.Errorf("xray: a decision threshold needs two classes, the model has %d", len(classes))
	}
	return 1, nil
}

// Decide turns the network's prediction into the decided one: first the
// temperature (when not 0 or 1) rescales the probabilities, then the
// threshold (when not 0) calls the positive class (PositiveIndex) when
// its probability is at least Threshold, and otherwise the most probable
// of the other classes (the other class, for two). Without either it
// returns p as it is, so the zero Calibration is today's argmax, bit for
// bit. The decision says what decided and how.
//
// Temperature scaling works on p.Probs, so it applies to any prediction,
// a test-time-augmented mean as well: each probability is raised to the
// power 1/T and the result renormalised, which for a plain prediction is
// softmax(logits/T). Logits are left as the network gave them; Label and
// Index become the decided class.
//
// A threshold of 0.5 with two classes is argmax except for a probability
// of exactly 0.5, which the threshold calls positive and argmax (the first
// of ties) negative.
func (c Calibration) Decide(classes []string, p resnet.Prediction) (resnet.Prediction, prompt.Decision, error) {
	if err := c.Validate(); err != nil {
		return p, prompt.Decision{}, err
	}
	if len(p.Probs) != len(classes) || p.Index < 0 || p.Index >= len(classes) {
		return p, prompt.Decision{}, fmt.Errorf("xray: prediction of %d probabilities (class %d) for %d classes", len(p.Probs), p.Index, len(classes))
	}
	pos, err := PositiveIndex(classes)
	if err != nil {
		return p, prompt.Decision{}, err
	}
	if c.Positive != "" && c.Positive != classes[pos] {
		return p, prompt.Decision{}, fmt.Errorf("xray: the calibration's threshold is for the class %q, the model's positive class is %q", c.Positive, classes[pos])
	}
	out := p // temperature keeps the order of the classes, so p.Index stays the argmax
	if c.scales() {
		out.Probs = scaleTemperature(p.Probs, c.Temperature)
	}
	if c.Threshold > 0 {
		out.Index = thresholded(out.Probs, pos, c.Threshold)
		out.Label = classes[out.Index]
	}
	d := prompt.Decision{Threshold: c.Threshold, Positive: classes[pos], Probability: out.Probs[pos],
		Argmax: classes[p.Index], Decided: classes[out.Index], Temperature: c.Temperature}
	return out, d, nil
}

// Apply is Decide without the account of the decision.
func (c Calibration) Apply(classes []string, p resnet.Prediction) (resnet.Prediction, error) {
	out, _, err := c.Decide(classes, p)
	return out, err
}

// scales reports whether the temperature changes probabilities.
func (c Calibration) scales() bool { return c.Temperature != 0 && c.Temperature != 1 }

// scaleTemperature returns softmax(log(probs)/t); probabilities that are
// all 0 (or not numbers) are returned as they are.
func scaleTemperature(probs []float64, t float64) []float64 {
	out := make([]float64, len(probs))
	mx := math.Inf(-1)
	for i, v := range probs {
		out[i] = math.Log(v) / t
		mx = math.Max(mx, out[i])
	}
	if math.IsInf(mx, -1) || math.IsNaN(mx) {
		return slices.Clone(probs)
	}
	var sum float64
	for i := range out {
		out[i] = math.Exp(out[i] - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// thresholded is the class a threshold decides: pos when its probability
// reaches th, else the most probable other class.
func thresholded(probs []float64, pos int, th float64) int {
	if probs[pos] >= th {
		return pos
	}
	best := -1
	for i, v := range probs {
		if i != pos && (best < 0 || v > probs[best]) {
			best = i
		}
	}
	return best
}

// decide applies the request's calibration, or the Analyzer's, to the
// result's prediction. When no target was given and the CAM explains a
// class other than the decided one (the network's argmax, or with TTA the
// plain image's), the CAM is computed again for the decided class, so
// that the map and its notes explain the answer shown.
func (a *Analyzer) decide(ctx context.Context, in *preprocess.Input, req Request, res *Result) error {
	cal := req.Calibration
	if cal == nil {
		cal = a.cal
	}
	if cal == nil {
		return nil
	}
	decided, d, err := cal.Decide(a.model.Classes(), res.Prediction)
	if err != nil {
		return err
	}
	if opts := req.camOptions(); res.CAM != nil && opts.Target == "" && decided.Index != res.CAM.TargetIndex {
		start := time.Now()
		o := *opts
		o.Target = decided.Label
		cam, err := a.explainer.Explain(ctx, in.Tensor, &o)
		if err != nil {
			return fmt.Errorf("xray: explaining the decided class: %w", err)
		}
		res.CAM = cam
		res.Timings.CAM += time.Since(start)
	}
	res.Prediction, res.Decision = decided, &d
	return nil
}
