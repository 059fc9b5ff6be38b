package xray

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"time"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
	"github.com/xrayllm/xray/resnet"
)

// Options configure an Analyzer. The zero value works: the original app's
// preprocessing, the offline report writer, GOMAXPROCS concurrent runs.
type Options struct {
	// Preprocess sets decoding limits and normalisation.
	Preprocess preprocess.Options
	// LLM writes reports; nil means llm.Offline.
	LLM llm.Client
	// Concurrency bounds the gradient graphs running at once; 0 means
	// GOMAXPROCS. The model's own bound is set with resnet.WithConcurrency.
	Concurrency int
	// Calibration, when not nil, decides every analysis's label (a
	// temperature, a threshold; see Calibration.Decide) unless the
	// request brings its own. Predict, PredictBatch and PredictAll return
	// the network's own answer.
	Calibration *Calibration
}

// Analyzer runs the whole pipeline on chest X-rays: preprocessing,
// classification, Grad-CAM and the educational report. It holds one loaded
// model and is safe for concurrent use, e.g. by an HTTP server.
type Analyzer struct {
	model     *resnet.Model
	explainer *gradcam.Explainer
	llm       llm.Client
	pre       preprocess.Options
	cal       *Calibration
}

// Open loads the checkpoint at path and returns an Analyzer for it.
func Open(path string, opts *Options, modelOpts ...resnet.Option) (*Analyzer, error) {
	m, err := resnet.Load(path, modelOpts...)
	if err != nil {
		return nil, fmt.Errorf("xray: %w", err)
	}
	return New(m, opts), nil
}

// New returns an Analyzer for a loaded model. The Analyzer's Close closes
// the model too.
func New(m *resnet.Model, opts *Options) *Analyzer {
	var o Options
	if opts != nil {
		o = *opts
	}
	client := o.LLM
	if client == nil {
		client = llm.Offline{}
	}
	return &Analyzer{model: m, explainer: gradcam.NewExplainer(m, o.Concurrency), llm: client, pre: o.Preprocess, cal: o.Calibration}
}

// Model returns the classifier.
func (a *Analyzer) Model() *resnet.Model { return a.model }

// Explainer returns the CAM explainer.
func (a *Analyzer) Explainer() *gradcam.Explainer { return a.explainer }

// LLM returns the report writer.
func (a *Analyzer) LLM() llm.Client { return a.llm }

// Close releases the graphs of the explainer and the model.
func (a *Analyzer) Close() {
	a.explainer.Close()
	a.model.Close()
}

// Request says what to compute for one image. The zero value classifies
// only.
type Request struct {
	// CAM, when not nil, computes a class activation map.
	CAM *gradcam.Options
	// Report writes the educational report; it uses the CAM notes and
	// computes a default Grad-CAM when CAM is nil.
	Report bool
	// Occlusion re-runs the network with parts of the input hidden (the
	// border band, the map's top 20%, everything outside the central lung
	// box) and reports the explained class's probability before and after
	// in CAM.Occlusion and the report; it computes a default Grad-CAM when
	// CAM is nil. Setting CAM.Occlusion does the same.
	Occlusion bool
	// TTA averages the prediction over the small changes of the input in
	// tta.Default (PredictTTA): Result.Prediction becomes the mean and
	// Result.TTA holds the spread. A CAM stays that of the plain image,
	// explaining the plain prediction's class unless CAM.Target names one.
	TTA bool
	// Calibration, when not nil, decides the label instead of
	// Options.Calibration (see Calibration.Decide); when it decides a
	// class other than the network's and CAM.Target is empty, the CAM
	// explains the decided class.
	Calibration *Calibration
	// Lang is the report's language; "" means prompt.DefaultLang.
	Lang prompt.Lang
	// ReportOptions are passed to llm.WriteReport (streaming, templates).
	ReportOptions []llm.ReportOption
	// Progress, when not nil, is called with the partial result as each
	// stage finishes, before the report is written (see Stage).
	Progress func(Stage, *Result)
}

// Result is what Analyze computed for one image.
type Result struct {
	// Input is the decoded image and the network input made from it.
	Input *preprocess.Input
	// Prediction is the classifier's answer: with Request.TTA, the mean
	// over the variants (see PredictTTA); with a calibration, as it
	// decided (the temperature and threshold act on the TTA mean).
	Prediction resnet.Prediction
	// TTA is set when Request.TTA was: the spread across the variants.
	TTA *TTAResult
	// Decision says how a calibration decided the label; nil without one.
	Decision *prompt.Decision
	// CAM is set when a CAM was asked for, or needed for the report.
	CAM *gradcam.Result
	// Report is set when Request.Report was.
	Report *llm.Report
	// Timings say how long each stage took.
	Timings Timings
}

