package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/internal/teachimg"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
)

// teachNetworkJSON is the answer of POST /api/teach/network: every layer
// of the network with its output shape and its share of one timed
// forward pass.
type teachNetworkJSON struct {
	Layers     []teachLayerInfo   `json:"layers"`
	TotalMS    float64            `json:"total_ms"`
	Prediction analysisPrediction `json:"prediction"`
	// InputPNG is the network's 224×224 input, drawn before the stem.
	InputPNG string `json:"input_png"`
	Caption  string `json:"caption"`
	Lang     string `json:"lang"`
}

// teachLayerInfo is one layer of teachNetworkJSON: resnet.LayerInfo and
// the time spent in its leaves, in milliseconds and as a share of the pass.
type teachLayerInfo struct {
	Name   string  `json:"name"`
	Kind   string  `json:"kind"`
	Shape  []int   `json:"shape"`
	Parent string  `json:"parent"`
	MS     float64 `json:"ms"`
	Share  float64 `json:"share"`
}

// teachNetwork times one forward pass layer by layer.
func (s *server) teachNetwork(ctx context.Context, tr *teachRequest, in *preprocess.Input) (any, error) {
	m := s.a.Model()
	prof, err := m.Profile(ctx, in.Tensor)
	if err != nil {
		return nil, fmt.Errorf("serve: profile: %w", err)
	}
	input, err := pngDataURL(in.Resized)
	if err != nil {
		return nil, err
	}
	out := &teachNetworkJSON{TotalMS: millis(prof.Total), Prediction: newAnalysisPrediction(m.Classes(), prof.Prediction),
		InputPNG: input, Caption: prompt.TeachPhrases(tr.lang()).NetworkCaption, Lang: string(tr.lang())}
	for _, l := range m.Layers() {
		d := prof.Stage(l.Name)
		share := 0.0
		if prof.Total > 0 {
			share = float64(d) / float64(prof.Total)
		}
		out.Layers = append(out.Layers, teachLayerInfo{Name: l.Name, Kind: l.Kind, Shape: l.Shape, Parent: l.Parent, MS: millis(d), Share: share})
	}
	return out, nil
}

// millis is d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

// teachChannelsJSON is the answer of POST /api/teach/layer: the top
// channels of one layer's output.
type teachChannelsJSON struct {
	Layer    string             `json:"layer"`
	Shape    []int              `json:"shape"`
	Rank     string             `json:"rank"`
	Target   string             `json:"target"`
	Channels []teachChannelJSON `json:"channels"`
	Caption  string             `json:"caption"`
	Lang     string             `json:"lang"`
}

// teachChannelJSON is one channel: its index, statistics and Grad-CAM
// weight α for the explained class (teachimg.Channel), and its map.
type teachChannelJSON struct {
	teachimg.Channel
	PNG string `json:"png"`
}

// teachLayer shows the top channels of a layer, ranked by their mean or
// by their Grad-CAM weight α for the explained class, each with its α.
func (s *server) teachLayer(ctx context.Context, tr *teachRequest, in *preprocess.Input) (any, error) {
	res, err := s.explain(ctx, in, gradcam.GradCAM(), tr.layer, tr.target)
	if err != nil {
		return nil, err
	}
	st := res.Steps
	top, err := teachimg.Top(stepsActivation(st), tr.top, tr.rank, st.Alpha)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	chans, err := channelTiles(st.Activations, st, top, false)
	if err != nil {
		return nil, err
	}
	return &teachChannelsJSON{Layer: st.Layer, Shape: []int{st.Channels, st.Height, st.Width}, Rank: string(tr.rank), Target: st.Target,
		Channels: chans, Caption: layerCaption(prompt.TeachPhrases(tr.lang()), st.Layer), Lang: string(tr.lang())}, nil
}

// stepsActivation is the activation A of st.
func stepsActivation(st *gradcam.Steps) teachimg.Activation {
	return teachimg.Activation{C: st.Channels, H: st.Height, W: st.Width, Data: st.Activations}
}
