package resnet

import (
	"github.com/xrayllm/xray/internal/team"
	G "gorgonia.org/gorgonia"
)

// This file is the seam between the network's structure (graph.go) and the
// operations that compute it. Every layer is built through one of the
// functions below, so a faster implementation replaces one function here
// and leaves the graph's names, and everything that differentiates
// through it, unchanged.

// conv2d builds a bias-free 2-D convolution, as torchvision's ResNet uses,
// of module name with the weight w, a constant of the op shared read-only
// (see convOp); only the input is differentiated. It runs in scratch,
// shared by the graph's convolutions.
func conv2d(x *G.Node, w *convWeight, name string, stride, pad int, scratch *convScratch) (*G.Node, error) {
	op, err := newConvOp(name, w, stride, pad, convPost{}, scratch)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(op, x)
}

// convBN builds conv2d followed by the folded batch norm bn, plus residual
// when it is not nil, then a ReLU when relu is set, as one op whose values
// equal those of the separate ops bit for bit.
func convBN(x, residual *G.Node, w *convWeight, bn affine, name string, stride, pad int, relu bool, scratch *convScratch) (*G.Node, error) {
	op, err := newConvOp(name, w, stride, pad, convPost{bn: &bn, residual: residual != nil, relu: relu}, scratch)
	if err != nil {
		return nil, err
	}
	if residual != nil {
		return G.ApplyOp(op, x, residual)
	}
	return G.ApplyOp(op, x)
}

// batchNorm applies eval-mode batch normalisation, folded into a
// per-channel affine map y = x*scale + shift.
func batchNorm(x *G.Node, name string, p affine, t *team.Team) (*G.Node, error) {
	return G.ApplyOp(newAffineOp(name, p.scale, p.shift, t), x)
}

// maxPool builds torchvision's stem max pooling, MaxPool2d(3, 2, 1).
func maxPool(x *G.Node, name string, t *team.Team) (*G.Node, error) {
	op, err := newMaxPoolOp(name, poolGeom{k: 3, stride: 2, pad: 1}, t)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(op, x)
}

// globalAvgPool averages each channel over its spatial positions: N×C×H×W
// to N×C (torchvision's avgpool followed by flatten).
func globalAvgPool(x *G.Node, t *team.Team) (*G.Node, error) {
	return G.ApplyOp(&avgPoolOp{opBase: base("avgpool", "avgpool", 1, t)}, x)
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
func relu(x *G.Node, name string, t *team.Team) (*G.Node, error) {
	return G.ApplyOp(newReLUOp(name, t), x)
}

// addReLU builds max(a+b, 0), the end of a BasicBlock.
func addReLU(a, b *G.Node, name string, t *team.Team) (*G.Node, error) {
	return G.ApplyOp(newAddReLUOp(name, t), a, b)
}

// probe builds a + z where z is a zero-valued input node: the value is a's,
// and the gradient with respect to z is the gradient with respect to a.
func probe(a, z *G.Node, name string, t *team.Team) (*G.Node, error) {
	return G.ApplyOp(newProbeOp(name, t), a, z)
}

// affine holds a per-channel y = x*scale + shift.
type affine struct {
	scale, shift []float32
}
