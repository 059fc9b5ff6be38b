package resnet

import (
	"fmt"

	"github.com/xrayllm/xray/internal/gemm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The convolution ops. convOp computes torchvision's bias-free Conv2d on an
// N×C×H×W input with its weight held as a constant of the op, straight
// into NCHW: per image, out[Cout × OH·OW] = W[Cout × C·kh·kw] ·
// col[C·kh·kw × OH·OW], where col is the im2col unfolding of the image
// (the image itself for a 1x1, stride-1, unpadded kernel), gathered panel
// by panel as the GEMM packs it and never stored whole. Its gradient
// with respect to the input is convGradOp: dX = col2im(Wᵀ · dY). The
// weight is never differentiated.
//
// The forward product sums in oneDNN's order, which keeps the float32
// rounding close to PyTorch's: over blocks of input channels, and within a
// block over the kernel position (ky, kx) outermost and the channel
// innermost. The unfolding's rows come in that order and the weight is
// read through a column permutation (no copy); a block spans about one
// GEMM depth block, so the permuted reads stay local.

// blockDepth is the depth of the forward product's channel blocks
// (channels per block × kh·kw), about the GEMM's depth block.
const blockDepth = 256

// convGeom is a convolution's shape: channels, kernel, stride and padding.
type convGeom struct {
	cin, cout, kh, kw, stride, pad int
}

// cblock is the number of input channels per block of the forward order.
func (g convGeom) cblock() int { return max(1, blockDepth/(g.kh*g.kw)) }

// row returns the unfolding's row for channel c and kernel position k
// (ky·kw+kx) in the forward order: blocks of cblock channels, each
// ordered (k, c).
func (g convGeom) row(c, k int) int {
	cb := g.cblock()
	c0 := c / cb * cb
	w := min(cb, g.cin-c0)
	return c0*g.kh*g.kw + k*w + c - c0
}

// depth is the length of a column of the unfolded input, C·kh·kw.
func (g convGeom) depth() int { return g.cin * g.kh * g.kw }

// direct reports whether the unfolding is the image itself.
func (g convGeom) direct() bool { return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0 }

// outSize returns the output's spatial size for an h×w input, or an error
// when there is none.
func (g convGeom) outSize(h, w int) (int, int, error) {
	oh := (h+2*g.pad-g.kh)/g.stride + 1
	ow := (w+2*g.pad-g.kw)/g.stride + 1
	if h+2*g.pad < g.kh || w+2*g.pad < g.kw || oh < 1 || ow < 1 {
		return 0, 0, fmt.Errorf("a %dx%d input is smaller than the %dx%d kernel with padding %d", h, w, g.kh, g.kw, g.pad)
	}
	return oh, ow, nil
}

// outShape returns the output shape for an input shape, checking it.
func (g convGeom) outShape(s tensor.Shape) (tensor.Shape, error) {
	if s.Dims() != 4 || s[0] < 1 || s[1] != g.cin {
		return nil, fmt.Errorf("want an N×%d×H×W input, got shape %v", g.cin, s)
	}
	oh, ow, err := g.outSize(s[2], s[3])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{s[0], g.cout, oh, ow}, nil
}

// weightMatrix views the weight as Cout × C·kh·kw, or its transpose.
func (g convGeom) weightMatrix(w []float32, trans bool) gemm.Matrix {
	k := g.depth()
	if trans {
		return gemm.Matrix{Rows: k, Cols: g.cout, Stride: k, Data: w, Trans: true}
	}
	return gemm.Matrix{Rows: g.cout, Cols: k, Stride: k, Data: w}
}

// newConvOp returns the convolution of module name with weight w, a
// Cout×Cin×kh×kw float32 tensor shared read-only.
func newConvOp(name string, w *tensor.Dense, stride, pad int) (*convOp, error) {
	s := w.Shape()
	if w.Dtype() != tensor.Float32 || s.Dims() != 4 || s.TotalSize() == 0 {
		return nil, fmt.Errorf("conv %s: want a 4-D float32 weight, got %v %v", name, w.Dtype(), s)
	}
	if stride < 1 || pad < 0 {
		return nil, fmt.Errorf("conv %s: bad stride %d or padding %d", name, stride, pad)
	}
	if w.RequiresIterator() {
		w = w.Materialize().(*tensor.Dense)
	}
	data, ok := w.Data().([]float32)
	if !ok || len(data) != s.TotalSize() {
		return nil, fmt.Errorf("conv %s: weight data does not match its shape %v", name, s)
	}
	g := convGeom{cin: s[1], cout: s[0], kh: s[2], kw: s[3], stride: stride, pad: pad}
	return &convOp{opBase: opBase{kind: "conv2d", name: name, arity: 1}, geom: g, w: data, order: g.order()}, nil
}

// order returns, for each row of the unfolding in the forward order (see
// convGeom.row), the offset of its weight within a Cout row stored as
// (c, ky, kx); nil for 1x1 kernels, whose two orders agree.
func (g convGeom) order() []int {
	kk := g.kh * g.kw
	if kk == 1 {
		return nil
	}
	idx := make([]int, g.depth())
	for c := 0; c < g.cin; c++ {
		for k := 0; k < kk; k++ {
			idx[g.row(c, k)] = c*kk + k
		}
	}
	return idx
}

// convOp is a bias-free 2-D convolution with a constant weight.
type convOp struct {
	opBase
	geom  convGeom
	w     []float32 // Cout × Cin·kh·kw, read-only
	order []int     // the forward product's weight columns (see convGeom.order)
}

// InferShape implements gorgonia.Op.
func (op *convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return inferConv(op.opBase, in, op.geom.outShape)
}

// inferConv checks for one concrete input shape and maps it with f.
func inferConv(o opBase, in []G.DimSizer, f func(tensor.Shape) (tensor.Shape, error)) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("%s: want 1 input, got %d", o, len(in))
	}
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: want a concrete input shape, got %v", o, in[0])
	}
	out, err := f(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	}
	return out, nil
}

