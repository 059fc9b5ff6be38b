package prompt

import (
	"fmt"
	"math"
)

// Decision says how the label was decided when a decision threshold or a
// temperature was set (package xray's Calibration): the network's answer
// is the class with the highest probability; a threshold instead calls
// the positive class whenever its probability is at least the threshold.
type Decision struct {
	// Threshold is the positive class's probability from which it is
	// called; 0 when none was set (the highest probability decides).
	Threshold float64 `json:"threshold,omitempty"`
	// Positive names the class the threshold decides for, e.g. PNEUMONIA.
	Positive string `json:"positive"`
	// Probability is the positive class's probability, after the
	// temperature.
	Probability float64 `json:"probability"`
	// Argmax is the class with the highest probability; Decided the class
	// decided (they differ when the threshold changed the answer).
	Argmax  string `json:"argmax"`
	Decided string `json:"decided"`
	// Temperature is the temperature the probabilities were divided by
	// (as logits); 0 or 1 when they were left as the network gave them.
	Temperature float64 `json:"temperature,omitempty"`
}

// Changed reports whether the threshold decided a different class from
// the highest probability.
func (d Decision) Changed() bool { return d.Argmax != d.Decided }

// DescribeThreshold renders a decision in lang: which threshold decided
// ("Decision threshold: PNEUMONIA when its probability is at least
// 91.62% (here 95.00%), so PNEUMONIA"), whether it changed the answer of
// the highest probability, why the choice matters (sensitivity against
// specificity, in plain words), and the temperature when one was applied.
// Nil gives no lines.
func DescribeThreshold(d *Decision, lang Lang) []string {
	if d == nil {
		return nil
	}
	w := words(lang)
	var lines []string
	if d.Threshold > 0 {
		lines = append(lines, fmt.Sprintf(w.ThresholdLine, ClassName(d.Positive, w.Lang), FormatPercent(d.Threshold),
			FormatPercent(d.Probability), ClassName(d.Decided, w.Lang)))
		if d.Changed() {
			lines = append(lines, fmt.Sprintf(w.ThresholdChanged, ClassName(d.Argmax, w.Lang), ClassName(d.Decided, w.Lang)))
		}
		lines = append(lines, w.ThresholdWhy)
	}
	if d.Temperature > 0 && d.Temperature != 1 {
		lines = append(lines, fmt.Sprintf(w.CalibrationTemperature, d.Temperature))
	}
	return lines
}

// validDecision checks that a decision's numbers are probabilities and a
// temperature.
func validDecision(d *Decision) error {
	if d == nil {
		return nil
	}
	ok := func(p float64) bool { return !math.IsNaN(p) && p >= 0 && p <= 1+1e-6 }
	if !ok(d.Threshold) || !ok(d.Probability) {
		return fmt.Errorf("prompt: decision threshold %v or probability %v not in [0, 1]", d.Threshold, d.Probability)
	}
	if math.IsNaN(d.Temperature) || math.IsInf(d.Temperature, 0) || d.Temperature < 0 {
		return fmt.Errorf("prompt: temperature %v is not positive and finite", d.Temperature)
	}
	return nil
}
