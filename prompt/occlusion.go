package prompt

import (
	"fmt"
	"math"
	"strings"

	"github.com/xrayllm/xray/gradcam/occlusion"
)

// OcclusionDropThreshold is the drop of the explained class's probability,
// hiding a region, from which DescribeOcclusion says that the decision
// rests on that region: 0.10, ten percentage points.
const OcclusionDropThreshold = 0.10

// DescribeOcclusion renders occlusion checks as lines in lang, one per
// check in the result's order, each as before → after with a verdict in
// plain words: "Occlusion check, hiding the border (the outer 22 px, ...):
// PNEUMONIA 92.60% → 91.80% — the decision does not rest on the marker or
// labels". A drop of OcclusionDropThreshold or more says the decision
// rests on what was hidden; a smaller drop, or a rise, says it does not.
// When the answer changes, the line says to what. Nil gives no lines.
func DescribeOcclusion(o *occlusion.Result, lang Lang) []string {
	if o == nil {
		return nil
	}
	w := words(lang)
	var lines []string
	for _, c := range o.Checks {
		what, rests, notRests := occlusionWords(w, c.Region, o.BorderPixels)
		verdict := notRests
		if o.Before-c.After >= OcclusionDropThreshold-1e-9 { // a drop of exactly the threshold counts
			verdict = rests
		}
		flip := ""
		if c.PredictedAfter != "" && o.Predicted != "" && c.PredictedAfter != o.Predicted {
			flip = fmt.Sprintf(w.OcclusionFlip, ClassName(c.PredictedAfter, w.Lang))
		}
		lines = append(lines, fmt.Sprintf(w.OcclusionLine, what, ClassName(o.Target, w.Lang),
			FormatPercent(o.Before), FormatPercent(c.After), flip, verdict))
	}
	return lines
}

// occlusionWords names what a check hid and its two verdicts; a region
// this package does not know keeps its identifier and gets no verdict.
func occlusionWords(w phrases, r occlusion.Region, band int) (what, rests, notRests string) {
	switch r {
	case occlusion.Border:
		return fmt.Sprintf(w.OcclusionBorder, band), w.BorderRests, w.BorderNotRests
	case occlusion.CAMTop:
		return fmt.Sprintf(w.OcclusionCAMTop, int(math.Round(occlusion.CAMTopFraction*100))), w.CamTopRests, w.CamTopNotRests
	case occlusion.OutsideLungs:
		return w.OcclusionOutsideLungs, w.OutsideLungsRests, w.OutsideLungsNotRests
	}
	return string(r), "", ""
}

// DescribeFusedLayers says in lang that the map fuses the maps of layers;
// it is empty unless there are at least two.
func DescribeFusedLayers(layers []string, lang Lang) string {
	if len(layers) < 2 {
		return ""
	}
	return fmt.Sprintf(words(lang).FusedLayers, len(layers), strings.Join(layers, ", "))
}

// validOcclusion checks that an occlusion result's probabilities are
// probabilities.
func validOcclusion(o *occlusion.Result) error {
	if o == nil {
		return nil
	}
	ok := func(p float64) bool { return !math.IsNaN(p) && p >= 0 && p <= 1+1e-6 }
	if !ok(o.Before) {
		return fmt.Errorf("prompt: occlusion: probability before %v, not in [0, 1]", o.Before)
	}
	for _, c := range o.Checks {
		if !ok(c.After) {
			return fmt.Errorf("prompt: occlusion %s: probability after %v, not in [0, 1]", c.Region, c.After)
		}
	}
	return nil
}
