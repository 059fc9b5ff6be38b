package resnet

import (
	"fmt"
	"maps"
	"slices"

	"github.com/xrayllm/xray/internal/graphlock"
	"github.com/xrayllm/xray/internal/team"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GraphOptions sizes a graph. The zero value builds a graph for one
// InputSize×InputSize image without probes.
type GraphOptions struct {
	// Batch is the number of images one run computes; 0 means 1.
	Batch int
	// Height and Width are the input size; 0 means InputSize.
	Height, Width int
	// Probes names 4-D layers (see Arch.SpatialLayerNames) at which a
	// zero-valued input node is added to the activation. Its value changes
	// nothing; its gradient is the gradient with respect to that activation, which
	// is how Grad-CAM differentiates at any layer with Gorgonia's Grad,
	// which differentiates only with respect to input nodes.
	Probes []string
	// Fuse computes each convolution together with the batch norm,
	// residual sum and ReLU that follow it as one op, which applies them
	// as it stores each value: faster, and fewer activations in memory.
	// The values are the same bit for bit, but the activations inside a
	// fused op (the stem's conv1 and bn1, each block's conv1, bn1, conv2
	// and bn2; see Graph.LayerNames) are not nodes of the graph, except
	// where Probes name one: that convolution is built unfused.
	Fuse bool
}

// withDefaults fills zero fields.
func (o GraphOptions) withDefaults() GraphOptions {
	if o.Batch == 0 {
		o.Batch = 1
	}
	if o.Height == 0 {
		o.Height = InputSize
	}
	if o.Width == 0 {
		o.Width = InputSize
	}
	return o
}

// Graph is the network as one Gorgonia expression graph for a fixed batch
// size and input size. Its weight nodes share the Model's read-only
// parameters. A Graph is not safe for concurrent use: its nodes hold the
// values of the last run, in tensors that the next run overwrites (so a
// run allocates almost nothing; copy what you keep, as Value does). Build
// one per goroutine with Model.NewGraph, or let the Model's methods take
// them from its pool.
type Graph struct {
	g      *G.ExprGraph
	input  *G.Node
	in     []float32 // backing data of input's value
	logits *G.Node
	nodes  map[string]*G.Node
	probes map[string]*G.Node
	names  []string
	opts   GraphOptions
}

// ExprGraph returns the underlying Gorgonia graph, e.g. to add a cost and
// call gorgonia.Grad, or to render it with ToDot.
func (g *Graph) ExprGraph() *G.ExprGraph { return g.g }

// Input returns the input node, Batch×3×Height×Width.
func (g *Graph) Input() *G.Node { return g.input }

// Logits returns the classifier's output node, Batch×classes (also
// Node("fc")).
func (g *Graph) Logits() *G.Node { return g.logits }

// Options returns the options the graph was built with, defaults filled.
func (g *Graph) Options() GraphOptions { return g.opts }

// LayerNames lists the graph's named activations in execution order.
func (g *Graph) LayerNames() []string { return slices.Clone(g.names) }

// Node returns the activation named as in torchvision, e.g. "layer4" or
// "layer3.5.bn2". After a run its Value holds that activation.
func (g *Graph) Node(name string) (*G.Node, error) {
	if n, ok := g.nodes[name]; ok {
		return n, nil
	}
	return nil, fmt.Errorf("resnet: no layer %q; valid names: %v", name, g.names)
}

// Probe returns the zero-valued input node added at the named layer (see
// GraphOptions.Probes).
func (g *Graph) Probe(name string) (*G.Node, error) {
	if n, ok := g.probes[name]; ok {
		return n, nil
	}
	return nil, fmt.Errorf("resnet: the graph has no probe at %q (probes: %v)", name, slices.Sorted(maps.Keys(g.probes)))
}

// SetInput copies x, Batch×3×Height×Width values in NCHW order, into the
// input node's value.
func (g *Graph) SetInput(x []float32) error {
	if len(x) != len(g.in) {
		o := g.opts
		return fmt.Errorf("resnet: input has %d values, the graph takes %d×3×%d×%d = %d", len(x), o.Batch, o.Height, o.Width, len(g.in))
	}
	copy(g.in, x)
	return nil
}

// Value returns a copy of a named activation's value after a run, with its
// shape.
func (g *Graph) Value(name string) ([]int, []float32, error) {
	n, err := g.Node(name)
	if err != nil {
		return nil, nil, err
	}
	return NodeValue(n)
}

// NodeValue copies a node's float32 value after a run, with its shape:
// for activations, gradients or any other node of a Graph.
func NodeValue(n *G.Node) ([]int, []float32, error) {
	t, ok := n.Value().(*tensor.Dense)
	if !ok || t.Dtype() != tensor.Float32 {
		return nil, nil, fmt.Errorf("resnet: %s has no float32 value (was the graph run?)", n.Name())
	}
	if t.RequiresIterator() {
		t = t.Materialize().(*tensor.Dense)
	}
	return slices.Clone([]int(t.Shape())), slices.Clone(t.Data().([]float32)), nil
}

// NewGraph builds the network as a Gorgonia graph. Graphs are cheap next
// to a run but not free; the Model keeps a pool of them for its own
// methods.
func (m *Model) NewGraph(opts GraphOptions) (*Graph, error) {
	opts = opts.withDefaults()
	if opts.Batch < 1 || opts.Height < 32 || opts.Width < 32 {
		return nil, fmt.Errorf("resnet: graph needs batch ≥ 1 and an input of at least 32x32, got batch %d, %dx%d", opts.Batch, opts.Height, opts.Width)
	}
	probes, err := m.layout.canonicalProbes(opts.Probes)
	if err != nil {
		return nil, err
	}
	opts.Probes = probes
	b := &builder{
		p:     &m.params,
		graph: &Graph{g: G.NewGraph(), nodes: map[string]*G.Node{}, probes: map[string]*G.Node{}, opts: opts},
	}
	b.scratch.team = m.team
	b.scratch.wino.differentiated = m.layout.backThroughConvs(probes)
	b.scratch.wino.off = !m.set.winogradOn()
	b.scratch.wino.tile = winogradTileAsked()
	graphlock.Do(func() { b.build(m.layout) })
	if b.err != nil {
		return nil, fmt.Errorf("resnet: building the graph: %w", b.err)
	}
	return b.graph, nil
}

// builder assembles a Graph; the first error stops it.
type builder struct {
	p       *params
	graph   *Graph
	scratch convScratch // shared by the graph's convolutions
	err     error
}

// team is the team the graph's ops run their parallel passes on: the
// model's.
func (b *builder) team() *team.Team { return b.scratch.team }

// build lays out torchvision's forward(): stem, four stages, pool, fc.
func (b *builder) build(l layout) {
	o := b.graph.opts
	in := make([]float32, o.Batch*3*o.Height*o.Width)
	b.graph.in = in
	x := G.NewTensor(b.graph.g, tensor.Float32, 4, G.WithName("input"),
		G.WithValue(tensor.New(tensor.WithShape(o.Batch, 3, o.Height, o.Width), tensor.WithBacking(in))))
	b.graph.input = x
	x = b.unit(x, stemUnit(), nil)
	x = b.named(b.op(func() (*G.Node, error) { return maxPool(x, "maxpool", b.team()) }), "maxpool")
	for i, blk := range l.blocks {
		x = b.basicBlock(x, blk)
		if i+1 == len(l.blocks) || l.blocks[i+1].stage != blk.stage {
			b.alias(blk.stage, blk.name) // the stage's output is its last block's
		}
	}
	x = b.named(b.op(func() (*G.Node, error) { return globalAvgPool(x, b.team()) }), "avgpool")
	b.graph.logits = b.named(b.linear(x), "fc")
}

// basicBlock builds torchvision's BasicBlock: conv-bn-relu-conv-bn, plus
// the (possibly downsampled) identity, then ReLU.
func (b *builder) basicBlock(x *G.Node, blk block) *G.Node {
	first, second, down, hasDown := blockUnits(blk)
	y := b.unit(x, first, nil)
	return b.unit(y, second, func() *G.Node {
		if !hasDown {
			return x
		}
		return b.unit(x, down, nil)
	})
}

// unit builds a convUnit: one fused op when the graph fuses and no probe
// falls inside it, else a convolution, a batch norm, and the residual sum
// and ReLU, each a named node as in torchvision. residual, when set, makes
// the node added before the ReLU; it is called after the convolution and
// batch norm, so the names keep torchvision's execution order.
func (b *builder) unit(x *G.Node, u convUnit, residual func() *G.Node) *G.Node {
	if b.graph.opts.Fuse && !slices.ContainsFunc(u.hidden(), b.probed) {
		var r *G.Node
		if residual != nil {
			r = residual()
		}
		return b.named(b.op(func() (*G.Node, error) {
			w, err := b.p.weights.get(u.conv)
			if err != nil {
				return nil, err
			}
			return convBN(x, r, w, b.p.bns[u.bn], u.conv, u.stride, u.pad, u.relu != "", &b.scratch)
		}), u.out())
	}
	y := b.conv(x, u.conv, u.stride, u.pad)
	if u.convOut != "" {
		y = b.named(y, u.convOut)
	}
	y = b.named(b.bn(y, u.bn), u.bnOut)
	switch {
	case residual != nil:
		r := residual()
		y = b.named(b.op(func() (*G.Node, error) { return addReLU(y, r, u.relu, b.team()) }), u.relu)
	case u.relu != "":
		y = b.named(b.relu(y, u.relu), u.relu)
	}
	return y
}

// probed reports whether the graph has a probe at the named layer.
func (b *builder) probed(name string) bool { return slices.Contains(b.graph.opts.Probes, name) }

// op runs one construction step unless an earlier one failed.
func (b *builder) op(f func() (*G.Node, error)) *G.Node {
	if b.err != nil {
		return nil
	}
	n, err := f()
	if err != nil {
		b.err = err
	}
	return n
}

// conv adds a convolution of the module's weight, a constant of the op
// (the graph has no weight node for it).
func (b *builder) conv(x *G.Node, module string, stride, pad int) *G.Node {
	return b.op(func() (*G.Node, error) {
		w, err := b.p.weights.get(module)
		if err != nil {
			return nil, err
		}
		return conv2d(x, w, module, stride, pad, &b.scratch)
	})
}

// bn adds a folded batch norm.
func (b *builder) bn(x *G.Node, module string) *G.Node {
	return b.op(func() (*G.Node, error) { return batchNorm(x, module, b.p.bns[module], b.team()) })
}

// relu adds a ReLU.
func (b *builder) relu(x *G.Node, name string) *G.Node {
	return b.op(func() (*G.Node, error) { return relu(x, name, b.team()) })
}

// linear adds the classifier.
func (b *builder) linear(x *G.Node) *G.Node {
	return b.op(func() (*G.Node, error) {
		w := G.NewMatrix(b.graph.g, tensor.Float32, G.WithName("fc.weight"), G.WithValue(shared(b.p.fcW)))
		bias := G.NewMatrix(b.graph.g, tensor.Float32, G.WithName("fc.bias"), G.WithValue(shared(b.p.fcB)))
		return linear(x, w, bias)
	})
}

// shared returns a tensor of its own over t's data. Graphs never write
// their weights, but compiling a machine sets fields of the tensors bound
// to its nodes (their engine), so each graph gets its own headers.
func shared(t *tensor.Dense) *tensor.Dense {
	return tensor.New(tensor.WithShape(t.Shape().Clone()...), tensor.WithBacking(t.Data()))
}

// named records n under name, inserting the gradient probe there when one
// was asked for; what follows reads the probed node.
func (b *builder) named(n *G.Node, name string) *G.Node {
	if b.err != nil {
		return nil
	}
	if b.probed(name) {
		n = b.addProbe(n, name)
		if b.err != nil {
			return nil
		}
	}
	G.WithName(name)(n)
	b.graph.nodes[name] = n
	b.graph.names = append(b.graph.names, name)
	return n
}

// alias records an existing node under a second name (a stage's output is
// its last block's), and the block's probe, if any, under it too.
func (b *builder) alias(name, target string) {
	if b.err != nil {
		return
	}
	b.graph.nodes[name] = b.graph.nodes[target]
	b.graph.names = append(b.graph.names, name)
	if p, ok := b.graph.probes[target]; ok {
		b.graph.probes[name] = p
	}
}

// addProbe adds a zero-valued input of n's shape to n.
func (b *builder) addProbe(n *G.Node, name string) *G.Node {
	z := G.NewTensor(b.graph.g, tensor.Float32, n.Shape().Dims(), G.WithShape(n.Shape().Clone()...),
		G.WithName(name+".probe"), G.WithInit(G.Zeroes()))
	b.graph.probes[name] = z
	return b.op(func() (*G.Node, error) { return probe(n, z, name, b.team()) })
}
