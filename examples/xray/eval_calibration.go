package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/internal/metrics"
	"github.com/xrayllm/xray/internal/plots"
	"github.com/xrayllm/xray/resnet"
)

// calibrationFlags are eval's flags about the operating point and
// calibration.
type calibrationFlags struct {
	targetSensitivity float64
	calibrate         string
	calibration       string
}

// register declares -target-sensitivity and -calibrate on fs.
func (c *calibrationFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&c.targetSensitivity, "target-sensitivity", 0.95, "also report the highest threshold that finds at least this share of the positive class")
	fs.StringVar(&c.calibrate, "calibrate", "", "fit a temperature on this folder and write it, with the Youden threshold, to this JSON file for -calibration (use a validation split, not the test split you report on)")
	fs.StringVar(&c.calibration, "calibration", "", "decide each image with the temperature and threshold in this file (from eval -calibrate on a validation split): the metrics at that operating point")
}

// check refuses a target sensitivity that is not a share and reads
// -calibration (nil without it).
func (c *calibrationFlags) check() (*xray.Calibration, error) {
	if !(c.targetSensitivity >= 0 && c.targetSensitivity <= 1) {
		return nil, fmt.Errorf("-target-sensitivity %v: want a share between 0 and 1", c.targetSensitivity)
	}
	if c.calibration == "" {
		return nil, nil
	}
	if c.calibrate != "" {
		return nil, errors.New("-calibrate fits on the network's own probabilities: leave out -calibration")
	}
	return xray.ReadCalibration(c.calibration)
}

// operatingJSON is the "operating_points" object of eval's report: two
// thresholds on the positive class's probability other than argmax.
type operatingJSON struct {
	Youden metrics.OperatingPoint `json:"youden"`
	// TargetSensitivity is the highest threshold with a sensitivity of at
	// least Target.
	TargetSensitivity struct {
		Target float64 `json:"target"`
		metrics.OperatingPoint
	} `json:"target_sensitivity"`
}

// calibrationReport is the "calibration" object of eval's report: the
// expected calibration error and its bins, and with -calibrate the
// fitted temperature and what it changed.
type calibrationReport struct {
	metrics.Reliability
	// Fitted is set by -calibrate: the file written and its content.
	Fitted *fittedJSON `json:"fitted,omitempty"`
}

// fittedJSON is what -calibrate fitted and where it wrote it.
type fittedJSON struct {
	File string `json:"file"`
	xray.Calibration
	// After is the calibration after temperature scaling.
	After metrics.Reliability `json:"after"`
}

// evalSummary is eval's report: the metrics at argmax, the operating
// points and the calibration.
type evalSummary struct {
	metrics.Report
	// OperatingPoints is nil when the folder holds one class only: then
	// there is no ROC curve to choose a point on.
	OperatingPoints *operatingJSON    `json:"operating_points,omitempty"`
	Calibration     calibrationReport `json:"calibration"`
	// Applied is the -calibration every image was decided with: the
	// metrics, points and ECE above are those of its probabilities and
	// threshold. Nil: the network's own, at argmax.
	Applied *xray.Calibration `json:"applied_calibration,omitempty"`
}

// operatingAndCalibration computes the operating points (nil for a
// folder of one class) and the calibration of an evaluation, and with
// -calibrate fits the temperature and writes the calibration file.
func (c *calibrationFlags) operatingAndCalibration(ev *evaluation, root string) (*operatingJSON, calibrationReport, error) {
	scores, _, positive := ev.outcomes()
	var op *operatingJSON
	if n := ev.report.Confusion.TP + ev.report.Confusion.FN; n > 0 && n < len(positive) {
		op = &operatingJSON{}
		var err error
		if op.Youden, err = metrics.Youden(scores, positive); err != nil {
			return nil, calibrationReport{}, err
		}
		op.TargetSensitivity.Target = c.targetSensitivity
		if op.TargetSensitivity.OperatingPoint, err = metrics.AtSensitivity(scores, positive, c.targetSensitivity); err != nil {
			return nil, calibrationReport{}, err
		}
	}
	rel, err := reliability(ev.preds, ev.labels())
	if err != nil {
		return nil, calibrationReport{}, err
	}
	cal := calibrationReport{Reliability: rel}
	if c.calibrate != "" {
		if cal.Fitted, err = ev.fitCalibration(root, rel, c.calibrate); err != nil {
			return nil, cal, err
		}
	}
	return op, cal, nil
}

// reliability is the calibration of predictions in metrics.ECEBins bins.
func reliability(preds []resnet.Prediction, labels []int) (metrics.Reliability, error) {
	probs := make([][]float64, len(preds))
	for i, p := range preds {
		probs[i] = p.Probs
	}
	return metrics.Calibrate(probs, labels, metrics.ECEBins)
}