// Do implements gorgonia.Op.
func (op *convOp) Do(in ...G.Value) (G.Value, error) {
	x, s, err := convInput(op.opBase, in)
	if err != nil {
		return nil, err
	}
	os, err := op.geom.outShape(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := make([]float32, os.TotalSize())
	if err := op.forward(out, x, s, os); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return newDense(os, out), nil
}

// forward convolves each image of x (shape s) into out (shape os).
func (op *convOp) forward(out, x []float32, s, os tensor.Shape) error {
	g := op.geom
	k, p := g.depth(), os[2]*os[3]
	inSize, outSize := s[1]*s[2]*s[3], os[1]*p
	w := g.weightMatrix(op.w, false)
	w.Index = op.order
	var u *unfolded
	if !g.direct() {
		u = newUnfolded(g, s[2], s[3], os[2], os[3])
	}
	for n := 0; n < s[0]; n++ {
		img := x[n*inSize : (n+1)*inSize]
		c := gemm.Matrix{Rows: g.cout, Cols: p, Stride: p, Data: out[n*outSize : (n+1)*outSize]}
		var err error
		if u != nil {
			u.img = img
			err = gemm.MulSource(c, w, u, gemm.Options{})
		} else {
			err = gemm.Mul(c, w, gemm.Matrix{Rows: k, Cols: p, Stride: p, Data: img}, gemm.Options{})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// SymDiff implements gorgonia.SDOp: the gradient with respect to the
// input, dX = col2im(Wᵀ·dY).
func (op *convOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("%s: want 1 input, got %d", op, len(in))
	}
	back := &convGradOp{
		opBase: opBase{kind: "conv2d_grad", name: op.name, arity: 1},
		geom:   op.geom, w: op.w, inShape: in[0].Shape().Clone(),
	}
	g, err := G.ApplyOp(back, grad)
	return G.Nodes{g}, err
}

// convGradOp is a convolution's gradient with respect to its input
// (convolution backward data), for an input of shape inShape. It appears
// only in backward graphs and is not itself differentiated.
type convGradOp struct {
	opBase
	geom    convGeom
	w       []float32 // the forward op's weight, read-only
	inShape tensor.Shape
}

// InferShape implements gorgonia.Op.
func (op *convGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return inferConv(op.opBase, in, op.checkGrad)
}

// checkGrad checks that s is the forward op's output shape and returns the
// input's.
func (op *convGradOp) checkGrad(s tensor.Shape) (tensor.Shape, error) {
	want, err := op.geom.outShape(op.inShape)
	if err != nil {
		return nil, err
	}
	if !s.Eq(want) {
		return nil, fmt.Errorf("want a %v gradient, got %v", want, s)
	}
	return op.inShape.Clone(), nil
}

// Do implements gorgonia.Op.
func (op *convGradOp) Do(in ...G.Value) (G.Value, error) {
	dy, s, err := convInput(op.opBase, in)
	if err != nil {
		return nil, err
	}
	is, err := op.checkGrad(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	dx := make([]float32, is.TotalSize())
	if err := op.backward(dx, dy, is, s); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return newDense(is, dx), nil
}

// backward computes dx (shape is) from dy (shape os) image by image.
func (op *convGradOp) backward(dx, dy []float32, is, os tensor.Shape) error {
	g := op.geom
	k, p := g.depth(), os[2]*os[3]
	inSize, outSize := is[1]*is[2]*is[3], os[1]*p
	var col []float32
	if !g.direct() {
		col = make([]float32, k*p)
	}
	wt := g.weightMatrix(op.w, true)
	for n := 0; n < is[0]; n++ {
		img := dx[n*inSize : (n+1)*inSize]
		c := img
		if col != nil {
			c = col
		}
		dm := gemm.Matrix{Rows: g.cout, Cols: p, Stride: p, Data: dy[n*outSize : (n+1)*outSize]}
		if err := gemm.Mul(gemm.Matrix{Rows: k, Cols: p, Stride: p, Data: c}, wt, dm, gemm.Options{}); err != nil {
			return err
		}
		if col != nil {
			col2im(img, col, g, is[2], is[3], os[2], os[3])
		}
	}
	return nil
}

// DiffWRT implements gorgonia.SDOp: not differentiated again.
func (op *convGradOp) DiffWRT(n int) []bool { return make([]bool, n) }

// SymDiff implements gorgonia.SDOp.
func (op *convGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("%s: second derivatives are not supported", op)
}

// convInput returns the one 4-D float32 input's contiguous values and
// shape.
func convInput(o opBase, in []G.Value) ([]float32, tensor.Shape, error) {
	if len(in) != 1 {
		return nil, nil, fmt.Errorf("%s: want 1 input, got %d", o, len(in))
	}
	t, ok := in[0].(*tensor.Dense)
	if !ok || t.Dtype() != tensor.Float32 || t.Shape().Dims() != 4 || t.Shape().TotalSize() == 0 {
		return nil, nil, fmt.Errorf("%s: want a non-empty 4-D float32 tensor, got %T %v", o, in[0], in[0].Shape())
	}
	if t.RequiresIterator() {
		t = t.Materialize().(*tensor.Dense)
	}
	x, ok := t.Data().([]float32)
	if !ok || len(x) != t.Shape().TotalSize() {
		return nil, nil, fmt.Errorf("%s: %d values for shape %v", o, len(x), t.Shape())
	}
	return x, t.Shape(), nil
}
