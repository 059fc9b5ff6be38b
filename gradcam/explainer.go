package gradcam

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/gradcam/occlusion"
	"github.com/xrayllm/xray/internal/pool"
	"github.com/xrayllm/xray/resnet"
)

// DefaultLayer is the layer CAMs look at unless told otherwise:
// torchvision's layer4[-1] output, as in pytorch-grad-cam's examples.
const DefaultLayer = "layer4"

// Options choose what Explain computes. The zero value is Grad-CAM at
// layer4 for the predicted class's logit, mapped to 224x224.
type Options struct {
	// Method is the CAM method; nil means GradCAM().
	Method Method
	// Layer is the target layer (see resnet.Arch.SpatialLayerNames: "layer4",
	// "layer3", "layer4.1", "layer2.3.conv2", ...); "" means DefaultLayer.
	Layer string
	// Target is the class to explain by name; "" means the predicted one.
	Target string
	// Probability differentiates the softmax probability of the target
	// instead of its logit (pytorch-grad-cam's default is the logit).
	Probability bool
	// Notes sets how the notes are computed; nil means the defaults.
	Notes *notes.Options
	// Faithfulness also measures the confidence drop when only the top 20%
	// of the map is kept (one extra forward pass).
	Faithfulness bool
	// Layers, when not empty, are the target layers instead of Layer:
	// one map per layer, each post-processed to 224×224 (ReLU, min-max
	// scaling, resizing), then fused as pytorch-grad-cam does for a list
	// of target layers (ReLU, mean over the layers, min-max scaling), all
	// from one backward pass. Early layers see fine detail, late ones
	// whole structures; the fused map keeps both (the hypercolumn idea).
	Layers []string
	// AugSmooth is pytorch-grad-cam's aug_smooth: the CAM is computed on
	// six copies of the input, {as is, mirrored} × {×0.9, ×1, ×1.1}, each
	// for its own predicted class (or Target), mirrored back and averaged.
	// What survives the averaging does not hinge on one exact view of
	// the image. The six copies run as one batch.
	AugSmooth bool
	// EigenSmooth is pytorch-grad-cam's eigen_smooth: the map is the first
	// principal component of the weighted activations instead of their
	// sum, which keeps the dominant pattern and drops noise. It changes
	// every method except EigenCAM, which already is that projection.
	EigenSmooth bool
	// Occlusion also re-runs the network with parts of the input hidden
	// (package occlusion): the border band, the map's top 20%, and
	// everything outside the central lung box, batched with the plain
	// input.
	Occlusion bool
	// Steps also returns the intermediate quantities of the explanation
	// (Result.Steps), for teaching. It needs a single layer and no
	// AugSmooth.
	Steps bool
}

// Result is one image's explanation.
type Result struct {
	// Method and Layer say what was computed; for fused layers Layer
	// joins their names with "+" ("layer2+layer3+layer4").
	Method string `json:"method"`
	Layer  string `json:"layer"`
	// Layers lists the fused layers when there are several.
	Layers []string `json:"layers,omitempty"`
	// AugSmooth and EigenSmooth copy the options that made the map.
	AugSmooth   bool `json:"aug_smooth,omitempty"`
	EigenSmooth bool `json:"eigen_smooth,omitempty"`
	// Variants are the six augmented copies when AugSmooth was set.
	Variants []Variant `json:"variants,omitempty"`
	// Target is the explained class; TargetIndex its position.
	Target      string `json:"target"`
	TargetIndex int    `json:"target_index"`
	// Prediction is the model's answer for the image.
	Prediction resnet.Prediction `json:"-"`
	// Raw is the low-resolution map after ReLU, before scaling (7x7 at
	// layer4, 14x14 at layer3), row by row; with several layers or
	// AugSmooth, that of the last layer on the unaltered input.
	Raw [][]float32 `json:"raw"`
	// Weights are the channel weights for methods that have them
	// (GradCAM, GradCAM++, XGradCAM, ScoreCAM), of the layer and input Raw
	// is of; nil otherwise.
	Weights []float32 `json:"-"`
	// Map is the final map, Width×Height values in [0, 1], row-major.
	Map           []float32 `json:"-"`
	Width, Height int       `json:"-"`
	// Empty is set when the map was all zero after ReLU.
	Empty bool `json:"empty"`
	// Notes describe where the map puts its mass (package notes).
	Notes notes.Notes `json:"notes"`
	// Faithfulness is set when Options.Faithfulness was.
	Faithfulness *Faithfulness `json:"faithfulness,omitempty"`
	// Occlusion is set when Options.Occlusion was.
	Occlusion *occlusion.Result `json:"occlusion,omitempty"`
	// Steps is set when Options.Steps was: the quantities that made Map.
	Steps *Steps `json:"-"`
}

