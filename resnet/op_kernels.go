package resnet

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/xrayllm/xray/internal/graphop"
	"github.com/xrayllm/xray/internal/team"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The operations in this file are the network's own elementwise Gorgonia
// ops: per channel affine (folded batch norm), ReLU, residual add + ReLU
// and the gradient probe. They never overwrite their inputs, so every
// named activation keeps its value after a run, and each has a symbolic
// gradient, so Gorgonia's Grad differentiates through them. Each op
// returns a tensor of its own, reused from run to run (graphop.Output),
// and splits large passes over the cores.

var (
	_ G.SDOp = (*affineOp)(nil)
	_ G.SDOp = (*reluOp)(nil)
	_ G.SDOp = (*addReLUOp)(nil)
	_ G.SDOp = (*reluGradOp)(nil)
	_ G.SDOp = (*probeOp)(nil)
)

// opBase holds what the network's ops share beyond graphop.Base: 4-D
// tensors in and out, and differentiability in every input.
type opBase struct {
	graphop.Base
	team *team.Team // runs the op's parallel passes
}

// base returns the opBase of an op of the given kind, layer and arity,
// whose parallel passes run on t.
func base(kind, name string, arity int, t *team.Team) opBase {
	return opBase{Base: graphop.Base{Kind: kind, Name: name, Inputs: arity}, team: t}
}

// Type implements gorgonia.Op: 4-D tensors in, a 4-D tensor of the same
// element type out.
func (o opBase) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	ts := make([]hm.Type, o.Inputs+1)
	for i := range ts {
		ts[i] = t
	}
	return hm.NewFnType(ts...)
}

// InferShape implements gorgonia.Op: all inputs share one 4-D shape, which
// is the output's.
func (o opBase) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != o.Inputs {
		return nil, fmt.Errorf("%s: want %d inputs, got %d", o, o.Inputs, len(in))
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

// DiffWRT implements gorgonia.SDOp: differentiable in every input.
func (o opBase) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

// gradBase is the opBase of ops that appear only in backward graphs and
// are not themselves differentiated.
type gradBase struct{ opBase }

// DiffWRT implements gorgonia.SDOp: second derivatives are not supported.
func (o gradBase) DiffWRT(n int) []bool { return make([]bool, n) }

// SymDiff implements gorgonia.SDOp.
func (o gradBase) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("%s: second derivatives are not supported", o)
}

// float32s returns the values of the op's 4-D float32 inputs, contiguous,
// checking that they share one shape.
func float32s(o opBase, in []G.Value) ([][]float32, tensor.Shape, error) {
	if err := o.CheckArity(in); err != nil {
		return nil, nil, err
	}
	out := make([][]float32, len(in))
	var shape tensor.Shape
	for i := range in {
		x, s, err := o.Float32(in, i, 4)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			shape = s
		} else if !s.Eq(shape) {
			return nil, nil, fmt.Errorf("%s: input shapes differ: %v and %v", o, shape, s)
		}
		out[i] = x
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
	out          graphop.Output
}

func newAffineOp(name string, scale, shift []float32, t *team.Team) *affineOp {
	return &affineOp{opBase: base("affine", name, 1, t), scale: scale, shift: shift}
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
	xs, s, err := float32s(op.opBase, in)
	if err != nil {
		return nil, err
	}
	if s[1] != len(op.scale) {
		return nil, fmt.Errorf("%s: want %d channels, got shape %v", op, len(op.scale), s)
	}
	t, dst := op.out.Get(s)
	src, plane := xs[0], s[2]*s[3]
	parallel(op.team, s[0]*s[1], len(src), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			c := i % s[1]
			a, b := op.scale[c], float32(0)
			if op.shift != nil {
				b = op.shift[c]
			}
			out := dst[i*plane : (i+1)*plane]
			for j, v := range src[i*plane : (i+1)*plane] {
				out[j] = float32(v*a) + b // rounded as the GEMM epilogue rounds it
			}
		}
	})
	return t, nil
}

// SymDiff implements gorgonia.SDOp.
func (op *affineOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g, err := G.ApplyOp(newAffineOp(op.Name+".grad", op.scale, nil, op.team), grad)
	return G.Nodes{g}, err
}

// elementwise is an op computing each output value from the values at the
// same position of its inputs, in parallel.
type elementwise struct {
	opBase
	out graphop.Output
}

// run checks the inputs, takes the output and calls f on disjoint ranges
// of positions.
func (op *elementwise) run(in []G.Value, f func(dst []float32, xs [][]float32, lo, hi int)) (G.Value, error) {
	return runElementwise(op.opBase, &op.out, in, f)
}

