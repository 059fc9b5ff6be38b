package xray

import (
	"context"
	"fmt"

	"github.com/xrayllm/xray/preprocess/tta"
	"github.com/xrayllm/xray/resnet"
)

// PredictAllTTA is PredictAll under test-time augmentation: each image's
// variants (nil means tta.Default()) run as one batch (PredictTTA) while
// the next images are decoded. each gets the mean prediction and the TTA
// result of input i, or its error.
func (a *Analyzer) PredictAllTTA(ctx context.Context, n int, open Opener, variants []tta.Variant, each func(i int, p resnet.Prediction, r *TTAResult, err error) error) error {
	if n <= 0 {
		return nil
	}
	d, ctx, stop := a.startDecoding(ctx, n, open)
	defer stop()
	for i := range n {
		ready, err := d.take(ctx, i, 1)
		if err != nil {
			return err
		}
		var p resnet.Prediction
		var r *TTAResult
		err = ready[0].err
		if err == nil {
			p, r, err = a.PredictTTA(ctx, ready[0].tensor, variants)
			if err != nil && ctx.Err() != nil {
				return fmt.Errorf("xray: %w", ctx.Err())
			}
		}
		if err := each(i, p, r, err); err != nil {
			return err
		}
	}
	return nil
}
