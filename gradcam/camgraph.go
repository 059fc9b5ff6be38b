package gradcam

import (
	"context"
	"fmt"
	"strings"

	"github.com/xrayllm/xray/internal/graphlock"
	"github.com/xrayllm/xray/resnet"
	G "gorgonia.org/gorgonia"
)

// graphKey identifies a gradient graph: its target layers (joined with
// ","), its score and its batch size.
type graphKey struct {
	layers      string
	probability bool
	batch       int
}

// newGraphKey returns the key of the graph for layers, score and batch.
func newGraphKey(layers []string, probability bool, batch int) graphKey {
	return graphKey{layers: strings.Join(layers, ","), probability: probability, batch: batch}
}

// camGraph is a model graph for a batch of images with gradient probes at
// one or more layers and the sum of the images' target scores on top,
// compiled into a machine. The gradient of that sum with respect to image
// i's activation is the gradient of image i's own score: batch-norm runs
// in inference mode, so the images do not interact.
type camGraph struct {
	graph   *resnet.Graph
	layers  []*G.Node
	grads   []*G.Node
	targets []int
	vm      G.VM
}

// newGraph builds the gradient graph for key.
func (e *Explainer) newGraph(key graphKey) (*camGraph, error) {
	names := strings.Split(key.layers, ",")
	g, err := e.model.NewGraph(resnet.GraphOptions{Batch: key.batch, Probes: names, Fuse: true})
	if err != nil {
		return nil, fmt.Errorf("gradcam: %w", err)
	}
	cg := &camGraph{graph: g, targets: make([]int, key.batch)}
	probes := make([]*G.Node, len(names))
	for i, name := range names {
		n, err := g.Node(name)
		if err != nil {
			return nil, fmt.Errorf("gradcam: %w", err)
		}
		cg.layers = append(cg.layers, n)
		if probes[i], err = g.Probe(name); err != nil {
			return nil, fmt.Errorf("gradcam: %w", err)
		}
	}
	graphlock.Do(func() { err = cg.addGradient(probes, key.probability) })
	if err != nil {
		return nil, err
	}
	return cg, nil
}

// addGradient puts the target score on the graph, differentiates it with
// respect to the probes in one backward pass and compiles what the CAMs
// read.
func (cg *camGraph) addGradient(probes []*G.Node, probability bool) error {
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
	if cg.grads, err = G.Grad(score, probes...); err != nil {
		return fmt.Errorf("gradcam: differentiating at %s: %w", cg.layers[0].Name(), err)
	}
	// Compile only what the gradients, the activations and the logits
	// need: Gorgonia's symbolic gradients also create weight gradients that
	// a CAM never reads.
	roots := append(append(append(G.Nodes{}, cg.grads...), cg.layers...), g.Logits())
	cg.vm = G.NewTapeMachine(g.ExprGraph().SubgraphRoots(roots...))
	return nil
}

// run computes, for a batch of images, every target layer's activation
// and gradient and the logits; class -1 targets each image's predicted
// class. data[i][l] is image i's data at layer l.
func (cg *camGraph) run(x []float32, class int) (data [][]LayerData, logits [][]float32, err error) {
	for i := range cg.targets {
		cg.targets[i] = class
	}
	if err := cg.graph.Run(cg.vm, x); err != nil {
		return nil, nil, fmt.Errorf("gradcam: %w", err)
	}
	n := len(cg.targets)
	data = make([][]LayerData, n)
	for l := range cg.layers {
		shape, acts, err := resnet.NodeValue(cg.layers[l])
		if err != nil {
			return nil, nil, err
		}
		_, grads, err := resnet.NodeValue(cg.grads[l])
		if err != nil {
			return nil, nil, err
		}
		for i, d := range splitBatch(shape, acts, grads) {
			data[i] = append(data[i], d)
		}
	}
	_, flat, err := resnet.NodeValue(cg.graph.Logits())
	if err != nil {
		return nil, nil, err
	}
	return data, splitRows(flat, n), nil
}

// close releases the machine.
func (cg *camGraph) close() { cg.vm.Close() }

// splitBatch cuts an N×C×H×W activation (and its gradient, when not nil)
// into one LayerData per image.
func splitBatch(shape []int, acts, grads []float32) []LayerData {
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	size := c * h * w
	out := make([]LayerData, n)
	for i := range out {
		out[i] = LayerData{C: c, H: h, W: w, Acts: acts[i*size : (i+1)*size]}
		if grads != nil {
			out[i].Grads = grads[i*size : (i+1)*size]
		}
	}
	return out
}

// splitRows cuts n rows out of flat.
func splitRows(flat []float32, n int) [][]float32 {
	k := len(flat) / n
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = flat[i*k : (i+1)*k]
	}
	return rows
}

// gradientData runs a batch of n images through the gradient graph of
// layers and returns each image's data at each layer with its logits.
func (e *Explainer) gradientData(ctx context.Context, x []float32, n int, layers []string, o resolved) ([][]LayerData, [][]float32, error) {
	key := newGraphKey(layers, o.Probability, n)
	g, err := e.graphs.Get(ctx, key)
	if err != nil {
		return nil, nil, fmt.Errorf("gradcam: %w", err)
	}
	data, logits, err := g.run(x, o.class)
	e.graphs.Put(key, g, err == nil)
	return data, logits, err
}

// forwardData gets the activations of a batch of n images at layers
// without a gradient, in chunks of the model's max batch.
func (e *Explainer) forwardData(ctx context.Context, x []float32, n int, layers []string) ([][]LayerData, [][]float32, error) {
	per := len(x) / n
	var data [][]LayerData
	var logits [][]float32
	for start := 0; start < n; start += e.model.MaxBatch() {
		k := min(e.model.MaxBatch(), n-start)
		acts, err := e.model.Activations(ctx, x[start*per:(start+k)*per], append([]string{"fc"}, layers...)...)
		if err != nil {
			return nil, nil, fmt.Errorf("gradcam: %w", err)
		}
		chunk := make([][]LayerData, k)
		for _, layer := range layers {
			a := acts[layer]
			for i, d := range splitBatch(a.Shape, a.Data, nil) {
				chunk[i] = append(chunk[i], d)
			}
		}
		data = append(data, chunk...)
		logits = append(logits, splitRows(acts["fc"].Data, k)...)
	}
	return data, logits, nil
}

// Dot renders the gradient graph Explain uses for opts (layers and score)
// in Graphviz's dot language: the forward network, the probes at the
// target layers and the backward pass to them.
func (e *Explainer) Dot(opts *Options) (dot string, err error) {
	o, err := e.resolve(opts)
	if err != nil {
		return "", err
	}
	cg, err := e.newGraph(newGraphKey(o.layers, o.Probability, 1))
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
