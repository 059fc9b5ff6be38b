package xray

import (
	"context"
	"image"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/resnet"
)

var twoClasses = resnet.DefaultClasses()

// plainPrediction is what resnet.Model.Prediction makes of logits.
func plainPrediction(logits ...float32) resnet.Prediction {
	p := resnet.Prediction{Probs: resnet.Softmax(logits), Logits: logits}
	if logits[1] > logits[0] {
		p.Index = 1
	}
	p.Label = twoClasses[p.Index]
	return p
}

func TestDecideUnsetIsArgmax(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		p := plainPrediction(float32(r.NormFloat64()*3), float32(r.NormFloat64()*3))
		for _, c := range []Calibration{{}, {Temperature: 1}} {
			got, d, err := c.Decide(twoClasses, p)
			if err != nil || !reflect.DeepEqual(got, p) || d.Changed() {
				t.Fatalf("%+v on %+v: %+v, %+v, %v; want the prediction unchanged", c, p, got, d, err)
			}
			for i := range p.Probs { // bit for bit
				if math.Float64bits(got.Probs[i]) != math.Float64bits(p.Probs[i]) {
					t.Fatalf("probability %d changed: %v → %v", i, p.Probs[i], got.Probs[i])
				}
			}
		}
	}
}

func TestDecideTemperatureIsSoftmaxOfScaledLogits(t *testing.T) {
	p := plainPrediction(-1.29, 1.24)
	for _, temp := range []float64{0.5, 1.3, 4} {
		got, d, err := Calibration{Temperature: temp}.Decide(twoClasses, p)
		if err != nil {
			t.Fatal(err)
		}
		want := resnet.Softmax([]float32{float32(-1.29 / temp), float32(1.24 / temp)})
		for i := range want {
			if math.Abs(got.Probs[i]-want[i]) > 1e-6 { // the float32 of the scaled logits
				t.Errorf("T=%v: probs %v, softmax(logits/T) %v", temp, got.Probs, want)
			}
		}
		if got.Index != p.Index || !slices.Equal(got.Logits, p.Logits) || d.Temperature != temp {
			t.Errorf("T=%v: %+v, decision %+v", temp, got, d)
		}
	}
	if p.Probs[1] != plainPrediction(-1.29, 1.24).Probs[1] {
		t.Error("Decide changed its argument's probabilities")
	}
}

func TestDecideThresholdHalfIsArgmax(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		p := plainPrediction(float32(r.NormFloat64()*2), float32(r.NormFloat64()*2))
		if p.Probs[1] == 0.5 {
			continue // the documented tie
		}
		got, err := Calibration{Threshold: 0.5}.Apply(twoClasses, p)
		if err != nil || got.Index != p.Index || got.Label != p.Label {
			t.Fatalf("threshold 0.5 on %v: %+v, %v; argmax says %s", p.Probs, got, err, p.Label)
		}
	}
}

func TestDecideThresholdFlips(t *testing.T) {
	// p(PNEUMONIA) = 0.8: above 0.5 argmax says PNEUMONIA; a threshold of
	// 0.9 is not reached, so NORMAL. p(PNEUMONIA) = 0.3: argmax says
	// NORMAL; 0.2 is reached, so PNEUMONIA. 0.3 at threshold 0.3: reached.
	for _, tt := range []struct {
		pPos, threshold float64
		want            string
		changed         bool
	}{
		{0.8, 0.9, "NORMAL", true}, {0.3, 0.2, "PNEUMONIA", true}, {0.3, 0.3, "PNEUMONIA", true},
		{0.8, 0.7, "PNEUMONIA", false}, {0.3, 0.4, "NORMAL", false},
	} {
		p := resnet.Prediction{Probs: []float64{1 - tt.pPos, tt.pPos}, Logits: []float32{0, 0}}
		if tt.pPos > 0.5 {
			p.Index = 1
		}
		p.Label = twoClasses[p.Index]
		got, d, err := Calibration{Threshold: tt.threshold}.Decide(twoClasses, p)
		if err != nil || got.Label != tt.want || got.Index != slices.Index(twoClasses, tt.want) || d.Changed() != tt.changed ||
			d.Decided != tt.want || d.Argmax != p.Label || d.Probability != tt.pPos || d.Positive != "PNEUMONIA" {
			t.Errorf("p %v, threshold %v: %+v, %+v, %v; want %s", tt.pPos, tt.threshold, got, d, err, tt.want)
		}
	}
}

