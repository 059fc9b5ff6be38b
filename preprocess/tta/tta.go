// Package tta is test-time augmentation (TTA) of a prediction: the network
// is asked the same question about a few slightly changed copies of the
// image, and the answers are averaged. A model whose answer is sure of
// itself gives (nearly) the same probabilities for every copy; when the
// copies disagree on the label, the answer rests on details that a
// slightly different exposure or positioning would change, and it should
// be treated with caution.
//
// The changes keep the anatomy, because the question is "what if the same
// patient had been X-rayed a little differently", not "what if the patient
// were different". So there is no left–right mirror: the heart is on the
// patient's left, and a mirrored chest is not a chest the model should ever
// see. Default lists the variants, each for one reason:
//
//   - identity, the image as is: its answer is the plain prediction;
//   - zoom ×0.95 and ×1.05 about the centre: the patient stood a little
//     further from or nearer to the detector, and the crop differs;
//   - shifts of 4 pixels (right and down, left and up): the patient stood
//     a little off-centre;
//   - intensity ×0.9 and ×1.1 (a gain on the pixel values, which changes
//     brightness and contrast together): the exposure was a little lower
//     or higher.
//
// The variants are made from the 3×224×224 network input tensor, not from
// the original image, so they are cheap and deterministic: geometry is
// bilinear interpolation (sampling each output pixel's centre at its place
// in the input), and pixels that come from outside the input repeat the
// nearest edge pixel (no black frame, which would be a new edge for the
// network to look at); a whole-pixel shift moves values exactly. The gain
// multiplies pixel intensities in [0, 1] (undoing and redoing the
// input's normalisation when there is one) and clips them to [0, 1], as a
// detector saturates. All the variants of an image run through the network
// as one batch.
//
// The package makes the variants and summarises their predictions (Summarise);
// it depends on the standard library only. The root package xray runs the
// batch through the model, and package prompt puts the result in words.
package tta

import (
	"fmt"
	"math"
	"slices"
)

// Variant is one small change of the network input. The zero value is the
// identity.
type Variant struct {
	// Name is a stable identifier, written as is into JSON, e.g. "scale_0.95".
	Name string `json:"name"`
	// Scale zooms about the centre: 1.05 enlarges by 5% (the edges leave
	// the frame), 0.95 shrinks (the nearest edge pixels fill the rim). 0
	// means 1.
	Scale float64 `json:"scale,omitempty"`
	// DX and DY shift the image right and down by whole pixels (negative:
	// left and up).
	DX int `json:"dx,omitempty"`
	DY int `json:"dy,omitempty"`
	// Gain multiplies the pixel intensities, clipped to [0, 1]. 0 means 1.
	Gain float64 `json:"gain,omitempty"`
}

// Default returns the documented variant set (see the package doc), the
// identity first: seven inputs, one batch of the model's default maximum
// of eight.
func Default() []Variant {
	return []Variant{
		{Name: "identity"},
		{Name: "scale_0.95", Scale: 0.95},
		{Name: "scale_1.05", Scale: 1.05},
		{Name: "shift_+4_+4", DX: 4, DY: 4},
		{Name: "shift_-4_-4", DX: -4, DY: -4},
		{Name: "gain_0.9", Gain: 0.9},
		{Name: "gain_1.1", Gain: 1.1},
	}
}

// scale and gain return the variant's factors, 1 for unset.
func (v Variant) scale() float64 { return orOne(v.Scale) }
func (v Variant) gain() float64  { return orOne(v.Gain) }

func orOne(f float64) float64 {
	if f == 0 {
		return 1
	}
	return f
}

// IsIdentity reports whether the variant leaves the input unchanged.
func (v Variant) IsIdentity() bool { return v.scale() == 1 && v.gain() == 1 && v.DX == 0 && v.DY == 0 }

