// Package graphop holds what the project's own Gorgonia ops have in
// common: the gorgonia.Op methods that do not depend on the computation,
// the check of a float32 input, and an output tensor an op keeps from run
// to run.
package graphop

import (
	"fmt"
	"hash"
	"hash/fnv"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Base implements the gorgonia.Op methods shared by ops that return a
// value of their own (never a pointer into an input), call nothing
// external and never overwrite an input. Kind and Name identify the op in
// hashes and messages; an op embeds Base and adds Type, InferShape and Do.
type Base struct {
	Kind   string // what the op computes, e.g. "conv2d"
	Name   string // the layer it belongs to, e.g. "layer4.1.conv2"; may be empty
	Inputs int    // the op's arity
}

// Arity implements gorgonia.Op.
func (b Base) Arity() int { return b.Inputs }

// ReturnsPtr implements gorgonia.Op: the value is the op's own, so
// Gorgonia gives the node a register of its own and every named
// activation keeps its value after a run.
func (b Base) ReturnsPtr() bool { return false }

// CallsExtern implements gorgonia.Op.
func (b Base) CallsExtern() bool { return false }

// OverwritesInput implements gorgonia.Op: inputs are never overwritten.
func (b Base) OverwritesInput() int { return -1 }

// WriteHash implements gorgonia.Op; the name keeps layers apart.
func (b Base) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s:%s", b.Kind, b.Name) }

// Hashcode implements gorgonia.Op.
func (b Base) Hashcode() uint32 {
	h := fnv.New32a()
	b.WriteHash(h)
	return h.Sum32()
}

// String implements fmt.Stringer: kind(name), or the kind alone.
func (b Base) String() string {
	if b.Name == "" {
		return b.Kind
	}
	return b.Kind + "(" + b.Name + ")"
}

// CheckArity returns an error unless in has the op's arity.
func (b Base) CheckArity(in []G.Value) error {
	if len(in) != b.Inputs {
		return fmt.Errorf("%s: want %d inputs, got %d", b, b.Inputs, len(in))
	}
	return nil
}

// InputShape returns a copy of input i's shape for InferShape, or an
// error naming the op unless in has the op's arity and that shape is
// concrete.
func (b Base) InputShape(in []G.DimSizer, i int) (tensor.Shape, error) {
	if len(in) != b.Inputs {
		return nil, fmt.Errorf("%s: want %d inputs, got %d", b, b.Inputs, len(in))
	}
	s, ok := in[i].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: want a concrete shape for input %d, got %v", b, i, in[i])
	}
	return s.Clone(), nil
}

// Float32 returns input i's values, contiguous, and its shape, or an
// error naming the op unless in has the op's arity and input i is a
// non-empty float32 tensor of dims dimensions.
func (b Base) Float32(in []G.Value, i, dims int) ([]float32, tensor.Shape, error) {
	if err := b.CheckArity(in); err != nil {
		return nil, nil, err
	}
	t, ok := in[i].(*tensor.Dense)
	if !ok || t.Dtype() != tensor.Float32 || t.Dims() != dims || t.Shape().TotalSize() == 0 {
		return nil, nil, fmt.Errorf("%s: input %d: want a non-empty %d-D float32 tensor, got %T %v", b, i, dims, in[i], shapeOf(in[i]))
	}
	if t.RequiresIterator() {
		t = t.Materialize().(*tensor.Dense)
	}
	x, ok := t.Data().([]float32)
	if !ok || len(x) != t.Shape().TotalSize() {
		return nil, nil, fmt.Errorf("%s: input %d: %d values for shape %v", b, i, len(x), t.Shape())
	}
	return x, t.Shape(), nil
}

// shapeOf is v's shape, or nil for a nil value.
func shapeOf(v G.Value) tensor.Shape {
	if v == nil {
		return nil
	}
	return v.Shape()
}

// Output is the float32 tensor an op returns, kept from run to run so
// that a run allocates nothing. The op owns it: a graph's op never runs
// concurrently with itself, and its node holds the last run's value until
// the next run. The zero value is ready to use.
type Output struct {
	t    *tensor.Dense
	data []float32
}

// Get returns the output tensor with shape s and its values, which the
// caller overwrites: the previous run's tensor when s is unchanged, a new
// one otherwise.
func (o *Output) Get(s tensor.Shape) (*tensor.Dense, []float32) {
	if o.t == nil || !o.t.Shape().Eq(s) {
		o.data = make([]float32, s.TotalSize())
		o.t = tensor.New(tensor.WithShape(s.Clone()...), tensor.WithBacking(o.data))
	}
	return o.t, o.data
}