// Faithfulness measures how much of the model's confidence the top of the
// map explains, in the spirit of pytorch-grad-cam's
// CamMultImageConfidenceChange.
type Faithfulness struct {
	// KeptFraction is the share of pixels kept (the top 20% of the map).
	KeptFraction float64 `json:"kept_fraction"`
	// Original and Masked are the target's probabilities on the image and
	// on the image with everything but the kept pixels set to zero.
	Original float64 `json:"original"`
	Masked   float64 `json:"masked"`
	// Drop is Original - Masked: small when the kept region carries the
	// decision.
	Drop float64 `json:"drop"`
}

// Explainer computes CAMs for one model. It differentiates in the model's
// own Gorgonia graph: a graph with gradient probes at the target layers
// and the target score on top, built once per (layers, score, batch: 1, or
// 6 for AugSmooth) and kept in a pool. An Explainer is safe for
// concurrent use.
type Explainer struct {
	model  *resnet.Model
	graphs *pool.Pool[graphKey, *camGraph]
}

// NewExplainer returns an Explainer for m. At most concurrency gradient
// graphs run at once; 0 means GOMAXPROCS.
func NewExplainer(m *resnet.Model, concurrency int) *Explainer {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	e := &Explainer{model: m}
	e.graphs = pool.New(concurrency, concurrency, e.newGraph, (*camGraph).close)
	return e
}

// Close releases the Explainer's idle graphs.
func (e *Explainer) Close() { e.graphs.Close() }