func TestDecideRefuses(t *testing.T) {
	p := plainPrediction(0, 1)
	for name, c := range map[string]Calibration{"negative T": {Temperature: -1}, "huge T": {Temperature: 1e9}, "NaN threshold": {Threshold: math.NaN()},
		"threshold 2": {Threshold: 2}, "other positive": {Threshold: 0.5, Positive: "NORMAL"}} {
		if _, err := c.Apply(twoClasses, p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := (Calibration{Threshold: 0.5}).Apply([]string{"A", "B", "C"}, p); err == nil {
		t.Error("two probabilities for three classes: no error")
	}
	if i, err := PositiveIndex([]string{"healthy", "sick"}); err != nil || i != 1 {
		t.Errorf("PositiveIndex without PNEUMONIA = %d, %v; want the second class", i, err)
	}
	if i, _ := PositiveIndex([]string{"PNEUMONIA", "NORMAL"}); i != 0 {
		t.Errorf("PositiveIndex finds PNEUMONIA at %d, want 0", i)
	}
}

// TestAnalyzerThresholdExplainsTheDecidedClass: a threshold that flips
// the label makes the CAM explain the decided class (without a target),
// leaves an explicit target alone, and reaches the report inputs.
func TestAnalyzerThresholdExplainsTheDecidedClass(t *testing.T) {
	a, img := narrowAnalyzer(t)
	ctx := context.Background()
	plain, err := a.AnalyzeImage(ctx, img, Request{CAM: &gradcam.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	pos := plain.Prediction.Probs[1]
	// A threshold just above p(PNEUMONIA) decides NORMAL; just below, PNEUMONIA:
	// one of the two differs from argmax.
	th := pos + (1-pos)/2
	if plain.Prediction.Index == 0 {
		th = pos / 2
	}
	res, err := a.AnalyzeImage(ctx, img, Request{CAM: &gradcam.Options{}, Calibration: &Calibration{Threshold: th}, Report: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Prediction.Index == plain.Prediction.Index || res.Decision == nil || !res.Decision.Changed() {
		t.Fatalf("threshold %v on p(PNEUMONIA) %v: %+v, decision %+v", th, pos, res.Prediction, res.Decision)
	}
	if res.CAM.Target != res.Prediction.Label || plain.CAM.Target != plain.Prediction.Label {
		t.Errorf("CAM explains %s, the decided class is %s", res.CAM.Target, res.Prediction.Label)
	}
	if in := ReportInputs(a.Model().Classes(), res, "en"); in.Decision == nil || in.Pred != res.Prediction.Index {
		t.Errorf("report inputs: %+v", in)
	}
	// An explicit target stays.
	res, err = a.AnalyzeImage(ctx, img, Request{CAM: &gradcam.Options{Target: plain.Prediction.Label}, Calibration: &Calibration{Threshold: th}})
	if err != nil || res.CAM.Target != plain.Prediction.Label {
		t.Errorf("explicit target: %v, %v", res.CAM.Target, err)
	}
	// Options.Calibration applies when the request has none.
	b := New(a.Model(), &Options{Calibration: &Calibration{Threshold: th}})
	if res, err := b.AnalyzeImage(ctx, img, Request{}); err != nil || res.Prediction.Index == plain.Prediction.Index || res.CAM != nil {
		t.Errorf("Options.Calibration: %+v, %v", res, err)
	}
}

// narrowAnalyzer opens the narrow fixture model, closed when the test
// ends, and draws a 64x80 grey test image.
func narrowAnalyzer(t *testing.T) (*Analyzer, *image.Gray) {
	t.Helper()
	a, err := Open("resnet/testdata/resnet18_narrow.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	img := image.NewGray(image.Rect(0, 0, 64, 80))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13 % 256)
	}
	return a, img
}