// labels are the cases' true classes.
func (ev *evaluation) labels() []int {
	out := make([]int, len(ev.cases))
	for i, c := range ev.cases {
		out[i] = c.label
	}
	return out
}

// fitCalibration fits the temperature on the evaluation, chooses the
// Youden threshold on the calibrated probabilities and writes both to
// path.
func (ev *evaluation) fitCalibration(root string, before metrics.Reliability, path string) (*fittedJSON, error) {
	labels := ev.labels()
	temp, err := xray.FitTemperature(ev.preds, labels)
	if err != nil {
		return nil, err
	}
	c := xray.Calibration{Temperature: temp, Positive: ev.classes[ev.pos]}
	scaled := make([]resnet.Prediction, len(ev.preds))
	scores, positive := make([]float64, len(ev.preds)), make([]bool, len(ev.preds))
	for i, p := range ev.preds {
		if scaled[i], err = c.Apply(ev.classes, p); err != nil {
			return nil, err
		}
		scores[i], positive[i] = scaled[i].Probs[ev.pos], labels[i] == ev.pos
	}
	youden, err := metrics.Youden(scores, positive)
	if err != nil {
		return nil, fmt.Errorf("-calibrate: choosing the threshold: %w", err)
	}
	after, err := reliability(scaled, labels)
	if err != nil {
		return nil, err
	}
	logp := xray.LogProbs(ev.preds)
	nllBefore, _ := metrics.NLL(logp, labels, 1)
	nllAfter, _ := metrics.NLL(logp, labels, temp)
	abs, _ := filepath.Abs(root)
	c.Threshold = youden.Threshold
	c.Fit = &xray.CalibrationFit{Folder: abs, N: len(ev.preds), NLLBefore: nllBefore, NLLAfter: nllAfter,
		ECEBefore: before.ECE, ECEAfter: after.ECE, Sensitivity: youden.Sensitivity, Specificity: youden.Specificity}
	if err := c.WriteFile(path); err != nil {
		return nil, err
	}
	return &fittedJSON{File: path, Calibration: c, After: after}, nil
}

// writeOperatingTable prints the operating points and the calibration
// under eval's table.
func (r *evalSummary) writeOperatingTable(w io.Writer, pos string) error {
	if op := r.OperatingPoints; op != nil {
		y, s := op.Youden, op.TargetSensitivity
		fmt.Fprintf(w, "\noperating points (%s when its probability is at least the threshold):\n", pos)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		decided := "  argmax\t"
		if c := r.Applied; c != nil {
			decided = fmt.Sprintf("  -calibration\tT %.4f, threshold %.6f", c.Temperature, c.Threshold)
		}
		fmt.Fprintf(tw, "%s\tsensitivity %.4f\tspecificity %.4f\n", decided, r.Sensitivity, r.Specificity)
		fmt.Fprintf(tw, "  Youden's J %.4f\tthreshold %.6f\tsensitivity %.4f\tspecificity %.4f\n", y.J, y.Threshold, y.Sensitivity, y.Specificity)
		fmt.Fprintf(tw, "  sensitivity ≥ %.2f\tthreshold %.6f\tsensitivity %.4f\tspecificity %.4f\n", s.Target, s.Threshold, s.Sensitivity, s.Specificity)
		if err := tw.Flush(); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "\nno operating points: the folder holds one class only\n")
	}
	_, err := fmt.Fprintf(w, "expected calibration error (%d bins): %.4f\n", len(r.Calibration.Bins), r.Calibration.ECE)
	if f := r.Calibration.Fitted; f != nil && err == nil {
		_, err = fmt.Fprintf(w, "temperature fitted on these %d images: T = %.4f, NLL %.4f → %.4f, ECE %.4f → %.4f; Youden threshold after scaling %.6f\n"+
			"  written to %s (fit on a validation split, not on the test split you report)\n",
			f.Fit.N, f.Temperature, f.Fit.NLLBefore, f.Fit.NLLAfter, f.Fit.ECEBefore, f.Fit.ECEAfter, f.Threshold, f.File)
	}
	return err
}

// writeReliability draws reliability.png into dir: the model's bins, and
// after temperature scaling when -calibrate fitted one.
func (r *evalSummary) writeReliability(dir string) error {
	series := []plots.ReliabilitySeries{{Name: "model", Reliability: r.Calibration.Reliability}}
	if f := r.Calibration.Fitted; f != nil {
		series = append(series, plots.ReliabilitySeries{Name: fmt.Sprintf("after temperature T = %.2f", f.Temperature), Reliability: f.After})
	}
	return plots.Reliability(filepath.Join(dir, "reliability.png"), series...)
}
