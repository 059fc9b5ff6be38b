package resnet

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The operations in this file are the network's own Gorgonia ops: per
// channel affine (folded batch norm), ReLU, residual add + ReLU and the
// gradient probe. They never overwrite their inputs, so every named
// activation keeps its value after a run, and each has a symbolic
// gradient, so Gorgonia's Grad differentiates through them.

// opBase holds what the ops share: their identity, arity, and the
// gorgonia.Op methods that do not depend on the computation.
type opBase struct {
	kind, name string
	arity      int
}

// Arity implements gorgonia.Op.
func (o opBase) Arity() int { return o.arity }

// Type implements gorgonia.Op: 4-D tensors in, a 4-D tensor of the same
// element type out.
func (o opBase) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	ts := make([]hm.Type, o.arity+1)
	for i := range ts {
		ts[i] = t
	}
	return hm.NewFnType(ts...)
}

// InferShape implements gorgonia.Op: all inputs share one 4-D shape, which
// is the output's.
func (o opBase) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != o.arity {
		return nil, fmt.Errorf("%s: want %d inputs, got %d", o, o.arity, len(in))
	}
	first, ok := in[0].(tensor.Shape)
	if !ok || first.Dims() != 4 {
		return nil, fmt.Errorf("%s: want a 4-D input, got %v", o, in[0])
	}
	for _, s := range in[1:] {
		if s, ok := s.(tensor.Shape); !ok || !s.Eq(first) {
			return nil, fmt.Errorf("%s: input shapes differ: %v and %v", o, first, s)
		}
	}
	return first.Clone(), nil
}

// ReturnsPtr implements gorgonia.Op.
func (o opBase) ReturnsPtr() bool { return false }

// CallsExtern implements gorgonia.Op.
func (o opBase) CallsExtern() bool { return false }

// OverwritesInput implements gorgonia.Op: inputs are never overwritten.
func (o opBase) OverwritesInput() int { return -1 }

// WriteHash implements gorgonia.Op; the layer name keeps layers apart.
func (o opBase) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s:%s", o.kind, o.name) }

// Hashcode implements gorgonia.Op.
func (o opBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// String implements fmt.Stringer.
func (o opBase) String() string { return o.kind + "(" + o.name + ")" }

// DiffWRT implements gorgonia.SDOp: differentiable in every input.
func (o opBase) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

// float32s returns the values of 4-D float32 tensors, contiguous, checking
// that there are want of them with one shape.
func float32s(o opBase, want int, in []G.Value) ([][]float32, tensor.Shape, error) {
	if len(in) != want {
		return nil, nil, fmt.Errorf("%s: want %d inputs, got %d", o, want, len(in))
	}
	out := make([][]float32, len(in))
	var shape tensor.Shape
	for i, v := range in {
		t, ok := v.(*tensor.Dense)
		if !ok || t.Dtype() != tensor.Float32 {
			return nil, nil, fmt.Errorf("%s: input %d: want a float32 tensor, got %T", o, i, v)
		}
		if i == 0 {
			shape = t.Shape()
		} else if !t.Shape().Eq(shape) {
			return nil, nil, fmt.Errorf("%s: input shapes differ: %v and %v", o, shape, t.Shape())
		}
		if t.RequiresIterator() {
			t = t.Materialize().(*tensor.Dense)
		}
		out[i] = t.Data().([]float32)
	}
	return out, shape, nil
}

// newDense wraps data as a tensor of the given shape.
func newDense(shape tensor.Shape, data []float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(data))
}

// affineOp applies y = x*scale[c] + shift[c] per channel of an N×C×H×W
// tensor (shift may be nil). Its gradient is the incoming gradient times
// scale: another affineOp. The parameters are shared read-only.
type affineOp struct {
	opBase
	scale, shift []float32
}

func newAffineOp(name string, scale, shift []float32) *affineOp {
	return &affineOp{opBase: opBase{kind: "affine", name: name, arity: 1}, scale: scale, shift: shift}
}

