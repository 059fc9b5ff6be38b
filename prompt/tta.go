package prompt

import (
	"fmt"
	"math"

	"github.com/xrayllm/xray/preprocess/tta"
)

// DescribeTTA renders a test-time augmentation result as lines in lang:
// the mean probability of the mean's class with its range across the
// variants, "Test-time augmentation over 7 small changes of the image
// (zoom, shift, brightness): PNEUMONIA 91.20% on average, from 85.03% to
// 95.10% across the changes", then whether the variants agree; when they
// do not, the second line ends in the caution of TTACaution. Nil gives no
// lines.
func DescribeTTA(r *tta.Result, lang Lang) []string {
	if r == nil {
		return nil
	}
	w := words(lang)
	class := ClassName(r.Label, w.Lang)
	n := len(r.Variants)
	line := fmt.Sprintf(w.TTALine, n, class, FormatPercent(r.Mean[r.Index]), FormatPercent(r.Min[r.Index]), FormatPercent(r.Max[r.Index]))
	if !r.Agree {
		return []string{line, fmt.Sprintf(w.TTADisagree, r.Dissent(), n, class, w.TTACaution)}
	}
	return []string{line, fmt.Sprintf(w.TTAAgree, n, class)}
}

// TTACaution is the caution for an answer that changes under small
// changes of the image, in lang, when the variants of r disagree on the
// label; "" when they agree or r is nil.
func TTACaution(r *tta.Result, lang Lang) string {
	if r == nil || r.Agree {
		return ""
	}
	return words(lang).TTACaution
}

// validTTA checks that a TTA result is whole and its probabilities are
// probabilities.
func validTTA(r *tta.Result, classes int) error {
	if r == nil {
		return nil
	}
	if len(r.Variants) == 0 || len(r.Mean) != classes || len(r.Min) != classes || len(r.Max) != classes || r.Index < 0 || r.Index >= classes {
		return fmt.Errorf("prompt: tta: %d variants, %d/%d/%d mean/min/max for %d classes, index %d", len(r.Variants), len(r.Mean), len(r.Min), len(r.Max), classes, r.Index)
	}
	for c := range classes {
		for _, p := range []float64{r.Mean[c], r.Min[c], r.Max[c]} {
			if math.IsNaN(p) || p < 0 || p > 1+1e-6 {
				return fmt.Errorf("prompt: tta: probability %v, not in [0, 1]", p)
			}
		}
	}
	return nil
}
