package resnet

import (
	"fmt"

	"github.com/xrayllm/xray/internal/gemm"
	"github.com/xrayllm/xray/internal/graphop"
	"github.com/xrayllm/xray/internal/team"
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
// packed once in that order (convWeight).
//
// A convolution op may also apply, as the GEMM stores each value, the
// folded batch norm, residual sum and ReLU that follow it in a BasicBlock
// (gemm.Epilogue): the same float32 steps as the separate ops, so the same
// values bit for bit, without another pass over memory.

var (
	_ G.SDOp = (*convOp)(nil)
	_ G.SDOp = (*convGradOp)(nil)
)

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

// convPost is what a convolution op applies after the product: a folded
// batch norm, a residual input added after it and a ReLU, each optional.
type convPost struct {
	bn       *affine
	residual bool
	relu     bool
}

// kind names an op computing a convolution followed by p.
func (p convPost) kind() string {
	k := "conv2d"
	if p.bn != nil {
		k += "_bn"
	}
	if p.residual {
		k += "_add"
	}
	if p.relu {
		k += "_relu"
	}
	return k
}

// convScratch holds the buffers a convolution needs only while it runs:
// the GEMM's packing buffers, the padded image and the unfolded gradient,
// and the team that runs its parallel passes. The ops of one graph share
// one, as they run one after the other.
type convScratch struct {
	team   *team.Team
	ws     gemm.Workspace
	padded []float32
	col    []float32
	// batchOut and batchRes are a batch's output and residual side by
	// side (see forwardBatched).
	batchOut, batchRes []float32
	wino               winogradScratch
}

// grow returns buf resized to n values, reusing its storage when it can.
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// newConvOp returns the convolution of module name by w, followed by
// post; its inputs are the image and, with post.residual, the residual.
// It runs in scratch, or in buffers of its own when scratch is nil.
func newConvOp(name string, w *convWeight, stride, pad int, post convPost, scratch *convScratch) (*convOp, error) {
	if stride < 1 || pad < 0 {
		return nil, fmt.Errorf("conv %s: bad stride %d or padding %d", name, stride, pad)
	}
	if post.bn != nil && (len(post.bn.scale) != w.cout || post.bn.shift != nil && len(post.bn.shift) != w.cout) {
		return nil, fmt.Errorf("conv %s: a batch norm of %d channels after %d", name, len(post.bn.scale), w.cout)
	}
	arity := 1
	if post.residual {
		arity = 2
	}
	if scratch == nil {
		scratch = new(convScratch)
	}
	return &convOp{opBase: base(post.kind(), name, arity, scratch.team), geom: w.geom(stride, pad), w: w, post: post, scratch: scratch}, nil
}

// convOp is a bias-free 2-D convolution with a constant weight, followed
// by its convPost. It owns its output and unfolding, which runs reuse.
type convOp struct {
	opBase
	geom    convGeom
	w       *convWeight // shared read-only
	post    convPost
	out     graphop.Output
	scratch *convScratch
	ep      gemm.Epilogue
	unf     *unfolded // for the last input size; nil for a direct product
	path    convPath  // the Winograd path or the direct one (convOp.winograd)
}

// InferShape implements gorgonia.Op.
func (op *convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != op.Inputs {
		return nil, fmt.Errorf("%s: want %d inputs, got %d", op, op.Inputs, len(in))
	}
	out, err := inferConv(op.opBase, in[:1], op.geom.outShape)
	if err == nil && op.post.residual {
		if s, ok := in[1].(tensor.Shape); !ok || !s.Eq(out) {
			err = fmt.Errorf("%s: want a %v residual, got %v", op, out, in[1])
		}
	}
	return out, err
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
	x, s, err := op.Float32(in, 0, 4)
	if err != nil {
		return nil, err
	}
	os, err := op.geom.outShape(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var res []float32
	if op.post.residual {
		r, rs, err := op.Float32(in, 1, 4)
		if err != nil {
			return nil, err
		}
		if !rs.Eq(os) {
			return nil, fmt.Errorf("%s: want a %v residual, got %v", op, os, rs)
		}
		res = r
	}
	t, out := op.out.Get(os)
	if err := op.forward(out, x, res, s, os); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return t, nil
}

// forward convolves each image of x (shape s) into out (shape os), adding
// res (shape os) when set, and applies the rest of the op's convPost.
func (op *convOp) forward(out, x, res []float32, s, os tensor.Shape) error {
	g := op.geom
	k, p := g.depth(), os[2]*os[3]
	inSize, outSize := s[1]*s[2]*s[3], os[1]*p
	if op.winograd() {
		return op.forwardWinograd(out, x, res, s)
	}
	o := op.options()
	if op.batched(s, os) {
		return op.forwardBatched(out, x, res, s, os, o)
	}
	u := op.unfolding(s, os)
	for n := 0; n < s[0]; n++ {
		img := x[n*inSize : (n+1)*inSize]
		c := gemm.Matrix{Rows: g.cout, Cols: p, Stride: p, Data: out[n*outSize : (n+1)*outSize]}
		if res != nil {
			op.ep.Residual = gemm.Matrix{Rows: g.cout, Cols: p, Stride: p, Data: res[n*outSize : (n+1)*outSize]}
		}
		var err error
		if u != nil {
			u.img = img
			if g.pad > 0 {
				u.img = grow(&op.scratch.padded, s[1]*u.h*u.w)
				padImage(op.team, u.img, img, s[1], s[2], s[3], g.pad)
			}
			err = gemm.MulPacked(c, op.w.packed, u, o)
		} else {
			err = gemm.MulPackedMatrix(c, op.w.packed, gemm.Matrix{Rows: k, Cols: p, Stride: p, Data: img}, o)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// options returns the GEMM options of the op's products, with the
// epilogue of its convPost when there is one.
func (op *convOp) options() gemm.Options {
	o := gemm.Options{Workspace: &op.scratch.ws, Team: op.team}
	if op.post == (convPost{}) {
		return o
	}
	op.ep = gemm.Epilogue{ReLU: op.post.relu}
	if bn := op.post.bn; bn != nil {
		op.ep.Scale, op.ep.Shift = bn.scale, bn.shift
	}
	o.Epilogue = &op.ep
	return o
}

// unfolding returns the op's unfolding for input shape s and output shape
// os, made on the first run and again when the size changes; nil when the
// product reads the image directly.
func (op *convOp) unfolding(s, os tensor.Shape) *unfolded {
	g := op.geom
	if g.direct() {
		return nil
	}
	h, w := s[2]+2*g.pad, s[3]+2*g.pad
	if u := op.unf; u == nil || u.h != h || u.w != w {
		op.unf = newUnfolded(g, h, w, os[2], os[3])
	}
	return op.unf
}

// SymDiff implements gorgonia.SDOp: with g the gradient masked where the
// ReLU (if any) passed, the residual's gradient is g and the image's
// dX = col2im(Wᵀ·(g·scale)), built from the same ops as the unfused
// graph's gradient.
func (op *convOp) SymDiff(in G.Nodes, y, grad *G.Node) (G.Nodes, error) {
	if len(in) != op.Inputs {
		return nil, fmt.Errorf("%s: want %d inputs, got %d", op, op.Inputs, len(in))
	}
	g := grad
	var err error
	if op.post.relu {
		if g, err = reluGrad(y, grad, op.Name, op.team); err != nil {
			return nil, err
		}
	}
	scaled := g
	if bn := op.post.bn; bn != nil {
		if scaled, err = G.ApplyOp(newAffineOp(op.Name+".bn_grad", bn.scale, nil, op.team), g); err != nil {
			return nil, err
		}
	}
	dx, err := G.ApplyOp(newConvGradOp(op.Name, op.geom, op.w, in[0].Shape(), op.scratch), scaled)
	if err != nil {
		return nil, err
	}
	if op.post.residual {
		return G.Nodes{dx, g}, nil
	}
	return G.Nodes{dx}, nil
}

// newConvGradOp returns the input gradient of the convolution of module
// name, geometry g and weight w, for an input of shape inShape, running
// in scratch.
func newConvGradOp(name string, g convGeom, w *convWeight, inShape tensor.Shape, scratch *convScratch) *convGradOp {
	return &convGradOp{gradBase: gradBase{base("conv2d_grad", name, 1, scratch.team)}, geom: g, w: w, inShape: inShape.Clone(), scratch: scratch}
}

// convGradOp is a convolution's gradient with respect to its input
// (convolution backward data), for an input of shape inShape. It appears
// only in backward graphs and is not itself differentiated.
type convGradOp struct {
	gradBase
	geom    convGeom
	w       *convWeight // the forward op's weight, read-only
	inShape tensor.Shape
	out     graphop.Output
	scratch *convScratch
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
	dy, s, err := op.Float32(in, 0, 4)
	if err != nil {
		return nil, err
	}
	is, err := op.checkGrad(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	t, dx := op.out.Get(is)
	if err := op.backward(dx, dy, is, s); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return t, nil
}

// backward computes dx (shape is) from dy (shape os) image by image.
func (op *convGradOp) backward(dx, dy []float32, is, os tensor.Shape) error {
	g := op.geom
	k, p := g.depth(), os[2]*os[3]
	inSize, outSize := is[1]*is[2]*is[3], os[1]*p
	var col []float32 // the unfolded gradient, one image at a time
	if !g.direct() {
		col = grow(&op.scratch.col, k*p)
	}
	wt, err := op.w.packedTranspose()
	if err != nil {
		return err
	}
	o := gemm.Options{Workspace: &op.scratch.ws, Team: op.team}
	for n := 0; n < is[0]; n++ {
		img := dx[n*inSize : (n+1)*inSize]
		c := img
		if col != nil {
			c = col
		}
		dm := gemm.Matrix{Rows: g.cout, Cols: p, Stride: p, Data: dy[n*outSize : (n+1)*outSize]}
		if err := gemm.MulPackedMatrix(gemm.Matrix{Rows: k, Cols: p, Stride: p, Data: c}, wt, dm, o); err != nil {
			return err
		}
		if col != nil {
			col2im(op.team, img, col, g, is[2], is[3], os[2], os[3])
		}
	}
	return nil
}
