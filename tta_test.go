package xray

import (
	"context"
	"image"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/preprocess/tta"
	"github.com/xrayllm/xray/prompt"
	"github.com/xrayllm/xray/resnet"
)

// ttaInput is the fixture analyzer and a preprocessed synthetic image.
func ttaInput(t *testing.T) (*Analyzer, *preprocess.Input) {
	t.Helper()
	a, err := Open("resnet/testdata/resnet18_narrow.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	img := image.NewGray(image.Rect(0, 0, 90, 70))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 % 256)
	}
	in, err := preprocess.FromImage(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a, in
}

// TestTTAMeanOfVariants: the identity variant predicts what the plain
// image does, the mean is the average of each variant predicted alone,
// and the spread holds the mean.
func TestTTAMeanOfVariants(t *testing.T) {
	a, in := ttaInput(t)
	ctx := context.Background()
	if n := len(tta.Default()); a.Model().MaxBatch() < n {
		t.Errorf("the default max batch %d is smaller than the %d default variants: they would not run as one batch", a.Model().MaxBatch(), n)
	}
	mean, r, err := a.PredictTTA(ctx, in.Tensor, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := a.Model().PredictTensor(ctx, in.Tensor)
	if err != nil {
		t.Fatal(err)
	}
	id := r.Variants[0]
	if !id.Variant.IsIdentity() || id.Index != plain[0].Index || !nearly(id.Probs, plain[0].Probs, 1e-6) {
		t.Errorf("identity variant %+v, plain prediction %+v", id, plain[0])
	}
	sum := make([]float64, len(r.Classes))
	for _, v := range tta.Default() {
		alone, err := tta.Batch(in.Tensor, 224, []tta.Variant{v}, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.Model().PredictTensor(ctx, alone)
		if err != nil {
			t.Fatal(err)
		}
		for c, q := range p[0].Probs {
			sum[c] += q
			if q < r.Min[c]-1e-6 || q > r.Max[c]+1e-6 {
				t.Errorf("variant %s: class %d probability %v outside the spread [%v, %v]", v.Name, c, q, r.Min[c], r.Max[c])
			}
		}
	}
	total := 0.0
	for c := range sum {
		sum[c] /= float64(len(tta.Default()))
		total += mean.Probs[c]
		if r.Min[c] > r.Mean[c] || r.Mean[c] > r.Max[c] {
			t.Errorf("class %d: min %v, mean %v, max %v", c, r.Min[c], r.Mean[c], r.Max[c])
		}
		if math.Abs(float64(mean.Logits[c])-math.Log(mean.Probs[c])) > 1e-5 {
			t.Errorf("logit %v is not the log of the mean probability %v", mean.Logits[c], mean.Probs[c])
		}
	}
	if !nearly(mean.Probs, sum, 1e-6) || !nearly(r.Mean, sum, 1e-6) {
		t.Errorf("mean %v, the average of the variants alone %v", mean.Probs, sum)
	}
	if math.Abs(total-1) > 1e-9 || mean.Label != r.Label || mean.Label != a.Model().Classes()[mean.Index] {
		t.Errorf("mean prediction %+v (probabilities sum to %v), TTA label %q", mean, total, r.Label)
	}
}

// TestTTARequest: Request.TTA replaces the prediction by the mean, keeps
// the CAM of the plain image, and reaches the report inputs.
func TestTTARequest(t *testing.T) {
	a, in := ttaInput(t)
	ctx := context.Background()
	res, err := a.AnalyzeImage(ctx, in.Original, Request{TTA: true, Report: true, Lang: prompt.English})
	if err != nil {
		t.Fatal(err)
	}
	if res.TTA == nil || !nearly(res.Prediction.Probs, res.TTA.Mean, 0) || res.Timings.TTA <= 0 {
		t.Fatalf("TTA request: prediction %+v, TTA %+v, timings %+v", res.Prediction, res.TTA, res.Timings)
	}
	if res.CAM == nil || res.CAM.Prediction.Index != res.TTA.Variants[0].Index || !nearly(res.CAM.Prediction.Probs, res.TTA.Variants[0].Probs, 1e-5) {
		t.Errorf("the CAM's prediction %+v is not the plain image's %+v", res.CAM.Prediction, res.TTA.Variants[0])
	}
	ri := ReportInputs(a.Model().Classes(), res, prompt.English)
	if ri.TTA == nil || &ri.TTA.Mean[0] == &res.TTA.Mean[0] {
		t.Error("the report inputs lack a copy of the TTA result")
	}
	for _, l := range prompt.DescribeTTA(res.TTA, prompt.English) {
		if !strings.Contains(res.Report.Markdown, l) {
			t.Errorf("the report lacks the TTA line %q", l)
		}
	}
	if plain, _ := a.AnalyzeImage(ctx, in.Original, Request{}); plain.TTA != nil {
		t.Error("a request without TTA has a TTA result")
	}
}

// TestTTADisagreementReachesTheReport: variants the fixture network
// answers differently (exposures far beyond the default's) make the
// caution appear in the report prompt and the offline report.
func TestTTADisagreementReachesTheReport(t *testing.T) {
	a, in := ttaInput(t)
	ctx := context.Background()
	var variants []tta.Variant
	for _, g := range []float64{0.02, 0.1, 0.3, 1, 3, 10, 30} {
		variants = append(variants, tta.Variant{Name: "gain", Gain: g})
	}
	variants = append(variants, tta.Variant{Name: "zoom", Scale: 4}, tta.Variant{Name: "shift", DX: 100})
	p, r, err := a.PredictTTA(ctx, in.Tensor, variants)
	if err != nil {
		t.Fatal(err)
	}
	if r.Agree {
		t.Fatalf("the fixture network answers all extreme variants alike (%+v): the test needs a disagreement", r.Variants)
	}
	res := &Result{Input: in, Prediction: p, TTA: r}
	for _, lang := range prompt.Languages() {
		caution := prompt.TTACaution(r, lang)
		pr, err := prompt.Build(ReportInputs(a.Model().Classes(), res, lang))
		if err != nil {
			t.Fatal(err)
		}
		if caution == "" || !strings.Contains(pr.User, caution) {
			t.Errorf("%s: the prompt lacks the caution %q:\n%s", lang, caution, pr.User)
		}
	}
}

// nearly reports whether a and b have the same length and differ by at
// most tol in every element.
func nearly(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// TestPredictAllTTAMatchesAnalyze: the pipelined TTA gives each input the
// mean AnalyzeImage's TTA request gives it, in order, and a bad file
// fails alone.
func TestPredictAllTTAMatchesAnalyze(t *testing.T) {
	a, _ := ttaInput(t)
	const n, bad = 4, 2
	paths := testPNGs(t, t.TempDir(), n, bad)
	ctx := context.Background()
	seen := 0
	err := a.PredictAllTTA(ctx, n, Files(paths), nil, func(i int, p resnet.Prediction, r *TTAResult, err error) error {
		if i != seen {
			t.Errorf("input %d after %d", i, seen)
		}
		seen++
		if i == bad {
			if err == nil {
				t.Error("the bad file gave no error")
			}
			return nil
		}
		data, rerr := os.ReadFile(paths[i])
		if err != nil || rerr != nil {
			t.Fatal(err, rerr)
		}
		res, aerr := a.AnalyzeBytes(ctx, data, Request{TTA: true})
		if aerr != nil || r == nil || !nearly(p.Probs, res.Prediction.Probs, 1e-9) || !nearly(r.Max, res.TTA.Max, 1e-9) {
			t.Errorf("input %d: %+v, Analyze says %+v (%v)", i, p, res.Prediction, aerr)
		}
		return nil
	})
	if err != nil || seen != n {
		t.Errorf("PredictAllTTA: %v after %d inputs", err, seen)
	}
}

// TestReferenceTTA: on a few reference images, every variant's and the
// mean's probabilities are in [0, 1] and sum to 1, and the identity
// variant gives PyTorch's label.
func TestReferenceTTA(t *testing.T) {
	a, dir := openReference(t)
	exp := reftest.Load(t, dir)
	for _, im := range exp.Images[:min(3, len(exp.Images))] {
		res, err := a.AnalyzeImage(context.Background(), reftest.Resized(t, dir, im.File), Request{TTA: true})
		if err != nil {
			t.Fatalf("%s: %v", im.File, err)
		}
		probs := [][]float64{res.Prediction.Probs, res.TTA.Mean}
		for _, v := range res.TTA.Variants {
			probs = append(probs, v.Probs)
		}
		for _, ps := range probs {
			sum := 0.0
			for _, p := range ps {
				sum += p
				if p < 0 || p > 1 {
					t.Errorf("%s: probability %v", im.File, p)
				}
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Errorf("%s: probabilities %v sum to %v", im.File, ps, sum)
			}
		}
		if res.TTA.Variants[0].Label != im.Pred {
			t.Errorf("%s: identity variant %s, PyTorch %s", im.File, res.TTA.Variants[0].Label, im.Pred)
		}
		t.Logf("%s: plain %s %.4f, TTA %s %.4f [%.4f, %.4f], agree %v", im.File, im.Pred, im.Probs[res.TTA.Variants[0].Index],
			res.TTA.Label, res.TTA.Mean[res.TTA.Index], res.TTA.Min[res.TTA.Index], res.TTA.Max[res.TTA.Index], res.TTA.Agree)
	}
}
