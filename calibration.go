package xray

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/xrayllm/xray/internal/metrics"
	"github.com/xrayllm/xray/resnet"
)

// Calibration sets the model's operating point: how its probabilities
// become a decision. The network's own answer is the class with the
// highest probability (argmax); a Calibration can first rescale the
// probabilities with a temperature, so that a confidence of 80% is right
// about 80% of the time (temperature scaling, Guo et al. 2017), and then
// call the positive class (PositiveClass, PNEUMONIA) whenever its
// probability reaches a threshold. A lower threshold misses fewer cases of
// pneumonia (higher sensitivity) and raises more false alarms (lower
// specificity); a higher one the opposite. See Decide.
//
// Fit the temperature and choose the threshold on a validation split
// (`xray eval -calibrate FILE folder`), never on the test split whose
// results you report: a threshold chosen on the test images makes the
// test results look better than they are.
type Calibration struct {
	// Temperature divides the logits; 0 or 1 leaves the probabilities as
	// they are. Above 1 softens them, below 1 sharpens them.
	Temperature float64 `json:"temperature"`
	// Threshold is the positive class's probability (after the
	// temperature) from which it is called; 0 means argmax.
	Threshold float64 `json:"threshold"`
	// Positive names the positive class the threshold was chosen for;
	// when set, Decide refuses a model whose positive class differs.
	Positive string `json:"positive,omitempty"`
	// Fit records where the temperature and threshold were fitted.
	Fit *CalibrationFit `json:"fit,omitempty"`
}

// CalibrationFit records how a Calibration was fitted: on which labelled
// folder, how many images, and what the fit changed.
type CalibrationFit struct {
	// Folder is the labelled folder the calibration was fitted on; N the
	// number of images in it.
	Folder string `json:"folder"`
	N      int    `json:"n"`
	// NLLBefore and NLLAfter are the mean negative log-likelihood of the
	// true classes at temperature 1 and at the fitted temperature.
	NLLBefore float64 `json:"nll_before"`
	NLLAfter  float64 `json:"nll_after"`
	// ECEBefore and ECEAfter are the expected calibration errors (10
	// bins) before and after.
	ECEBefore float64 `json:"ece_before"`
	ECEAfter  float64 `json:"ece_after"`
	// Sensitivity and Specificity are those of Threshold on the folder,
	// the Youden's J point of its ROC curve.
	Sensitivity float64 `json:"sensitivity"`
	Specificity float64 `json:"specificity"`
}

// The temperatures a Calibration accepts, the range FitTemperature
// searches (see metrics.FitTemperature); maxCalibrationFile bounds the
// size of a calibration file.
const (
	MinTemperature     = 0.01
	MaxTemperature     = 100
	maxCalibrationFile = 64 << 10
)

// Validate reports whether the calibration can be applied: a temperature
// of 0 (none) or in [MinTemperature, MaxTemperature], a threshold in
// [0, 1], and finite figures in Fit.
func (c Calibration) Validate() error {
	if t := c.Temperature; t != 0 && !(t >= MinTemperature && t <= MaxTemperature) {
		return fmt.Errorf("xray: calibration: temperature %v is not in [%v, %v] (0 for none)", t, MinTemperature, MaxTemperature)
	}
	if th := c.Threshold; !(th >= 0 && th <= 1) {
		return fmt.Errorf("xray: calibration: threshold %v is not a probability in [0, 1] (0 for argmax)", th)
	}
	if f := c.Fit; f != nil {
		for _, v := range []float64{f.NLLBefore, f.NLLAfter, f.ECEBefore, f.ECEAfter, f.Sensitivity, f.Specificity} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Errorf("xray: calibration: fit figure %v is not a finite non-negative number", v)
			}
		}
		if f.N < 0 {
			return fmt.Errorf("xray: calibration: fitted on %d images", f.N)
		}
	}
	return nil
}

// ReadCalibration reads a calibration file, the JSON object that
// `xray eval -calibrate` writes (a Calibration), and checks it.
func ReadCalibration(path string) (*Calibration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("xray: calibration file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCalibrationFile+1))
	if err != nil {
		return nil, fmt.Errorf("xray: calibration file %s: %w", path, err)
	}
	c, err := ParseCalibration(data)
	if err != nil {
		return nil, fmt.Errorf("xray: calibration file %s: %w", path, err)
	}
	return c, nil
}

// ParseCalibration decodes and checks a calibration file's content: one
// JSON object with no unknown fields, setting a temperature or a
// threshold, at most 64 KiB.
func ParseCalibration(data []byte) (*Calibration, error) {
	if len(data) > maxCalibrationFile {
		return nil, fmt.Errorf("larger than %d bytes: not a calibration file", maxCalibrationFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c *Calibration
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("not a calibration file (want a JSON object with \"temperature\" and \"threshold\"): %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not a calibration file: data after the JSON object")
	}
	if c == nil || (c.Temperature == 0 && c.Threshold == 0) {
		return nil, errors.New("the calibration sets neither a temperature nor a threshold")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// WriteFile writes the calibration to path as indented JSON, the file
// ReadCalibration reads.
func (c Calibration) WriteFile(path string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return fmt.Errorf("xray: calibration: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("xray: calibration: %w", err)
	}
	return nil
}

// FitTemperature fits the temperature that minimises the negative
// log-likelihood of the true classes labels (indices into the classes)
// of predictions: the temperature of temperature scaling, found by a
// golden-section search on log T (metrics.FitTemperature explains why
// that finds the minimum). It works on the predictions' probabilities, as
// Decide applies the temperature.
func FitTemperature(preds []resnet.Prediction, labels []int) (float64, error) {
	t, err := metrics.FitTemperature(LogProbs(preds), labels)
	if err != nil {
		return 0, fmt.Errorf("xray: fitting a temperature: %w", err)
	}
	return min(max(t, MinTemperature), MaxTemperature), nil
}

// LogProbs returns the log-probabilities of the predictions, the scores
// temperature scaling divides by T.
func LogProbs(preds []resnet.Prediction) [][]float64 {
	out := make([][]float64, len(preds))
	for i, p := range preds {
		out[i] = make([]float64, len(p.Probs))
		for k, v := range p.Probs {
			out[i][k] = math.Log(v)
		}
	}
	return out
}
