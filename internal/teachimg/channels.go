// Package teachimg draws the pictures of the teaching views, for the CLI
// and the server alike: an activation channel as a greyscale tile, a grid
// of a layer's top channels labelled with their index and value range, a
// signed map in a diverging colormap, a map in a heat colormap, and the
// grid of every CAM method with its name, time and faithfulness. It draws
// numbers it is given and computes nothing about the network.
package teachimg

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Activation is one image's activation at one layer: C channels of H×W
// values, channel after channel (as resnet.Activation without its batch
// axis, or gradcam.Steps.Activations).
type Activation struct {
	C, H, W int
	Data    []float32
}

// check reports an error unless the sizes are positive and match Data.
func (a Activation) check() error {
	if a.C <= 0 || a.H <= 0 || a.W <= 0 || a.H*a.W > math.MaxInt32/a.C {
		return fmt.Errorf("teachimg: activation size %dx%dx%d", a.C, a.H, a.W)
	}
	if len(a.Data) != a.C*a.H*a.W {
		return fmt.Errorf("teachimg: %d values for a %dx%dx%d activation", len(a.Data), a.C, a.H, a.W)
	}
	return nil
}

// Channel returns channel c's H×W values.
func (a Activation) Channel(c int) []float32 {
	n := a.H * a.W
	return a.Data[c*n : (c+1)*n]
}

// Channel summarises one channel of an activation.
type Channel struct {
	// Index is the channel's position in the layer.
	Index int `json:"index"`
	// Mean, Min and Max are the channel's mean, smallest and largest value.
	Mean float32 `json:"mean"`
	Min  float32 `json:"min"`
	Max  float32 `json:"max"`
	// Alpha is the channel's Grad-CAM weight α when HasAlpha is set.
	Alpha    float32 `json:"alpha,omitempty"`
	HasAlpha bool    `json:"-"`
}

// Stats summarises channel c (the mean accumulated in float64).
func (a Activation) Stats(c int) Channel {
	v := a.Channel(c)
	s := Channel{Index: c, Min: v[0], Max: v[0]}
	sum := 0.0
	for _, x := range v {
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
		sum += float64(x)
	}
	s.Mean = float32(sum / float64(len(v)))
	return s
}

// Rank orders channels for Top.
type Rank string

const (
	// RankMean puts the channels with the highest mean activation first:
	// what the layer responds to most on this image.
	RankMean Rank = "mean"
	// RankAlpha puts the channels with the largest Grad-CAM weight α
	// first: those whose activation speaks most for the class.
	RankAlpha Rank = "alpha"
	// RankAbsAlpha puts the channels with the largest |α| first: those
	// that matter most for the class, for or against.
	RankAbsAlpha Rank = "absalpha"
)

// ParseRank returns the rank called name ("mean", "alpha", "absalpha").
func ParseRank(name string) (Rank, error) {
	switch r := Rank(name); r {
	case RankMean, RankAlpha, RankAbsAlpha:
		return r, nil
	}
	return "", fmt.Errorf("teachimg: unknown rank %q (valid: mean, alpha, absalpha)", name)
}

// Top returns the k first channels of a by rank, with their statistics
// and, when alpha (one weight per channel) is given, their α. The α ranks
// need alpha. Ties keep channel order; k larger than C gives every
// channel.
func Top(a Activation, k int, rank Rank, alpha []float32) ([]Channel, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("teachimg: top %d channels: want at least 1", k)
	}
	if alpha != nil && len(alpha) != a.C {
		return nil, fmt.Errorf("teachimg: %d weights for %d channels", len(alpha), a.C)
	}
	var key func(Channel) float64
	switch rank {
	case RankMean:
		key = func(c Channel) float64 { return float64(c.Mean) }
	case RankAlpha, RankAbsAlpha:
		if alpha == nil {
			return nil, fmt.Errorf("teachimg: ranking by %s needs the channel weights", rank)
		}
		key = func(c Channel) float64 { return float64(c.Alpha) }
		if rank == RankAbsAlpha {
			key = func(c Channel) float64 { return math.Abs(float64(c.Alpha)) }
		}
	default:
		return nil, fmt.Errorf("teachimg: unknown rank %q", rank)
	}
	chans := make([]Channel, a.C)
	for c := range chans {
		chans[c] = a.Stats(c)
		if alpha != nil {
			chans[c].Alpha, chans[c].HasAlpha = alpha[c], true
		}
	}
	slices.SortStableFunc(chans, func(x, y Channel) int { return cmp.Compare(key(y), key(x)) })
	return chans[:min(k, len(chans))], nil
}