// InferShape implements gorgonia.Op, also checking the channel count.
func (op *affineOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := op.opBase.InferShape(in...)
	if err == nil && s[1] != len(op.scale) {
		err = fmt.Errorf("%s: want %d channels, got shape %v", op, len(op.scale), s)
	}
	return s, err
}

// Do implements gorgonia.Op.
func (op *affineOp) Do(in ...G.Value) (G.Value, error) {
	xs, s, err := float32s(op.opBase, 1, in)
	if err != nil {
		return nil, err
	}
	if s[1] != len(op.scale) {
		return nil, fmt.Errorf("%s: want %d channels, got shape %v", op, len(op.scale), s)
	}
	src, dst := xs[0], make([]float32, len(xs[0]))
	plane := s[2] * s[3]
	for i := 0; i < s[0]*s[1]; i++ {
		c := i % s[1]
		a, b := op.scale[c], float32(0)
		if op.shift != nil {
			b = op.shift[c]
		}
		out := dst[i*plane : (i+1)*plane]
		for j, v := range src[i*plane : (i+1)*plane] {
			out[j] = v*a + b
		}
	}
	return newDense(s, dst), nil
}

// SymDiff implements gorgonia.SDOp.
func (op *affineOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g, err := G.ApplyOp(newAffineOp(op.name+".grad", op.scale, nil), grad)
	return G.Nodes{g}, err
}

// reluOp computes max(x, 0).
type reluOp struct{ opBase }

// Do implements gorgonia.Op.
func (op *reluOp) Do(in ...G.Value) (G.Value, error) {
	xs, s, err := float32s(op.opBase, 1, in)
	if err != nil {
		return nil, err
	}
	dst := make([]float32, len(xs[0]))
	for i, v := range xs[0] {
		dst[i] = max(v, 0)
	}
	return newDense(s, dst), nil
}

// SymDiff implements gorgonia.SDOp: the gradient passes where y > 0.
func (op *reluOp) SymDiff(_ G.Nodes, y, grad *G.Node) (G.Nodes, error) {
	g, err := reluGrad(y, grad, op.name)
	return G.Nodes{g}, err
}

// addReLUOp computes max(a+b, 0): a BasicBlock's residual sum and ReLU.
type addReLUOp struct{ opBase }

// Do implements gorgonia.Op.
func (op *addReLUOp) Do(in ...G.Value) (G.Value, error) {
	xs, s, err := float32s(op.opBase, 2, in)
	if err != nil {
		return nil, err
	}
	a, b := xs[0], xs[1]
	dst := make([]float32, len(a))
	for i := range dst {
		dst[i] = max(a[i]+b[i], 0)
	}
	return newDense(s, dst), nil
}

// SymDiff implements gorgonia.SDOp: both inputs get the masked gradient.
func (op *addReLUOp) SymDiff(_ G.Nodes, y, grad *G.Node) (G.Nodes, error) {
	g, err := reluGrad(y, grad, op.name)
	return G.Nodes{g, g}, err
}

// reluGrad builds grad masked to where the ReLU's output y is positive.
func reluGrad(y, grad *G.Node, name string) (*G.Node, error) {
	return G.ApplyOp(&reluGradOp{opBase{kind: "relu_grad", name: name, arity: 2}}, y, grad)
}

// reluGradOp computes grad where y > 0, else 0. It appears only in
// backward graphs and is not itself differentiated.
type reluGradOp struct{ opBase }

// Do implements gorgonia.Op.
func (op *reluGradOp) Do(in ...G.Value) (G.Value, error) {
	xs, s, err := float32s(op.opBase, 2, in)
	if err != nil {
		return nil, err
	}
	y, g := xs[0], xs[1]
	dst := make([]float32, len(y))
	for i, v := range y {
		if v > 0 {
			dst[i] = g[i]
		}
	}
	return newDense(s, dst), nil
}

