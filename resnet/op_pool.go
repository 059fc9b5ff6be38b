package resnet

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/xrayllm/xray/internal/graphop"
	"github.com/xrayllm/xray/internal/team"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The pooling ops: torchvision's stem MaxPool2d and the global average
// pool before the classifier, each with its gradient, channel planes
// split over the cores.

var (
	_ G.SDOp = (*maxPoolOp)(nil)
	_ G.SDOp = (*maxPoolGradOp)(nil)
	_ G.SDOp = (*avgPoolOp)(nil)
	_ G.SDOp = (*avgPoolGradOp)(nil)
)

// poolGeom is a max pool's square window, stride and padding.
type poolGeom struct{ k, stride, pad int }

// outShape returns the pooled shape of an N×C×H×W input (floor mode).
func (g poolGeom) outShape(s tensor.Shape) (tensor.Shape, error) {
	if s.Dims() != 4 || s[2]+2*g.pad < g.k || s[3]+2*g.pad < g.k {
		return nil, fmt.Errorf("want an N×C×H×W input of at least %dx%d with padding %d, got %v", g.k, g.k, g.pad, s)
	}
	return tensor.Shape{s[0], s[1], (s[2]+2*g.pad-g.k)/g.stride + 1, (s[3]+2*g.pad-g.k)/g.stride + 1}, nil
}

// window returns the input rows or columns [lo, hi) under output position
// o: the window clipped to the image, which is PyTorch's padding with -inf.
func (g poolGeom) window(o, size int) (lo, hi int) {
	lo = o*g.stride - g.pad
	return max(lo, 0), min(lo+g.k, size)
}

// argmax returns the offset in plane (h×w) of the largest value under
// output position (oy, ox), the first in row-major order among equals, as
// PyTorch and Gorgonia pick it.
func (g poolGeom) argmax(plane []float32, h, w, oy, ox int) int {
	y0, y1 := g.window(oy, h)
	x0, x1 := g.window(ox, w)
	best := y0*w + x0
	for y := y0; y < y1; y++ {
		for i := y*w + x0; i < y*w+x1; i++ {
			if plane[i] > plane[best] {
				best = i
			}
		}
	}
	return best
}

// pool writes the maxima of one h×w plane's windows into out (oh×ow):
// the values argmax picks. Windows inside the plane take the largest value
// with the builtin max, which picks the same value unless the maximum is
// a zero (argmax picks the first, +0 or -0) or a NaN; NaNs, and the
// clipped windows at the border, ask argmax.
func (g poolGeom) pool(out, plane []float32, h, w, oh, ow int) {
	oy0, oy1 := g.inside(h, oh)
	ox0, ox1 := g.inside(w, ow)
	for oy := 0; oy < oh; oy++ {
		row := out[oy*ow : (oy+1)*ow]
		lo, hi := ox0, ox1
		if oy < oy0 || oy >= oy1 {
			lo, hi = ow, ow
		}
		for ox := range row[:lo] {
			row[ox] = plane[g.argmax(plane, h, w, oy, ox)]
		}
		top := (oy*g.stride - g.pad) * w
		for ox := lo; ox < hi; ox++ {
			win := plane[top+ox*g.stride-g.pad:]
			m := g.windowMax(win, w)
			switch {
			case m == 0:
				m = g.firstZero(win, w)
			case m != m:
				m = plane[g.argmax(plane, h, w, oy, ox)]
			}
			row[ox] = m
		}
		for ox := max(lo, hi); ox < ow; ox++ {
			row[ox] = plane[g.argmax(plane, h, w, oy, ox)]
		}
	}
}

// inside returns the output positions [lo, hi) of a side of size values
// (osize outputs) whose windows lie wholly inside it.
func (g poolGeom) inside(size, osize int) (lo, hi int) {
	lo = min((g.pad+g.stride-1)/g.stride, osize)
	hi = min(max((size+g.pad-g.k)/g.stride+1, lo), osize)
	return lo, hi
}

// firstZero returns the first zero (+0 or -0), in row-major order, of
// the k×k window whose top-left value is win[0], its rows w apart; the
// window's maximum must be zero.
func (g poolGeom) firstZero(win []float32, w int) float32 {
	for y := 0; y < g.k; y++ {
		for _, v := range win[y*w : y*w+g.k] {
			if v == 0 {
				return v
			}
		}
	}
	return 0
}

// windowMax returns the builtin max of the k×k window whose top-left
// value is win[0], its rows w apart.
func (g poolGeom) windowMax(win []float32, w int) float32 {
	m := win[0]
	if g.k == 3 {
		for y := 0; y < 3; y++ {
			r := (*[3]float32)(win[y*w:])
			m = max(m, r[0], r[1], r[2])
		}
		return m
	}
	for y := 0; y < g.k; y++ {
		for _, v := range win[y*w : y*w+g.k] {
			m = max(m, v)
		}
	}
	return m
}

// maxPoolOp is torchvision's MaxPool2d(k, stride, pad) on N×C×H×W.
type maxPoolOp struct {
	opBase
	geom poolGeom
	out  graphop.Output
}

