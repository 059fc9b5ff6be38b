package xray

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xrayllm/xray/internal/metrics"
	"github.com/xrayllm/xray/resnet"
)

func TestFitTemperatureLowersNLL(t *testing.T) {
	// An overconfident model: each case's true log-odds s of PNEUMONIA,
	// its label drawn with probability sigmoid(s), and the model's logits
	// (0, 3s), three times too sure: the best temperature is near 3.
	r := rand.New(rand.NewPCG(5, 6))
	var preds []resnet.Prediction
	var labels []int
	for range 2000 {
		s := 2 * r.NormFloat64()
		label := 0
		if r.Float64() < 1/(1+math.Exp(-s)) {
			label = 1
		}
		preds, labels = append(preds, plainPrediction(0, float32(3*s))), append(labels, label)
	}
	temp, err := FitTemperature(preds, labels)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := metrics.NLL(LogProbs(preds), labels, 1)
	after, _ := metrics.NLL(LogProbs(preds), labels, temp)
	if !(after < before) || temp < 2.5 || temp > 3.5 {
		t.Errorf("T = %v: NLL %v → %v; want a lower NLL and T near 3", temp, before, after)
	}
	// The NLL of the calibrated predictions, computed from Decide's
	// probabilities, is the one minimised.
	var direct float64
	for i, p := range preds {
		q, err := Calibration{Temperature: temp}.Apply(twoClasses, p)
		if err != nil {
			t.Fatal(err)
		}
		direct -= math.Log(q.Probs[labels[i]]) / float64(len(preds))
	}
	if math.Abs(direct-after) > 1e-9 {
		t.Errorf("NLL of Decide's probabilities %v, metrics.NLL %v", direct, after)
	}
	if _, err := FitTemperature(preds, labels[:3]); err == nil {
		t.Error("labels of another length: no error")
	}
}

func TestCalibrationFileRoundTrip(t *testing.T) {
	c := Calibration{Temperature: 1.29, Threshold: 0.92, Positive: "PNEUMONIA",
		Fit: &CalibrationFit{Folder: "val", N: 100, NLLBefore: 0.38, NLLAfter: 0.37, ECEBefore: 0.05, ECEAfter: 0.03, Sensitivity: 0.95, Specificity: 0.84}}
	path := filepath.Join(t.TempDir(), "calibration.json")
	if err := c.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCalibration(path)
	if err != nil || got.Temperature != c.Temperature || got.Threshold != c.Threshold || *got.Fit != *c.Fit {
		t.Errorf("read back %+v, %v", got, err)
	}
}

func TestParseCalibrationRefusesBadFiles(t *testing.T) {
	for _, tt := range []struct{ name, data, want string }{
		{"empty", "", "not a calibration file"},
		{"not JSON", "temperature=2", "not a calibration file"},
		{"array", "[1, 2]", "not a calibration file"},
		{"null", "null", "neither a temperature nor a threshold"},
		{"empty object", "{}", "neither a temperature nor a threshold"},
		{"string temperature", `{"temperature": "2"}`, "not a calibration file"},
		{"unknown field", `{"temperature": 2, "command": "rm -rf /"}`, "unknown field"},
		{"two objects", `{"temperature": 2} {"temperature": 3}`, "data after"},
		{"negative temperature", `{"temperature": -2}`, "temperature -2 is not in"},
		{"tiny temperature", `{"temperature": 1e-300}`, "is not in"},
		{"threshold above 1", `{"threshold": 1.5}`, "threshold 1.5 is not a probability"},
		{"huge number", `{"temperature": 1e999}`, "not a calibration file"},
		{"negative count", `{"threshold": 0.5, "fit": {"n": -1}}`, "fitted on -1 images"},
		{"too large", `{"threshold": 0.5, "fit": {"folder": "` + strings.Repeat("a", 70<<10) + `"}}`, "larger than"},
	} {
		_, err := ParseCalibration([]byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.want)
		}
	}
	if _, err := ReadCalibration(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "calibration file") {
		t.Errorf("missing file: %v", err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"threshold": 7}`), 0o644)
	if _, err := ReadCalibration(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad file: %v; want its path named", err)
	}
}

func FuzzParseCalibration(f *testing.F) {
	for _, s := range []string{`{"temperature": 1.3, "threshold": 0.9}`, `{"threshold": 0.5, "fit": {"folder": "val", "n": 3}}`, `null`, `{"temperature": -1}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCalibration(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted %q, which does not validate: %v", data, err)
		}
		p := plainPrediction(0.3, -0.2)
		if _, err := c.Apply(twoClasses, p); err != nil && c.Positive == "" {
			t.Fatalf("accepted %q, which cannot be applied: %v", data, err)
		}
	})
}