// DiffWRT implements gorgonia.SDOp: second derivatives are not supported.
func (op *reluGradOp) DiffWRT(n int) []bool { return make([]bool, n) }

// SymDiff implements gorgonia.SDOp.
func (op *reluGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("%s: second derivatives are not supported", op)
}

// probeOp computes a + z for the gradient probe; the gradient reaches both.
type probeOp struct{ opBase }

// Do implements gorgonia.Op.
func (op *probeOp) Do(in ...G.Value) (G.Value, error) {
	xs, s, err := float32s(op.opBase, 2, in)
	if err != nil {
		return nil, err
	}
	a, z := xs[0], xs[1]
	dst := make([]float32, len(a))
	for i := range dst {
		dst[i] = a[i] + z[i]
	}
	return newDense(s, dst), nil
}

// SymDiff implements gorgonia.SDOp.
func (op *probeOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{grad, grad}, nil
}

// avgPoolOp averages each channel of an N×C×H×W tensor over its H×W
// positions, giving N×C (torchvision's avgpool and flatten).
type avgPoolOp struct{ opBase }

// Type implements gorgonia.Op: a 4-D tensor to a matrix.
func (op *avgPoolOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 4, Of: a}, G.TensorType{Dims: 2, Of: a})
}

// InferShape implements gorgonia.Op.
func (op *avgPoolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := op.opBase.InferShape(in...)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{s[0], s[1]}, nil
}

// Do implements gorgonia.Op.
func (op *avgPoolOp) Do(in ...G.Value) (G.Value, error) {
	xs, s, err := float32s(op.opBase, 1, in)
	if err != nil {
		return nil, err
	}
	plane := s[2] * s[3]
	dst := make([]float32, s[0]*s[1])
	for i := range dst {
		var sum float64
		for _, v := range xs[0][i*plane : (i+1)*plane] {
			sum += float64(v)
		}
		dst[i] = float32(sum / float64(plane))
	}
	return newDense(tensor.Shape{s[0], s[1]}, dst), nil
}

// SymDiff implements gorgonia.SDOp: each position gets 1/(H*W) of its
// channel's gradient.
func (op *avgPoolOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g, err := G.ApplyOp(&avgPoolGradOp{opBase{kind: "avgpool_grad", name: op.name, arity: 1}, in[0].Shape().Clone()}, grad)
	return G.Nodes{g}, err
}

// avgPoolGradOp spreads an N×C gradient evenly over N×C×H×W.
type avgPoolGradOp struct {
	opBase
	shape tensor.Shape // the pooled input's shape
}

// Type implements gorgonia.Op: a matrix to a 4-D tensor.
func (op *avgPoolGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 4, Of: a})
}

// InferShape implements gorgonia.Op.
func (op *avgPoolGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}

// Do implements gorgonia.Op.
func (op *avgPoolGradOp) Do(in ...G.Value) (G.Value, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("%s: want 1 input, got %d", op, len(in))
	}
	t, ok := in[0].(*tensor.Dense)
	if !ok || t.Dtype() != tensor.Float32 || t.Shape().TotalSize() != op.shape[0]*op.shape[1] {
		return nil, fmt.Errorf("%s: want a %d×%d float32 gradient, got %T", op, op.shape[0], op.shape[1], in[0])
	}
	if t.RequiresIterator() {
		t = t.Materialize().(*tensor.Dense)
	}
	plane := op.shape[2] * op.shape[3]
	dst := make([]float32, op.shape.TotalSize())
	for i, g := range t.Data().([]float32) {
		v := g / float32(plane)
		out := dst[i*plane : (i+1)*plane]
		for j := range out {
			out[j] = v
		}
	}
	return newDense(op.shape, dst), nil
}

// DiffWRT implements gorgonia.SDOp: not differentiated again.
func (op *avgPoolGradOp) DiffWRT(n int) []bool { return make([]bool, n) }

// SymDiff implements gorgonia.SDOp.
func (op *avgPoolGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("%s: second derivatives are not supported", op)
}