func newMaxPoolOp(name string, g poolGeom, t *team.Team) (*maxPoolOp, error) {
	if g.k < 1 || g.stride < 1 || g.pad < 0 || 2*g.pad > g.k {
		return nil, fmt.Errorf("max pool %s: bad window %d, stride %d or padding %d", name, g.k, g.stride, g.pad)
	}
	return &maxPoolOp{opBase: base("maxpool", name, 1, t), geom: g}, nil
}

// InferShape implements gorgonia.Op.
func (op *maxPoolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return inferConv(op.opBase, in, op.geom.outShape)
}

// Do implements gorgonia.Op.
func (op *maxPoolOp) Do(in ...G.Value) (G.Value, error) {
	x, s, err := op.Float32(in, 0, 4)
	if err != nil {
		return nil, err
	}
	os, err := op.geom.outShape(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	t, dst := op.out.Get(os)
	h, w, oh, ow := s[2], s[3], os[2], os[3]
	parallel(op.team, s[0]*s[1], len(x), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			op.geom.pool(dst[c*oh*ow:(c+1)*oh*ow], x[c*h*w:(c+1)*h*w], h, w, oh, ow)
		}
	})
	return t, nil
}

// SymDiff implements gorgonia.SDOp: each output's gradient goes to the
// input position it took its value from.
func (op *maxPoolOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("%s: want 1 input, got %d", op, len(in))
	}
	back := &maxPoolGradOp{gradBase: gradBase{base("maxpool_grad", op.Name, 2, op.team)}, geom: op.geom}
	g, err := G.ApplyOp(back, in[0], grad)
	return G.Nodes{g}, err
}

// maxPoolGradOp takes a max pool's input x and the gradient of its output
// and returns the gradient with respect to x.
type maxPoolGradOp struct {
	gradBase
	geom poolGeom
	out  graphop.Output
}

// InferShape implements gorgonia.Op: x's shape.
func (op *maxPoolGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return op.InputShape(in, 0)
}

// Do implements gorgonia.Op.
func (op *maxPoolGradOp) Do(in ...G.Value) (G.Value, error) {
	x, s, err := op.Float32(in, 0, 4)
	if err != nil {
		return nil, err
	}
	dy, ds, err := op.Float32(in, 1, 4)
	if err != nil {
		return nil, err
	}
	if os, err := op.geom.outShape(s); err != nil || !os.Eq(ds) {
		return nil, fmt.Errorf("%s: a %v gradient for a %v input", op, ds, s)
	}
	t, dx := op.out.Get(s)
	h, w, oh, ow := s[2], s[3], ds[2], ds[3]
	parallel(op.team, s[0]*s[1], len(x), func(lo, hi int) {
		clear(dx[lo*h*w : hi*h*w])
		for c := lo; c < hi; c++ {
			plane, g, d := x[c*h*w:(c+1)*h*w], dy[c*oh*ow:(c+1)*oh*ow], dx[c*h*w:(c+1)*h*w]
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					d[op.geom.argmax(plane, h, w, oy, ox)] += g[oy*ow+ox]
				}
			}
		}
	})
	return t, nil
}

// avgPoolOp averages each channel of an N×C×H×W tensor over its H×W
// positions, giving N×C (torchvision's avgpool and flatten).
type avgPoolOp struct {
	opBase
	out graphop.Output
}

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
	xs, s, err := float32s(op.opBase, in)
	if err != nil {
		return nil, err
	}
	plane := s[2] * s[3]
	t, dst := op.out.Get(tensor.Shape{s[0], s[1]})
	parallel(op.team, len(dst), len(xs[0]), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var sum float64
			for _, v := range xs[0][i*plane : (i+1)*plane] {
				sum += float64(v)
			}
			dst[i] = float32(sum / float64(plane))
		}
	})
	return t, nil
}

// SymDiff implements gorgonia.SDOp: each position gets 1/(H*W) of its
// channel's gradient.
func (op *avgPoolOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	back := &avgPoolGradOp{gradBase: gradBase{base("avgpool_grad", op.Name, 1, op.team)}, shape: in[0].Shape().Clone()}
	g, err := G.ApplyOp(back, grad)
	return G.Nodes{g}, err
}

// avgPoolGradOp spreads an N×C gradient evenly over N×C×H×W.
type avgPoolGradOp struct {
	gradBase
	shape tensor.Shape // the pooled input's shape
	out   graphop.Output
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
	g, _, err := op.Float32(in, 0, 2)
	if err != nil || len(g) != op.shape[0]*op.shape[1] {
		return nil, fmt.Errorf("%s: want a %d×%d float32 gradient, got %v", op, op.shape[0], op.shape[1], in[0].Shape())
	}
	plane := op.shape[2] * op.shape[3]
	t, dst := op.out.Get(op.shape)
	for i, v := range g {
		v /= float32(plane)
		out := dst[i*plane : (i+1)*plane]
		for j := range out {
			out[j] = v
		}
	}
	return t, nil
}
