// Package occlusion asks a counterfactual question of a classifier: does
// its answer move when part of the image is hidden? Hiding a region sets
// those pixels of the network input to 0 (black); if the probability of
// the explained class drops a lot, the decision rested on that region; if
// it barely moves, the region did not matter to it.
//
// Three regions are checked (Regions): the outer border band, where side
// markers such as "R", text labels and collimation edges sit; the top of
// the CAM map, the area the explanation claims matters; and everything
// outside a fixed central lung box, which asks whether the lungs alone
// carry the decision. The package holds the masks and the result types
// only, with no dependency beyond the standard library; gradcam runs the
// occluded inputs through the network, and package prompt puts the result
// in words.
package occlusion

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Region names what a check hides. Its value is a stable identifier,
// written as is into JSON.
type Region string

// The regions a check can hide.
const (
	// Border is the outer band on all four sides, BorderPixels wide.
	Border Region = "border"
	// CAMTop is the CAM map's top CAMTopFraction of pixels.
	CAMTop Region = "cam_top"
	// OutsideLungs is everything outside the central lung box (LungBox).
	OutsideLungs Region = "outside_lungs"
)

// Regions returns the regions in the order the checks list them.
func Regions() []Region { return []Region{Border, CAMTop, OutsideLungs} }

// DefaultBorderBand is the border band's width as a fraction of the input
// size: the same 10% band the CAM notes measure the border share in.
const DefaultBorderBand = 0.10

// CAMTopFraction is the share of the map's pixels the CAMTop check hides:
// the same top 20% that gradcam's faithfulness keeps.
const CAMTopFraction = 0.2

// Result is the outcome of the occlusion checks of one image.
type Result struct {
	// Target is the explained class; Before its probability on the
	// unaltered input.
	Target string  `json:"target"`
	Before float64 `json:"before"`
	// Predicted is the class the model predicts on the unaltered input.
	Predicted string `json:"predicted"`
	// BorderPixels is the border band's width in pixels of the network
	// input (22 for 224×224).
	BorderPixels int `json:"border_px"`
	// Checks are the occluded runs, in the order of Regions.
	Checks []Check `json:"checks"`
}

// Check is one occluded run.
type Check struct {
	// Region is what was hidden; HiddenFraction the share of the input's
	// pixels set to 0.
	Region         Region  `json:"region"`
	HiddenFraction float64 `json:"hidden_fraction"`
	// After is the target's probability with the region hidden.
	After float64 `json:"after"`
	// PredictedAfter is the class the model predicts with the region
	// hidden.
	PredictedAfter string `json:"predicted_after"`
}

// Change returns After - before: negative when hiding the region lowers
// the target's probability.
func (c Check) Change(before float64) float64 { return c.After - before }

// Check returns the check of region r, and false when there is none.
func (r *Result) Check(region Region) (Check, bool) {
	if r == nil {
		return Check{}, false
	}
	i := slices.IndexFunc(r.Checks, func(c Check) bool { return c.Region == region })
	if i < 0 {
		return Check{}, false
	}
	return r.Checks[i], true
}

// BorderPixels returns the band of fraction band of size, rounded to whole
// pixels: 22 for 10% of 224.
func BorderPixels(size int, band float64) int { return int(math.Round(band * float64(size))) }

// Rect is a pixel rectangle [X0, X1) × [Y0, Y1).
type Rect struct{ X0, Y0, X1, Y1 int }

// LungBox returns the central lung region of a w×h frontal chest image:
// columns 15% to 85% of the width and rows 15% to 80% of the height,
// rounded to whole pixels (x 34–189, y 34–178 at 224×224). It is a fixed
// box, not a segmentation: on a well-centred frontal film it holds most of
// both lung fields and the heart between them, and leaves out the border
// band, the neck and shoulders above and the abdomen below the diaphragm.
func LungBox(w, h int) Rect {
	r := func(f float64, n int) int { return int(math.Round(f * float64(n))) }
	return Rect{X0: r(0.15, w), Y0: r(0.15, h), X1: r(0.85, w), Y1: r(0.80, h)}
}

// BorderMask returns a w×h mask (row-major) that is 0 within px pixels of
// any edge and 1 inside.
func BorderMask(w, h, px int) []float32 {
	return boxMask(w, h, Rect{X0: px, Y0: px, X1: w - px, Y1: h - px})
}

// LungMask returns a w×h mask that is 1 inside LungBox and 0 outside.
func LungMask(w, h int) []float32 { return boxMask(w, h, LungBox(w, h)) }

// boxMask is 1 inside r and 0 elsewhere.
func boxMask(w, h int, r Rect) []float32 {
	m := make([]float32, w*h)
	for y := max(r.Y0, 0); y < min(r.Y1, h); y++ {
		for x := max(r.X0, 0); x < min(r.X1, w); x++ {
			m[y*w+x] = 1
		}
	}
	return m
}

// TopMask returns a mask of cam's size that is 0 on its top fraction of
// pixels (the largest values; pixels tied with the threshold go too, and
// zeros never do) and 1 elsewhere. KeepTop is its complement.
func TopMask(cam []float32, fraction float64) ([]float32, error) {
	keep, err := KeepTop(cam, fraction)
	if err != nil {
		return nil, err
	}
	for i, v := range keep {
		keep[i] = 1 - v
	}
	return keep, nil
}

// KeepTop returns a mask of cam's size that is 1 on its top fraction of
// pixels and 0 elsewhere, as gradcam's faithfulness keeps them.
func KeepTop(cam []float32, fraction float64) ([]float32, error) {
	if !(fraction > 0 && fraction <= 1) {
		return nil, fmt.Errorf("occlusion: fraction %g outside (0, 1]", fraction)
	}
	if len(cam) == 0 {
		return nil, fmt.Errorf("occlusion: empty map")
	}
	sorted := slices.Clone(cam)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] > sorted[j] })
	k := int(fraction * float64(len(sorted)))
	threshold := sorted[max(k-1, 0)]
	mask := make([]float32, len(cam))
	for i, v := range cam {
		if v >= threshold && v > 0 {
			mask[i] = 1
		}
	}
	return mask, nil
}

// HiddenFraction returns the share of mask's values that are 0.
func HiddenFraction(mask []float32) float64 {
	if len(mask) == 0 {
		return 0
	}
	n := 0
	for _, v := range mask {
		if v == 0 {
			n++
		}
	}
	return float64(n) / float64(len(mask))
}
