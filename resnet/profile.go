package resnet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ProfilePasses is how many timed passes Model.Profile takes; each
// leaf's time is its median over them, so one pause of the process (a
// garbage collection, another request) does not make one layer look slow.
const ProfilePasses = 5

// Profile is a timed forward pass.
type Profile struct {
	// Prediction is the model's answer from the timed passes.
	Prediction Prediction
	// Layers are the leaf operations in execution order, with their
	// torchvision names: every conv, bn and relu ("layer1.0.conv1",
	// "layer2.0.downsample.0", ...), each block's residual sum and final
	// ReLU ("layer1.0.add"), the poolings and fc.
	Layers []LayerTiming
	// Total is the wall time of a pass: the leaves plus the bookkeeping
	// between them (its median over the passes).
	Total time.Duration
}

// LayerTiming is the time one leaf operation took.
type LayerTiming struct {
	// Name is the torchvision name (see Profile.Layers).
	Name string
	// Kind is "conv", "bn", "relu", "add", "maxpool", "avgpool" or "fc".
	Kind string
	// Shape is the output shape for the one image, as in LayerInfo.
	Shape []int
	// Duration is the op's wall time (the median over the passes).
	Duration time.Duration
}

// Stage sums the Durations of the leaves under a prefix: "layer2" (the
// stage), "layer2.1" (a block), "layer2.1.conv1" (one leaf). A prefix
// matches whole name parts, so "layer1" does not include "layer10".
func (p *Profile) Stage(prefix string) time.Duration {
	var d time.Duration
	for _, l := range p.Layers {
		if l.Name == prefix || strings.HasPrefix(l.Name, prefix+".") {
			d += l.Duration
		}
	}
	return d
}

// Profile times each leaf layer of one forward pass of one preprocessed
// image (3×224×224). It takes an unfused graph (GraphOptions.Fuse false:
// every conv, bn and relu its own op) from the model's pool, runs it once
// on its machine, so that what a graph allocates on its first run is not
// counted, then runs the graph's own ops again one by one in the graph's
// order, timing each, ProfilePasses times. The fused graphs the other methods use compute each
// conv with its bn and ReLU as one op, faster; a profile shows where an
// unfused pass spends its time.
func (m *Model) Profile(ctx context.Context, x []float32) (*Profile, error) {
	if n, err := batchSize(x); err != nil {
		return nil, err
	} else if n != 1 {
		return nil, fmt.Errorf("resnet: profile takes one image, got %d", n)
	}
	passes := make([]*Profile, ProfilePasses)
	var logits []float32
	err := m.withRunner(ctx, runnerKey{batch: 1, fused: false}, x, func(r *runner) error {
		for i := range passes {
			var err error
			if passes[i], logits, err = r.graph.profile(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resnet: profile: %w", err)
	}
	p := medianProfile(passes)
	p.Prediction = m.Prediction(logits)
	return p, nil
}

// medianProfile is the first pass's leaves with each duration replaced
// by its median over the passes, and the total by their sum plus the
// median time between them; every pass runs the same ops in the same
// order.
func medianProfile(passes []*Profile) *Profile {
	durations := make([]time.Duration, len(passes))
	median := func(at func(*Profile) time.Duration) time.Duration {
		for i, q := range passes {
			durations[i] = at(q)
		}
		slices.Sort(durations)
		return durations[len(durations)/2]
	}
	// The total is the leaves plus the median bookkeeping between them, so
	// that the leaves never add up to more than the total. It is taken
	// before the first pass's leaves are replaced by the medians.
	between := median(func(q *Profile) time.Duration {
		d := q.Total
		for _, l := range q.Layers {
			d -= l.Duration
		}
		return d
	})
	p := passes[0]
	p.Total = between
	for i := range p.Layers {
		p.Layers[i].Duration = median(func(q *Profile) time.Duration { return q.Layers[i].Duration })
		p.Total += p.Layers[i].Duration
	}
	return p
}

// profile executes g's ops in topological order, timing each, with the
// input already set, and returns the logits too. The time of Gorgonia's
// own ops (the classifier's product) is counted with the next leaf. A
// panic inside an op becomes an error.
func (g *Graph) profile(ctx context.Context) (p *Profile, logits []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("graph run failed: %v", r)
		}
	}()
	order, err := G.Sort(g.g)
	if err != nil {
		return nil, nil, err
	}
	slices.Reverse(order) // Sort puts the root first
	values := make(map[*G.Node]G.Value, len(order))
	p = &Profile{}
	var pending time.Duration
	start := time.Now()
	for _, n := range order {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		d, err := execute(g.g, n, values)
		if err != nil {
			return nil, nil, err
		}
		if n.Op() == nil {
			continue
		}
		kind, name, ok := leafName(n.Op())
		if !ok && n == g.logits {
			kind, name, ok = "fc", "fc", true
		}
		if !ok {
			pending += d
			continue
		}
		p.Layers = append(p.Layers, LayerTiming{Name: name, Kind: kind, Shape: oneImage(values[n]), Duration: d + pending})
		pending = 0
	}
	p.Total = time.Since(start)
	logits, err = float32Data(values[g.logits])
	return p, logits, err
}

// execute computes node n's value from its inputs' in values, records it
// there and returns how long the op took; an input node's value is its
// own.
func execute(g *G.ExprGraph, n *G.Node, values map[*G.Node]G.Value) (time.Duration, error) {
	if n.Op() == nil {
		values[n] = n.Value()
		return 0, nil
	}
	in, err := inputValues(g, n, values)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	v, err := n.Op().Do(in...)
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%v: %w", n.Op(), err)
	}
	values[n] = v
	return d, nil
}

