package gradcam

import (
	"context"
	"fmt"

	"github.com/xrayllm/xray/gradcam/occlusion"
	"github.com/xrayllm/xray/resnet"
)

// Occlusion re-runs the network on x, the input r was computed from, with
// parts of it set to 0, in one batch with the unaltered input: the outer
// border band (10% of the input size, 22 px at 224×224), r's top 20% of
// the map, and everything outside the central lung box (occlusion.LungBox).
// It reports the probability of r's target class before and after each.
func (e *Explainer) Occlusion(ctx context.Context, x []float32, r *Result) (*occlusion.Result, error) {
	size := resnet.InputSize
	if len(x) != 3*size*size {
		return nil, fmt.Errorf("gradcam: occlusion: input has %d values, want one 3×%d×%d image", len(x), size, size)
	}
	if r == nil || len(r.Map) != size*size {
		return nil, fmt.Errorf("gradcam: occlusion: needs a %d×%d map", size, size)
	}
	band := occlusion.BorderPixels(size, occlusion.DefaultBorderBand)
	top, err := occlusion.TopMask(r.Map, occlusion.CAMTopFraction)
	if err != nil {
		return nil, fmt.Errorf("gradcam: occlusion: %w", err)
	}
	masks := map[occlusion.Region][]float32{
		occlusion.Border:       occlusion.BorderMask(size, size, band),
		occlusion.CAMTop:       top,
		occlusion.OutsideLungs: occlusion.LungMask(size, size),
	}
	regions := occlusion.Regions()
	batch := append(make([]float32, 0, (1+len(regions))*len(x)), x...)
	for _, reg := range regions {
		batch = append(batch, maskInput(x, masks[reg])...)
	}
	logits, err := e.model.Forward(ctx, batch)
	if err != nil {
		return nil, fmt.Errorf("gradcam: occlusion: %w", err)
	}
	t := r.TargetIndex
	plain := e.model.Prediction(logits[0])
	out := &occlusion.Result{Target: r.Target, Before: plain.Probs[t], Predicted: plain.Label, BorderPixels: band}
	for i, reg := range regions {
		p := e.model.Prediction(logits[1+i])
		out.Checks = append(out.Checks, occlusion.Check{
			Region: reg, HiddenFraction: occlusion.HiddenFraction(masks[reg]), After: p.Probs[t], PredictedAfter: p.Label,
		})
	}
	return out, nil
}
