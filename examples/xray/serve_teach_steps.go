package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/internal/teachimg"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
)

// teachStepsJSON is the answer of POST /api/teach/steps: the quantities
// of one CAM from the layer's output to the overlay, each with a
// sentence.
type teachStepsJSON struct {
	Method      string             `json:"method"`
	Layer       string             `json:"layer"`
	Target      string             `json:"target"`
	Shape       []int              `json:"shape"`
	Activations []teachChannelJSON `json:"activations"`
	// Gradients are dScore/dA of the same channels; empty for methods
	// without gradients.
	Gradients []teachChannelJSON `json:"gradients"`
	// Alpha is nil for methods without one weight per channel.
	Alpha     *teachAlphaJSON   `json:"alpha"`
	Weighted  teachMapJSON      `json:"weighted"`
	Rectified teachMapJSON      `json:"rectified"`
	Upsampled teachMapJSON      `json:"upsampled"`
	Overlay   teachMapJSON      `json:"overlay"`
	Captions  map[string]string `json:"captions"`
	Lang      string            `json:"lang"`
}

// teachAlphaJSON are the largest positive (Top) and negative (Bottom)
// channel weights, largest magnitude first.
type teachAlphaJSON struct {
	Top    []teachimg.Weight `json:"top"`
	Bottom []teachimg.Weight `json:"bottom"`
}

// teachMapJSON is one map as a picture, with its value range where it
// has a meaning of its own.
type teachMapJSON struct {
	PNG string   `json:"png"`
	Min *float32 `json:"min,omitempty"`
	Max *float32 `json:"max,omitempty"`
}

// teachSteps computes one CAM with its intermediate quantities.
func (s *server) teachSteps(ctx context.Context, tr *teachRequest, in *preprocess.Input) (any, error) {
	res, err := s.explain(ctx, in, tr.method, tr.layer, tr.target)
	if err != nil {
		return nil, err
	}
	st := res.Steps
	rank := teachimg.RankAbsAlpha
	if st.Alpha == nil {
		rank = teachimg.RankMean
	}
	shown, err := teachimg.Top(stepsActivation(st), stepChannels, rank, st.Alpha)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	out := &teachStepsJSON{Method: st.Method, Layer: st.Layer, Target: st.Target, Shape: []int{st.Channels, st.Height, st.Width},
		Gradients: []teachChannelJSON{}, Captions: stepCaptions(prompt.TeachPhrases(tr.lang()), st), Lang: string(tr.lang())}
	if out.Activations, err = channelTiles(st.Activations, st, shown, false); err != nil {
		return nil, err
	}
	if st.Gradients != nil {
		if out.Gradients, err = channelTiles(st.Gradients, st, shown, true); err != nil {
			return nil, err
		}
	}
	if st.Alpha != nil {
		out.Alpha = signedExtremes(st.Alpha)
	}
	if err := stepMaps(out, res, in, tr.colormap); err != nil {
		return nil, err
	}
	return out, nil
}

// stepMaps draws the weighted sum, its ReLU, the upsampled map and the
// overlay.
func stepMaps(out *teachStepsJSON, res *gradcam.Result, in *preprocess.Input, cmap gradcam.Table) error {
	st := res.Steps
	png, _, err := signedPNG(st.Weighted, st.Height, st.Width)
	if err != nil {
		return err
	}
	r := teachimg.Activation{C: 1, H: st.Height, W: st.Width, Data: st.Weighted}.Stats(0)
	out.Weighted = teachMapJSON{PNG: png, Min: &r.Min, Max: &r.Max}
	if out.Rectified.PNG, err = heatPNG(st.Rectified, st.Height, st.Width, cmap); err != nil {
		return err
	}
	if out.Upsampled.PNG, err = heatPNG(st.Upsampled, res.Height, res.Width, cmap); err != nil {
		return err
	}
	out.Overlay.PNG, err = overlayPNG(&xray.Result{Input: in, CAM: res}, cmap)
	return err
}

// signedExtremes returns the largest positive and the most negative
// weights.
func signedExtremes(alpha []float32) *teachAlphaJSON {
	top, bottom := teachimg.Extremes(alpha, alphaBarCount)
	return &teachAlphaJSON{
		Top:    slices.DeleteFunc(top, func(w teachimg.Weight) bool { return !(w.Value > 0) }),
		Bottom: slices.DeleteFunc(bottom, func(w teachimg.Weight) bool { return !(w.Value < 0) }),
	}
}

// stepCaptions gives each panel its sentence, those for the gradients, the
// weights and the weighted sum as the method has them.
func stepCaptions(p prompt.Teach, st *gradcam.Steps) map[string]string {
	c := map[string]string{
		"activations": p.StepActivationsText, "gradients": p.StepGradientsText, "alpha": p.StepAlphaText,
		"weighted": p.StepWeightedText, "rectified": p.StepRectifiedText, "upsampled": p.StepUpsampledText,
		"overlay": p.StepOverlayText,
	}
	if st.Gradients == nil {
		c["gradients"] = p.StepNoGradients
	}
	if st.Alpha == nil {
		c["alpha"], c["weighted"] = p.StepNoAlpha, p.StepOwnMap
	}
	return c
}