// Analyze decodes an image (JPEG, PNG, GIF, BMP, TIFF, WebP) and runs the
// request on it.
func (a *Analyzer) Analyze(ctx context.Context, r io.Reader, req Request) (*Result, error) {
	start := time.Now()
	in, err := preprocess.Load(r, &a.pre)
	if err != nil {
		return nil, fmt.Errorf("xray: %w", err)
	}
	return a.run(ctx, in, req, time.Since(start))
}

// AnalyzeBytes is Analyze on an image held in memory.
func (a *Analyzer) AnalyzeBytes(ctx context.Context, data []byte, req Request) (*Result, error) {
	return a.Analyze(ctx, bytes.NewReader(data), req)
}

// AnalyzeImage runs the request on a decoded image.
func (a *Analyzer) AnalyzeImage(ctx context.Context, img image.Image, req Request) (*Result, error) {
	start := time.Now()
	in, err := preprocess.FromImage(img, &a.pre)
	if err != nil {
		return nil, fmt.Errorf("xray: %w", err)
	}
	return a.run(ctx, in, req, time.Since(start))
}

// Predict classifies a decoded image: the one preprocessing path
// (Options.Preprocess, as Analyze uses it), then the model.
func (a *Analyzer) Predict(ctx context.Context, img image.Image) (resnet.Prediction, error) {
	ps, err := a.PredictBatch(ctx, []image.Image{img})
	if err != nil {
		return resnet.Prediction{}, err
	}
	return ps[0], nil
}

// PredictBatch classifies several decoded images, preprocessed like
// Predict and batched into the model's graph runs.
func (a *Analyzer) PredictBatch(ctx context.Context, imgs []image.Image) ([]resnet.Prediction, error) {
	x := make([]float32, 0, len(imgs)*3*resnet.InputSize*resnet.InputSize)
	for i, img := range imgs {
		in, err := preprocess.FromImage(img, &a.pre)
		if err != nil {
			return nil, fmt.Errorf("xray: image %d: %w", i, err)
		}
		x = append(x, in.Tensor...)
	}
	ps, err := a.model.PredictTensor(ctx, x)
	if err != nil {
		return nil, fmt.Errorf("xray: %w", err)
	}
	return ps, nil
}

// run classifies, explains and reports on preprocessed input; decode is
// how long making the input took.
func (a *Analyzer) run(ctx context.Context, in *preprocess.Input, req Request, decode time.Duration) (*Result, error) {
	res := &Result{Input: in, Timings: Timings{Decode: decode}}
	start := time.Now()
	if camOpts := req.camOptions(); camOpts != nil {
		cam, err := a.explainer.Explain(ctx, in.Tensor, camOpts)
		if err != nil {
			return nil, fmt.Errorf("xray: %w", err)
		}
		res.CAM, res.Prediction = cam, cam.Prediction
		res.Timings.CAM = time.Since(start)
	} else if !req.TTA { // the TTA batch holds the plain image
		ps, err := a.model.PredictTensor(ctx, in.Tensor)
		if err != nil {
			return nil, fmt.Errorf("xray: %w", err)
		}
		res.Prediction = ps[0]
		res.Timings.Network = time.Since(start)
	}
	if req.TTA {
		if err := a.addTTA(ctx, res); err != nil {
			return nil, err
		}
	}
	if err := a.decide(ctx, in, req, res); err != nil {
		return nil, err
	}
	req.progress(StagePredicted, res)
	if res.CAM != nil {
		req.progress(StageExplained, res)
	}
	if req.Report {
		start = time.Now()
		rep, err := llm.WriteReport(ctx, a.llm, ReportInputs(a.model.Classes(), res, req.Lang), req.ReportOptions...)
		if err != nil {
			return nil, fmt.Errorf("xray: report: %w", err)
		}
		res.Report, res.Timings.Report = rep, time.Since(start)
	}
	return res, nil
}

// ReportInputs gathers what the report prompt needs from a result.
func ReportInputs(classes []string, r *Result, lang prompt.Lang) prompt.ReportInputs {
	in := prompt.ReportInputs{Classes: classes, Probs: r.Prediction.Probs, Pred: r.Prediction.Index, Lang: lang, TTA: r.TTA.Clone()}
	if r.Decision != nil {
		d := *r.Decision
		in.Decision = &d
	}
	if r.Input != nil {
		in.Image = ImageFacts(r.Input.DICOM)
	}
	if r.CAM != nil {
		notes := r.CAM.Notes
		in.Notes, in.CAMMethod, in.CAMLayer = &notes, r.CAM.Method, r.CAM.Layer
		addExplainFacts(&in, r.CAM)
		if f := r.CAM.Faithfulness; f != nil {
			drop := f.Drop
			in.Faithfulness = &drop
		}
	}
	return in
}
