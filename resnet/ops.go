package resnet

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file is the seam between the network's structure (graph.go) and the
// operations that compute it. Every layer is built through one of the
// functions below, so a faster implementation (a fused convolution with its
// own gradient, say) replaces one function here and leaves the graph's
// names, and everything that differentiates through it, unchanged.

// conv2d builds a bias-free 2-D convolution, as torchvision's ResNet uses,
// of module name with the Cout×Cin×kh×kw weight w, a constant of the op
// shared read-only (see convOp); only the input is differentiated.
func conv2d(x *G.Node, w *tensor.Dense, name string, stride, pad int) (*G.Node, error) {
	op, err := newConvOp(name, w, stride, pad)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(op, x)
}

// batchNorm applies eval-mode batch normalisation, folded into a
// per-channel affine map y = x*scale + shift.
func batchNorm(x *G.Node, name string, p affine) (*G.Node, error) {
	return G.ApplyOp(newAffineOp(name, p.scale, p.shift), x)
}

// maxPool builds torchvision's stem max pooling (3x3, stride 2, padding 1).
// It follows a ReLU, so padding with zeros equals PyTorch's -inf padding.
func maxPool(x *G.Node) (*G.Node, error) {
	return G.MaxPool2D(x, tensor.Shape{3, 3}, []int{1, 1}, []int{2, 2})
}

// globalAvgPool averages each channel over its spatial positions: N×C×H×W
// to N×C (torchvision's avgpool followed by flatten).
func globalAvgPool(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&avgPoolOp{opBase{kind: "avgpool", name: "avgpool", arity: 1}}, x)
}

// linear computes x·wᵀ + b with wt already transposed to in×out and b of
// shape 1×out.
func linear(x, wt, b *G.Node) (*G.Node, error) {
	y, err := G.Mul(x, wt)
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(y, b, nil, []byte{0})
}

// relu builds max(x, 0).
func relu(x *G.Node, name string) (*G.Node, error) {
	return G.ApplyOp(&reluOp{opBase{kind: "relu", name: name, arity: 1}}, x)
}

// addReLU builds max(a+b, 0), the end of a BasicBlock.
func addReLU(a, b *G.Node, name string) (*G.Node, error) {
	return G.ApplyOp(&addReLUOp{opBase{kind: "add_relu", name: name, arity: 2}}, a, b)
}

// probe builds a + z where z is a zero-valued input node: the value is a's,
// and the gradient with respect to z is the gradient with respect to a.
func probe(a, z *G.Node, name string) (*G.Node, error) {
	return G.ApplyOp(&probeOp{opBase{kind: "probe", name: name, arity: 2}}, a, z)
}

// affine holds a per-channel y = x*scale + shift.
type affine struct {
	scale, shift []float32
}
