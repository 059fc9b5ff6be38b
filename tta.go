package xray

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/xrayllm/xray/preprocess/tta"
	"github.com/xrayllm/xray/resnet"
)

// TTAResult is the outcome of test-time augmentation for one image: the
// mean probabilities, their label, the spread and each variant's own
// prediction (see package tta).
type TTAResult = tta.Result

// PredictTTA classifies one preprocessed input, x (3×224×224 values made
// with the Analyzer's Options.Preprocess, as Result.Input.Tensor), under
// test-time augmentation: the variants (nil means tta.Default(), the
// identity first) run through the model as one batch (split only when
// there are more variants than the model's max batch), and their
// probabilities are averaged.
//
// The returned prediction is the mean: Probs are the mean probabilities,
// Index and Label their largest class, and Logits the logarithm of the
// mean probabilities (so that softmax(Logits) gives Probs back, and a
// temperature or threshold applied to it acts on the mean). The result
// holds the spread and each variant's prediction.
func (a *Analyzer) PredictTTA(ctx context.Context, x []float32, variants []tta.Variant) (resnet.Prediction, *TTAResult, error) {
	if variants == nil {
		variants = tta.Default()
	}
	batch, err := tta.Batch(x, resnet.InputSize, variants, a.ttaNorm())
	if err != nil {
		return resnet.Prediction{}, nil, fmt.Errorf("xray: %w", err)
	}
	ps, err := a.model.PredictTensor(ctx, batch)
	if err != nil {
		return resnet.Prediction{}, nil, fmt.Errorf("xray: tta: %w", err)
	}
	outcomes := make([]tta.Outcome, len(ps))
	for i, p := range ps {
		outcomes[i] = tta.Outcome{Variant: variants[i], Label: p.Label, Index: p.Index, Probs: p.Probs}
	}
	r, err := tta.Summarise(a.model.Classes(), outcomes)
	if err != nil {
		return resnet.Prediction{}, nil, fmt.Errorf("xray: %w", err)
	}
	return meanPrediction(r), r, nil
}

// meanPrediction is a TTA result's mean as a Prediction, its logits the
// logarithms of the mean probabilities.
func meanPrediction(r *TTAResult) resnet.Prediction {
	logits := make([]float32, len(r.Mean))
	for i, p := range r.Mean {
		logits[i] = float32(math.Log(math.Max(p, math.SmallestNonzeroFloat64))) // finite, for JSON
	}
	return resnet.Prediction{Label: r.Label, Index: r.Index, Probs: append([]float64(nil), r.Mean...), Logits: logits}
}

// ttaNorm is the Analyzer's normalisation in package tta's terms.
func (a *Analyzer) ttaNorm() *tta.Normalization {
	if a.pre.Normalize == nil {
		return nil
	}
	n := tta.Normalization(*a.pre.Normalize)
	return &n
}

// addTTA replaces the result's prediction by the TTA mean over the
// default variants and keeps the spread in res.TTA. A CAM already in res
// stays that of the plain image.
func (a *Analyzer) addTTA(ctx context.Context, res *Result) error {
	start := time.Now()
	p, r, err := a.PredictTTA(ctx, res.Input.Tensor, nil)
	if err != nil {
		return err
	}
	res.Prediction, res.TTA, res.Timings.TTA = p, r, time.Since(start)
	return nil
}