// float32Data returns a copy of a float32 tensor's values.
func float32Data(v G.Value) ([]float32, error) {
	t, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("the classifier computed no tensor")
	}
	data, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("the classifier computed %v, not float32", t.Dtype())
	}
	return slices.Clone(data), nil
}

// inputValues returns the values of n's inputs, computed before n.
func inputValues(g *G.ExprGraph, n *G.Node, values map[*G.Node]G.Value) ([]G.Value, error) {
	var in []G.Value
	for it := g.From(n.ID()); it.Next(); {
		c := it.Node().(*G.Node)
		v, ok := values[c]
		if !ok || v == nil {
			return nil, fmt.Errorf("%v: input %s has no value", n.Op(), c.Name())
		}
		in = append(in, v)
	}
	return in, nil
}

// leafKind maps the network's op kinds to the kinds a profile reports;
// "" for the fused kinds, which an unfused graph lacks.
func leafKind(opKind string) string {
	switch opKind {
	case "conv2d":
		return "conv"
	case "affine":
		return "bn"
	case "add_relu":
		return "add"
	case "relu", "maxpool", "avgpool":
		return opKind
	}
	return ""
}

// leafName returns the reported kind and torchvision name of one of the
// network's own ops; ok is false for Gorgonia's ops (the classifier's
// product and sum).
func leafName(op G.Op) (kind, name string, ok bool) {
	o, ok := op.(interface{ common() opBase })
	if !ok {
		return "", "", false
	}
	b := o.common()
	if kind = leafKind(b.Kind); kind == "" {
		return "", "", false
	}
	name = b.Name
	if kind == "add" { // the op is named after the block it ends
		name += ".add"
	}
	return kind, name, true
}

// common returns what every one of the network's ops has: its kind and
// layer name (Profile reads them).
func (o opBase) common() opBase { return o }

// oneImage returns the shape of v without its batch axis.
func oneImage(v G.Value) []int {
	s := v.Shape()
	if len(s) < 2 {
		return slices.Clone([]int(s))
	}
	return slices.Clone([]int(s[1:]))
}