// check refuses factors that make no sense for a small change.
func (v Variant) check() error {
	ok := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) && f > 0 }
	if !ok(v.scale()) || !ok(v.gain()) {
		return fmt.Errorf("tta: variant %q: scale %v and gain %v must be positive and finite", v.Name, v.Scale, v.Gain)
	}
	return nil
}

// Normalization says how the tensor's values relate to pixel intensities
// p in [0, 1]: value = (p - Mean[c]) / Std[c], as transforms.Normalize
// (and preprocess.Normalization, which converts to it). Nil means value =
// p, the original app's preprocessing.
type Normalization struct {
	Mean, Std [3]float32
}

// Batch makes the variants of one image, x being 3×side×side values in
// CHW order, and returns them one after the other (len(variants)×len(x)
// values), ready to run as one batch.
func Batch(x []float32, side int, variants []Variant, norm *Normalization) ([]float32, error) {
	if side < 1 || len(x) != 3*side*side {
		return nil, fmt.Errorf("tta: input has %d values, want 3×%d×%d", len(x), side, side)
	}
	if len(variants) == 0 {
		return nil, fmt.Errorf("tta: no variants")
	}
	if norm != nil && slices.Contains(norm.Std[:], 0) {
		return nil, fmt.Errorf("tta: normalisation with a zero std %v", norm.Std)
	}
	out := make([]float32, 0, len(variants)*len(x))
	for _, v := range variants {
		if err := v.check(); err != nil {
			return nil, err
		}
		out = append(out, apply(x, side, v, norm)...)
	}
	return out, nil
}

// apply makes one variant of x.
func apply(x []float32, side int, v Variant, norm *Normalization) []float32 {
	out := make([]float32, len(x))
	plane := side * side
	for c := range 3 {
		warp(out[c*plane:(c+1)*plane], x[c*plane:(c+1)*plane], side, v)
		if g := v.gain(); g != 1 {
			mean, std := channelNorm(norm, c)
			applyGain(out[c*plane:(c+1)*plane], g, mean, std)
		}
	}
	return out
}

// warp fills dst with src zoomed about the centre and shifted: output
// pixel (x, y) takes the bilinear value of src at ((x-c-dx)/s+c,
// (y-c-dy)/s+c), c = (side-1)/2, coordinates clamped to the edge.
func warp(dst, src []float32, side int, v Variant) {
	s, c := v.scale(), float64(side-1)/2
	for y := range side {
		sy := (float64(y)-c-float64(v.DY))/s + c
		y0, fy := split(sy, side)
		y1 := min(y0+1, side-1)
		for x := range side {
			sx := (float64(x)-c-float64(v.DX))/s + c
			x0, fx := split(sx, side)
			x1 := min(x0+1, side-1)
			top := lerp(src[y0*side+x0], src[y0*side+x1], fx)
			bottom := lerp(src[y1*side+x0], src[y1*side+x1], fx)
			dst[y*side+x] = float32(top*(1-fy) + bottom*fy)
		}
	}
}

// split clamps a source coordinate to [0, side-1] and returns its whole
// pixel and the fraction towards the next one.
func split(s float64, side int) (int, float64) {
	s = math.Max(0, math.Min(s, float64(side-1)))
	i := int(math.Floor(s))
	return i, s - float64(i)
}

func lerp(a, b float32, f float64) float64 { return float64(a)*(1-f) + float64(b)*f }

// channelNorm returns channel c's mean and std, 0 and 1 without
// normalisation.
func channelNorm(n *Normalization, c int) (mean, std float64) {
	if n == nil {
		return 0, 1
	}
	return float64(n.Mean[c]), float64(n.Std[c])
}

// applyGain multiplies the pixel intensities behind the values of one
// channel by g and clips them to [0, 1].
func applyGain(vals []float32, g float64, mean, std float64) {
	for i, v := range vals {
		p := math.Max(0, math.Min(1, g*(float64(v)*std+mean)))
		vals[i] = float32((p - mean) / std)
	}
}
