package gradcam

import (
	"context"
	"fmt"

	"github.com/xrayllm/xray/resnet"
)

// A MaskedMethod is a Method whose map needs the model's answer on masked
// copies of the input, as ScoreCAM's does. The Explainer multiplies the
// input by each of the method's masks, runs the masked inputs through the
// model in batches and hands the target score of each (the class logit) to
// WithScores; the Method that returns computes the map. The Map of the
// method itself, without scores, fails.
type MaskedMethod interface {
	Method
	// Masks returns the masks for one image's layer data, each h*w values
	// (row-major), concatenated: masked input k is x[ch,y,x]*mask_k[y,x]
	// for every colour channel ch.
	Masks(d LayerData, h, w int) ([]float32, error)
	// WithScores returns the method bound to the target score of each
	// masked input, in mask order.
	WithScores(scores []float32) Method
}

// maskedBatch is how many masked inputs go through the model in one
// Forward call.
const maskedBatch = 16

// withMaskedScores runs x masked by each of m's masks through the model,
// batched as pytorch-grad-cam does, and returns m bound to the target
// logit of each masked input.
func (e *Explainer) withMaskedScores(ctx context.Context, x []float32, d LayerData, m MaskedMethod, target int) (Method, error) {
	size := resnet.InputSize
	plane := size * size
	masks, err := m.Masks(d, size, size)
	if err != nil {
		return nil, err
	}
	n := len(masks) / plane
	scores := make([]float32, 0, n)
	for k0 := 0; k0 < n; k0 += maskedBatch {
		k1 := min(k0+maskedBatch, n)
		batch := make([]float32, 0, (k1-k0)*len(x))
		for k := k0; k < k1; k++ {
			batch = append(batch, maskInput(x, masks[k*plane:(k+1)*plane])...)
		}
		logits, err := e.model.Forward(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("gradcam: %s: masked passes: %w", m.Name(), err)
		}
		for _, l := range logits {
			scores = append(scores, l[target])
		}
	}
	return m.WithScores(scores), nil
}

// maskInput multiplies every colour plane of x by mask.
func maskInput(x, mask []float32) []float32 {
	out := make([]float32, len(x))
	plane := len(mask)
	for i := range out {
		out[i] = x[i] * mask[i%plane]
	}
	return out
}
