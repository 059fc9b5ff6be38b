package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/prompt"
)

// decisionFlags choose how a prediction becomes a label: -calibration
// (a file from eval -calibrate: a temperature and a threshold) and
// -threshold, which overrides the file's threshold.
type decisionFlags struct {
	calibration string
	threshold   thresholdFlag
}

// thresholdFlag is -threshold: a probability, and whether it was given.
type thresholdFlag struct {
	value float64
	set   bool
}

// String implements flag.Value.
func (t *thresholdFlag) String() string {
	if t == nil || !t.set {
		return ""
	}
	return strconv.FormatFloat(t.value, 'g', -1, 64)
}

// Set implements flag.Value.
func (t *thresholdFlag) Set(s string) error {
	v, err := parseThreshold(s)
	if err != nil {
		return err
	}
	t.value, t.set = v, true
	return nil
}

// parseThreshold parses a decision threshold, a probability in [0, 1].
func parseThreshold(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
		return 0, fmt.Errorf("threshold %q: want a probability between 0 and 1, e.g. 0.9", s)
	}
	return v, nil
}

// register declares -calibration and -threshold on fs.
func (d *decisionFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.calibration, "calibration", "", "decide with the temperature and threshold in this file (written by eval -calibrate on a validation split)")
	fs.Var(&d.threshold, "threshold", "call "+xray.PositiveClass+" when its probability is at least this (0–1; default: the class with the highest probability, or the -calibration file's threshold)")
}

// resolve reads -calibration and applies -threshold to it; nil when
// neither was given, so that the network's argmax decides.
func (d *decisionFlags) resolve() (*xray.Calibration, error) {
	var c xray.Calibration
	if d.calibration != "" {
		f, err := xray.ReadCalibration(d.calibration)
		if err != nil {
			return nil, err
		}
		c = *f
	}
	if d.threshold.set {
		c.Threshold = d.threshold.value
	}
	if d.calibration == "" && !d.threshold.set {
		return nil, nil
	}
	return &c, c.Validate()
}

// decisionJSON is what a JSON answer says about the decision: the
// threshold that decided ("threshold", absent when argmax decided) and
// the calibration's account ("calibration").
type decisionJSON struct {
	Threshold   *float64         `json:"threshold,omitempty"`
	Calibration *calibrationJSON `json:"calibration,omitempty"`
}

// calibrationJSON is the "calibration" object: the decision and its
// description in the answer's language.
type calibrationJSON struct {
	prompt.Decision
	// Changed is set when the threshold decided another class than the
	// highest probability.
	Changed bool     `json:"changed"`
	Lines   []string `json:"lines"`
}

// newDecisionJSON shapes a result's decision for a JSON answer in lang.
func newDecisionJSON(d *prompt.Decision, lang prompt.Lang) decisionJSON {
	if d == nil {
		return decisionJSON{}
	}
	out := decisionJSON{Calibration: &calibrationJSON{Decision: *d, Changed: d.Changed(), Lines: prompt.DescribeThreshold(d, lang)}}
	if d.Threshold > 0 {
		th := d.Threshold
		out.Threshold = &th
	}
	return out
}

// decisionText is the readable line of text output about the decision,
// "" when argmax decided.
func decisionText(d *prompt.Decision, lang prompt.Lang) string {
	lines := prompt.DescribeThreshold(d, lang)
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}

// decide applies a calibration to a result's prediction (plain or the
// TTA mean) made without the Analyzer's help (classify's fast path); nil
// leaves it alone.
func decide(c *xray.Calibration, classes []string, res *xray.Result) error {
	if c == nil {
		return nil
	}
	decided, d, err := c.Decide(classes, res.Prediction)
	if err != nil {
		return err
	}
	res.Prediction, res.Decision = decided, &d
	return nil
}

// calibrationField applies the form field threshold ("" or absent: the
// server's default) to the server's default calibration; nil when
// neither sets anything.
func (s *server) calibrationField(fields map[string]string) (*xray.Calibration, error) {
	v := fields["threshold"]
	if v == "" {
		return s.cfg.Calibration, nil
	}
	th, err := parseThreshold(v)
	if err != nil {
		return nil, fmt.Errorf("field \"threshold\": %w", err)
	}
	var c xray.Calibration
	if s.cfg.Calibration != nil {
		c = *s.cfg.Calibration
	}
	c.Threshold = th
	return &c, nil
}

// defaultThreshold is the server's default threshold for /api/info, ""
// when argmax decides.
func (s *server) defaultThreshold() string {
	if c := s.cfg.Calibration; c != nil && c.Threshold > 0 {
		return strconv.FormatFloat(c.Threshold, 'g', -1, 64)
	}
	return ""
}
