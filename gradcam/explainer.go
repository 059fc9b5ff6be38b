package gradcam

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"

	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/internal/graphlock"
	"github.com/xrayllm/xray/internal/pool"
	"github.com/xrayllm/xray/resnet"
	G "gorgonia.org/gorgonia"
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
}

// Result is one image's explanation.
type Result struct {
	// Method and Layer say what was computed.
	Method string `json:"method"`
	Layer  string `json:"layer"`
	// Target is the explained class; TargetIndex its position.
	Target      string `json:"target"`
	TargetIndex int    `json:"target_index"`
	// Prediction is the model's answer for the image.
	Prediction resnet.Prediction `json:"-"`
	// Raw is the low-resolution map after ReLU, before scaling (7x7 at
	// layer4, 14x14 at layer3), row by row.
	Raw [][]float32 `json:"raw"`
	// Weights are the channel weights for methods that have them
	// (GradCAM, GradCAM++, XGradCAM, ScoreCAM); nil otherwise.
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
// own Gorgonia graph: a graph with a gradient probe at the target layer
// and the target score on top, built once per (layer, score) and kept in
// a pool. An Explainer is safe for concurrent use.
type Explainer struct {
	model  *resnet.Model
	graphs *pool.Pool[graphKey, *camGraph]
}

// graphKey identifies a gradient graph.
type graphKey struct {
	layer       string
	probability bool
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

// ExplainMethods computes several CAMs of one image at the layer and for
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
	d, pred, err := e.layerData(ctx, x, o, needGrad)
	if err != nil {
		return nil, err
	}
	out := make([]*Result, 0, len(methods))
	for _, m := range methods {
		if mm, ok := m.(MaskedMethod); ok {
			if m, err = e.withMaskedScores(ctx, x, d, mm, o.target(pred)); err != nil {
				return nil, err
			}
		}
		res, err := e.finish(d, pred, m, o)
		if err != nil {
			return nil, err
		}
		if o.Faithfulness {
			if res.Faithfulness, err = e.faithfulness(ctx, x, res); err != nil {
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
	class  int // -1: the predicted class
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
	if o.Layer == "" {
		o.Layer = DefaultLayer
	}
	if layers := e.model.SpatialLayerNames(); !slices.Contains(layers, o.Layer) {
		return o, fmt.Errorf("gradcam: no convolutional layer %q; valid names: %v", o.Layer, layers)
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
// teaching and for methods of one's own.
func (e *Explainer) LayerData(ctx context.Context, x []float32, opts *Options) (LayerData, resnet.Prediction, error) {
	o, err := e.resolve(opts)
	if err != nil {
		return LayerData{}, resnet.Prediction{}, err
	}
	return e.layerData(ctx, x, o, o.method.NeedsGradient())
}

func (e *Explainer) layerData(ctx context.Context, x []float32, o resolved, needGrad bool) (LayerData, resnet.Prediction, error) {
	if len(x) != 3*resnet.InputSize*resnet.InputSize {
		return LayerData{}, resnet.Prediction{}, fmt.Errorf("gradcam: input has %d values, want one 3×%d×%d image", len(x), resnet.InputSize, resnet.InputSize)
	}
	if !needGrad {
		return e.forwardData(ctx, x, o.Layer)
	}
	key := graphKey{layer: o.Layer, probability: o.Probability}
	g, err := e.graphs.Get(ctx, key)
	if err != nil {
		return LayerData{}, resnet.Prediction{}, fmt.Errorf("gradcam: %w", err)
	}
	d, logits, err := g.run(x, o.class)
	e.graphs.Put(key, g, err == nil)
	if err != nil {
		return LayerData{}, resnet.Prediction{}, err
	}
	return d, e.model.Prediction(logits), nil
}

// forwardData gets the activation without a gradient.
func (e *Explainer) forwardData(ctx context.Context, x []float32, layer string) (LayerData, resnet.Prediction, error) {
	acts, err := e.model.Activations(ctx, x, layer, "fc")
	if err != nil {
		return LayerData{}, resnet.Prediction{}, fmt.Errorf("gradcam: %w", err)
	}
	a := acts[layer]
	d := LayerData{C: a.Shape[1], H: a.Shape[2], W: a.Shape[3], Acts: a.Data}
	return d, e.model.Prediction(acts["fc"].Data), nil
}

// finish applies the method and the post-processing.
func (e *Explainer) finish(d LayerData, pred resnet.Prediction, m Method, o resolved) (*Result, error) {
	raw, err := m.Map(d)
	if err != nil {
		return nil, err
	}
	size := resnet.InputSize
	cam, empty, err := Finalize(raw, d.H, d.W, size, size)
	if err != nil {
		return nil, err
	}
	t := o.target(pred)
	res := &Result{
		Method: m.Name(), Layer: o.Layer, Target: e.model.Classes()[t], TargetIndex: t,
		Prediction: pred, Raw: rows(relu(raw), d.W), Map: cam, Width: size, Height: size, Empty: empty,
	}
	if wm, ok := m.(WeightedMethod); ok {
		if res.Weights, err = wm.Weights(d); err != nil {
			return nil, err
		}
	}
	if res.Notes, err = notes.Compute(cam, size, size, o.Notes); err != nil {
		return nil, err
	}
	return res, nil
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
const keptFraction = 0.2

// faithfulness keeps the top 20% of the map and measures the target's
// probability before and after.
func (e *Explainer) faithfulness(ctx context.Context, x []float32, r *Result) (*Faithfulness, error) {
	sorted := slices.Clone(r.Map)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] > sorted[j] })
	k := int(keptFraction * float64(len(sorted)))
	threshold := sorted[max(k-1, 0)]
	mask := make([]float32, len(r.Map))
	for i, v := range r.Map {
		if v >= threshold && v > 0 {
			mask[i] = 1
		}
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

// camGraph is a model graph with a gradient probe at one layer and the
// target score on top, compiled into a machine.
type camGraph struct {
	graph   *resnet.Graph
	layer   *G.Node
	grad    *G.Node
	targets []int
	vm      G.VM
}

// newGraph builds the gradient graph for key.
func (e *Explainer) newGraph(key graphKey) (*camGraph, error) {
	g, err := e.model.NewGraph(resnet.GraphOptions{Probes: []string{key.layer}, Fuse: true})
	if err != nil {
		return nil, fmt.Errorf("gradcam: %w", err)
	}
	cg := &camGraph{graph: g, targets: []int{-1}}
	if cg.layer, err = g.Node(key.layer); err != nil {
		return nil, fmt.Errorf("gradcam: %w", err)
	}
	probe, err := g.Probe(key.layer)
	if err != nil {
		return nil, fmt.Errorf("gradcam: %w", err)
	}
	graphlock.Do(func() { err = cg.addGradient(probe, key.probability) })
	if err != nil {
		return nil, err
	}
	return cg, nil
}

// addGradient puts the target score on the graph, differentiates it with
// respect to the probe and compiles what the CAM reads.
func (cg *camGraph) addGradient(probe *G.Node, probability bool) error {
	g := cg.graph
	scores := g.Logits()
	var err error
	if probability {
		if scores, err = G.SoftMax(scores); err != nil {
			return fmt.Errorf("gradcam: softmax: %w", err)
		}
	}
	score, err := newTargetScore(scores, cg.targets)
	if err != nil {
		return fmt.Errorf("gradcam: target score: %w", err)
	}
	grads, err := G.Grad(score, probe)
	if err != nil {
		return fmt.Errorf("gradcam: differentiating at %s: %w", cg.layer.Name(), err)
	}
	cg.grad = grads[0]
	// Compile only what the gradient, the activation and the logits need:
	// Gorgonia's symbolic gradients also create weight gradients that a CAM
	// never reads.
	sub := g.ExprGraph().SubgraphRoots(cg.grad, cg.layer, g.Logits())
	cg.vm = G.NewTapeMachine(sub)
	return nil
}

// run computes the activation, the gradient and the logits for one image;
// class -1 targets the predicted class.
func (cg *camGraph) run(x []float32, class int) (LayerData, []float32, error) {
	cg.targets[0] = class
	if err := cg.graph.Run(cg.vm, x); err != nil {
		return LayerData{}, nil, fmt.Errorf("gradcam: %w", err)
	}
	shape, acts, err := resnet.NodeValue(cg.layer)
	if err != nil {
		return LayerData{}, nil, err
	}
	_, grads, err := resnet.NodeValue(cg.grad)
	if err != nil {
		return LayerData{}, nil, err
	}
	_, logits, err := resnet.NodeValue(cg.graph.Logits())
	if err != nil {
		return LayerData{}, nil, err
	}
	return LayerData{C: shape[1], H: shape[2], W: shape[3], Acts: acts, Grads: grads}, logits, nil
}

// close releases the machine.
func (cg *camGraph) close() { cg.vm.Close() }

// MapAt returns the map at another size, e.g. the original image's for a
// full-resolution overlay: the raw map post-processed straight to
// width×height, as Finalize does for the input size.
func (r *Result) MapAt(width, height int) ([]float32, error) {
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

// Dot renders the gradient graph Explain uses for opts (layer and score)
// in Graphviz's dot language: the forward network, the probe at the target
// layer and the backward pass to it.
func (e *Explainer) Dot(opts *Options) (dot string, err error) {
	o, err := e.resolve(opts)
	if err != nil {
		return "", err
	}
	cg, err := e.newGraph(graphKey{layer: o.Layer, probability: o.Probability})
	if err != nil {
		return "", err
	}
	defer cg.close()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("gradcam: rendering the graph: %v", p)
		}
	}()
	return cg.graph.ExprGraph().ToDot(), nil
}