// runElementwise checks an elementwise op's inputs, takes its output and
// calls f on disjoint ranges of positions, in parallel.
func runElementwise(o opBase, out *graphop.Output, in []G.Value, f func(dst []float32, xs [][]float32, lo, hi int)) (G.Value, error) {
	xs, s, err := float32s(o, in)
	if err != nil {
		return nil, err
	}
	t, dst := out.Get(s)
	parallel(o.team, len(dst), len(dst), func(lo, hi int) { f(dst, xs, lo, hi) })
	return t, nil
}

// clampNegative is the ReLU as the GEMM epilogue computes it: negative
// values become 0; NaN and -0 stay.
func clampNegative(v float32) float32 {
	if v < 0 {
		return 0
	}
	return v
}

// reluOp computes max(x, 0).
type reluOp struct{ elementwise }

func newReLUOp(name string, t *team.Team) *reluOp {
	return &reluOp{elementwise{opBase: base("relu", name, 1, t)}}
}

// Do implements gorgonia.Op.
func (op *reluOp) Do(in ...G.Value) (G.Value, error) {
	return op.run(in, func(dst []float32, xs [][]float32, lo, hi int) {
		for i, v := range xs[0][lo:hi] {
			dst[lo+i] = clampNegative(v)
		}
	})
}

// SymDiff implements gorgonia.SDOp: the gradient passes where y > 0.
func (op *reluOp) SymDiff(_ G.Nodes, y, grad *G.Node) (G.Nodes, error) {
	g, err := reluGrad(y, grad, op.Name, op.team)
	return G.Nodes{g}, err
}

// addReLUOp computes max(a+b, 0): a BasicBlock's residual sum and ReLU.
type addReLUOp struct{ elementwise }

func newAddReLUOp(name string, t *team.Team) *addReLUOp {
	return &addReLUOp{elementwise{opBase: base("add_relu", name, 2, t)}}
}

// Do implements gorgonia.Op.
func (op *addReLUOp) Do(in ...G.Value) (G.Value, error) {
	return op.run(in, func(dst []float32, xs [][]float32, lo, hi int) {
		a, b := xs[0][lo:hi], xs[1][lo:hi]
		for i := range a {
			dst[lo+i] = clampNegative(a[i] + b[i])
		}
	})
}

// SymDiff implements gorgonia.SDOp: both inputs get the masked gradient.
func (op *addReLUOp) SymDiff(_ G.Nodes, y, grad *G.Node) (G.Nodes, error) {
	g, err := reluGrad(y, grad, op.Name, op.team)
	return G.Nodes{g, g}, err
}

// reluGrad builds grad masked to where the ReLU's output y is positive.
func reluGrad(y, grad *G.Node, name string, t *team.Team) (*G.Node, error) {
	return G.ApplyOp(&reluGradOp{elementwiseGrad{gradBase: gradBase{base("relu_grad", name, 2, t)}}}, y, grad)
}

// elementwiseGrad is an elementwise op of backward graphs.
type elementwiseGrad struct {
	gradBase
	out graphop.Output
}

// reluGradOp computes grad where y > 0, else 0. It appears only in
// backward graphs and is not itself differentiated.
type reluGradOp struct{ elementwiseGrad }

// Do implements gorgonia.Op.
func (op *reluGradOp) Do(in ...G.Value) (G.Value, error) {
	return runElementwise(op.opBase, &op.out, in, func(dst []float32, xs [][]float32, lo, hi int) {
		y, g := xs[0][lo:hi], xs[1][lo:hi]
		for i, v := range y {
			dst[lo+i] = 0
			if v > 0 {
				dst[lo+i] = g[i]
			}
		}
	})
}

// probeOp computes a + z for the gradient probe; the gradient reaches both.
type probeOp struct{ elementwise }

func newProbeOp(name string, t *team.Team) *probeOp {
	return &probeOp{elementwise{opBase: base("probe", name, 2, t)}}
}

// Do implements gorgonia.Op.
func (op *probeOp) Do(in ...G.Value) (G.Value, error) {
	return op.run(in, func(dst []float32, xs [][]float32, lo, hi int) {
		a, z := xs[0][lo:hi], xs[1][lo:hi]
		for i := range a {
			dst[lo+i] = a[i] + z[i]
		}
	})
}

// SymDiff implements gorgonia.SDOp.
func (op *probeOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{grad, grad}, nil
}