// Explain computes the CAM of one preprocessed image (3×224×224, CHW, as
// preprocess makes it).
func (e *Explainer) Explain(ctx context.Context, x []float32, opts *Options) (*Result, error) {
	var methods []Method
	if opts != nil && opts.Method != nil {
		methods = []Method{opts.Method}
	}
	rs, err := e.ExplainMethods(ctx, x, methods, opts)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// ExplainMethods computes several CAMs of one image at the layers and for
// the target opts names (opts.Method is ignored; an empty methods list
// means GradCAM), running the network and its gradient once for all.
func (e *Explainer) ExplainMethods(ctx context.Context, x []float32, methods []Method, opts *Options) ([]*Result, error) {
	o, err := e.resolve(opts)
	if err != nil {
		return nil, err
	}
	if len(methods) == 0 {
		methods = []Method{GradCAM()}
	}
	needGrad := slices.ContainsFunc(methods, Method.NeedsGradient)
	r, err := e.runInputs(ctx, x, o, o.AugSmooth, needGrad)
	if err != nil {
		return nil, err
	}
	out := make([]*Result, 0, len(methods))
	for _, m := range methods {
		res, err := e.explainRun(ctx, r, m, o)
		if err != nil {
			return nil, err
		}
		if o.Faithfulness {
			if res.Faithfulness, err = e.faithfulness(ctx, x, res); err != nil {
				return nil, err
			}
		}
		if o.Occlusion {
			if res.Occlusion, err = e.Occlusion(ctx, x, res); err != nil {
				return nil, err
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// resolved are Options with defaults applied and names checked.
type resolved struct {
	Options
	method Method
	layers []string // the target layers, at least one
	class  int      // -1: the predicted class
}

// target returns the class to explain given the prediction.
func (o resolved) target(p resnet.Prediction) int {
	if o.class >= 0 {
		return o.class
	}
	return p.Index
}

func (e *Explainer) resolve(opts *Options) (resolved, error) {
	o := resolved{class: -1}
	if opts != nil {
		o.Options = *opts
	}
	o.method = o.Method
	if o.method == nil {
		o.method = GradCAM()
	}
	o.layers = slices.Clone(o.Layers)
	if len(o.layers) == 0 {
		o.layers = []string{cmp.Or(o.Layer, DefaultLayer)}
	}
	valid := e.model.SpatialLayerNames()
	for i, l := range o.layers {
		if !slices.Contains(valid, l) {
			return o, fmt.Errorf("gradcam: no convolutional layer %q; valid names: %v", l, valid)
		}
		if slices.Contains(o.layers[:i], l) {
			return o, fmt.Errorf("gradcam: layer %q listed twice", l)
		}
	}
	o.Layer = strings.Join(o.layers, "+")
	if o.Steps && (len(o.layers) > 1 || o.AugSmooth) {
		return o, fmt.Errorf("gradcam: Steps needs a single layer without AugSmooth, got layers %q, AugSmooth %v", o.Layer, o.AugSmooth)
	}
	if o.Target != "" {
		o.class = slices.Index(e.model.Classes(), o.Target)
		if o.class < 0 {
			return o, fmt.Errorf("gradcam: no class %q; classes: %v", o.Target, e.model.Classes())
		}
	}
	return o, nil
}

// LayerData runs the image and returns the target layer's activation and,
// for gradient methods, the gradient of the target score with respect to
// it, with the prediction: the inputs every method works from, exposed for
// teaching and for methods of one's own. With several layers it is the
// last one's; AugSmooth is ignored.
func (e *Explainer) LayerData(ctx context.Context, x []float32, opts *Options) (LayerData, resnet.Prediction, error) {
	o, err := e.resolve(opts)
	if err != nil {
		return LayerData{}, resnet.Prediction{}, err
	}
	r, err := e.runInputs(ctx, x, o, false, o.method.NeedsGradient())
	if err != nil {
		return LayerData{}, resnet.Prediction{}, err
	}
	return r.data[0][len(o.layers)-1], r.preds[0], nil
}

// inputRun is the network run on an image, or on its aug-smoothing copies
// as one batch: per input, its data at every target layer and the
// prediction.
type inputRun struct {
	x     []float32 // the inputs, concatenated
	augs  []augment
	plain int // index of the unaltered input
	data  [][]LayerData
	preds []resnet.Prediction
}

// input returns input i of the batch.
func (r *inputRun) input(i int) []float32 {
	n := len(r.x) / len(r.augs)
	return r.x[i*n : (i+1)*n]
}

// runInputs runs x, or its six aug-smoothing copies, through the
// gradient graph (or only forward for gradient-free methods).
func (e *Explainer) runInputs(ctx context.Context, x []float32, o resolved, smooth, needGrad bool) (*inputRun, error) {
	if len(x) != 3*resnet.InputSize*resnet.InputSize {
		return nil, fmt.Errorf("gradcam: input has %d values, want one 3×%d×%d image", len(x), resnet.InputSize, resnet.InputSize)
	}
	r := &inputRun{}
	r.augs, r.plain = augments(smooth)
	r.x = batchInputs(x, r.augs)
	var logits [][]float32
	var err error
	if needGrad {
		r.data, logits, err = e.gradientData(ctx, r.x, len(r.augs), o.layers, o)
	} else {
		r.data, logits, err = e.forwardData(ctx, r.x, len(r.augs), o.layers)
	}
	if err != nil {
		return nil, err
	}
	for _, l := range logits {
		r.preds = append(r.preds, e.model.Prediction(l))
	}
	return r, nil
}

// explainRun computes method m's map from a run: per input and layer the
// raw map, post-processed to the input size; the layers fused; the
// aug-smoothing copies mirrored back and averaged.
func (e *Explainer) explainRun(ctx context.Context, r *inputRun, m Method, o resolved) (*Result, error) {
	size := resnet.InputSize
	maps := make([][]float32, len(r.augs))
	var raw []float32
	var rawData LayerData
	var base Method
	for i, a := range r.augs {
		perLayer := make([][]float32, len(r.data[i]))
		for l, d := range r.data[i] {
			mapper, bound, err := e.bind(ctx, r.input(i), d, m, o.target(r.preds[i]), o.EigenSmooth)
			if err != nil {
				return nil, err
			}
			lraw, err := mapper.Map(d)
			if err != nil {
				return nil, err
			}
			if perLayer[l], err = scaleToSize(lraw, d.H, d.W, size, size); err != nil {
				return nil, err
			}
			if i == r.plain && l == len(r.data[i])-1 {
				raw, rawData, base = lraw, d, bound
			}
		}
		maps[i] = a.undo(fuseLayers(perLayer), size, size)
	}
	cam := maps[0]
	if len(maps) > 1 {
		cam = meanMaps(maps)
	}
	pred := r.preds[r.plain]
	t := o.target(pred)
	res := &Result{
		Method: m.Name(), Layer: o.Layer, AugSmooth: o.AugSmooth, EigenSmooth: o.EigenSmooth,
		Target: e.model.Classes()[t], TargetIndex: t, Prediction: pred,
		Raw: rows(relu(raw), rawData.W), Map: cam, Width: size, Height: size, Empty: allZero(cam),
	}
	if len(o.layers) > 1 {
		res.Layers = slices.Clone(o.layers)
	}
	if o.AugSmooth {
		res.Variants = e.variants(r, o)
	}
	var err error
	if wm, ok := base.(WeightedMethod); ok {
		if res.Weights, err = wm.Weights(rawData); err != nil {
			return nil, err
		}
	}
	if res.Notes, err = notes.Compute(cam, size, size, o.Notes); err != nil {
		return nil, err
	}
	if o.Steps {
		res.Steps = newSteps(res, m, rawData, raw)
	}
	return res, nil
}

// bind prepares m for one input's layer data: a MaskedMethod gets the
// scores of its masked passes, and with eigen smoothing the map becomes
// the projection. It returns the method to map with and the method before
// smoothing (whose weights a Result shows).
func (e *Explainer) bind(ctx context.Context, x []float32, d LayerData, m Method, target int, eigen bool) (mapper, bound Method, err error) {
	bound = m
	if mm, ok := m.(MaskedMethod); ok {
		if bound, err = e.withMaskedScores(ctx, x, d, mm, target); err != nil {
			return nil, nil, err
		}
	}
	if !eigen {
		return bound, bound, nil
	}
	mapper, err = eigenSmooth(bound)
	return mapper, bound, err
}

// variants describes the aug-smoothing copies and the model's answer on
// each.
func (e *Explainer) variants(r *inputRun, o resolved) []Variant {
	classes := e.model.Classes()
	out := make([]Variant, len(r.augs))
	for i, a := range r.augs {
		t := o.target(r.preds[i])
		out[i] = Variant{Flipped: a.flip, Factor: math.Round(float64(a.factor)*100) / 100, Target: classes[t], Probability: r.preds[i].Probs[t]}
	}
	return out
}

// relu returns max(v, 0) elementwise in a new slice.
func relu(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = max(x, 0)
	}
	return out
}

// rows splits a row-major map into rows of width w.
func rows(v []float32, w int) [][]float32 {
	out := make([][]float32, 0, len(v)/w)
	for i := 0; i+w <= len(v); i += w {
		out = append(out, v[i:i+w])
	}
	return out
}

// keptFraction is the share of the map Faithfulness keeps.
const keptFraction = occlusion.CAMTopFraction

// faithfulness keeps the top 20% of the map and measures the target's
// probability before and after.
func (e *Explainer) faithfulness(ctx context.Context, x []float32, r *Result) (*Faithfulness, error) {
	mask, err := occlusion.KeepTop(r.Map, keptFraction)
	if err != nil {
		return nil, fmt.Errorf("gradcam: faithfulness: %w", err)
	}
	logits, err := e.model.Forward(ctx, maskInput(x, mask))
	if err != nil {
		return nil, fmt.Errorf("gradcam: faithfulness: %w", err)
	}
	f := &Faithfulness{
		KeptFraction: keptFraction,
		Original:     r.Prediction.Probs[r.TargetIndex],
		Masked:       resnet.Softmax(logits[0])[r.TargetIndex],
	}
	f.Drop = f.Original - f.Masked
	return f, nil
}

// MapAt returns the map at another size, e.g. the original image's for a
// full-resolution overlay: the raw map post-processed straight to
// width×height, as Finalize does for the input size. A map of fused layers
// or aug smoothing has no single raw map; it is resized from Map with
// ResizeBilinear.
func (r *Result) MapAt(width, height int) ([]float32, error) {
	if len(r.Layers) > 1 || r.AugSmooth {
		if err := checkSize("map", len(r.Map), r.Height, r.Width); err != nil {
			return nil, err
		}
		if err := checkSize("map at", -1, height, width); err != nil {
			return nil, err
		}
		return ResizeBilinear(r.Map, r.Height, r.Width, height, width), nil
	}
	if len(r.Raw) == 0 {
		return nil, fmt.Errorf("gradcam: result has no raw map")
	}
	h, w := len(r.Raw), len(r.Raw[0])
	flat := make([]float32, 0, h*w)
	for _, row := range r.Raw {
		if len(row) != w {
			return nil, fmt.Errorf("gradcam: raw map rows differ in length")
		}
		flat = append(flat, row...)
	}
	m, _, err := Finalize(flat, h, w, height, width)
	return m, err
}
