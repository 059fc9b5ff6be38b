package gradcam

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/xrayllm/xray/internal/graphop"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var (
	_ G.SDOp = (*targetScoreOp)(nil)
	_ G.Op   = (*targetGradOp)(nil)
)

// targetScoreOp reduces an N×K score matrix (logits or probabilities) to
// the sum over images of each image's target score: row i's column
// targets[i], or its largest column when targets[i] is negative (the
// predicted class). The targets are set before each run; the op belongs to
// one graph, which is used by one goroutine at a time.
type targetScoreOp struct {
	graphop.Base
	targets []int
}

// newTargetScore builds the scalar target score of scores.
func newTargetScore(scores *G.Node, targets []int) (*G.Node, error) {
	return G.ApplyOp(&targetScoreOp{Base: graphop.Base{Kind: "target_score", Inputs: 1}, targets: targets}, scores)
}

// Type implements gorgonia.Op: a matrix to a scalar of its element type.
func (op *targetScoreOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, a)
}

// InferShape implements gorgonia.Op.
func (op *targetScoreOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("%s: want 1 input, got %d", op, len(in))
	}
	if s, ok := in[0].(tensor.Shape); !ok || s.Dims() != 2 || s[0] != len(op.targets) {
		return nil, fmt.Errorf("target score: want a %d×classes matrix, got %v", len(op.targets), in[0])
	}
	return tensor.ScalarShape(), nil
}

// columns resolves each row's target column.
func (op *targetScoreOp) columns(v G.Value) ([]float32, []int, int, error) {
	t, ok := v.(*tensor.Dense)
	if !ok || t.Dtype() != tensor.Float32 || t.Dims() != 2 || t.Shape()[0] != len(op.targets) {
		return nil, nil, 0, fmt.Errorf("target score: want a %d×classes float32 matrix, got %T", len(op.targets), v)
	}
	if t.RequiresIterator() {
		t = t.Materialize().(*tensor.Dense)
	}
	data, k := t.Data().([]float32), t.Shape()[1]
	cols := make([]int, len(op.targets))
	for i, c := range op.targets {
		if c >= k {
			return nil, nil, 0, fmt.Errorf("target score: class %d out of range [0, %d)", c, k)
		}
		if c < 0 {
			c = argmax(data[i*k : (i+1)*k])
		}
		cols[i] = c
	}
	return data, cols, k, nil
}

// argmax returns the index of the largest value (the first of ties).
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Do implements gorgonia.Op.
func (op *targetScoreOp) Do(in ...G.Value) (G.Value, error) {
	if err := op.CheckArity(in); err != nil {
		return nil, err
	}
	data, cols, k, err := op.columns(in[0])
	if err != nil {
		return nil, err
	}
	var s float32
	for i, c := range cols {
		s += data[i*k+c]
	}
	return G.NewF32(s), nil
}

// DiffWRT implements gorgonia.SDOp.
func (op *targetScoreOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements gorgonia.SDOp: the gradient is one at each row's
// target column, times the incoming gradient.
func (op *targetScoreOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	back := &targetGradOp{Base: graphop.Base{Kind: "target_grad", Inputs: 2}, score: op}
	g, err := G.ApplyOp(back, in[0], grad)
	return G.Nodes{g}, err
}

// targetGradOp is targetScoreOp's gradient: a one-hot N×K matrix scaled by
// the incoming scalar gradient.
type targetGradOp struct {
	graphop.Base
	score *targetScoreOp
	out   graphop.Output
}

// Type implements gorgonia.Op.
func (op *targetGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(m, a, m)
}

// InferShape implements gorgonia.Op.
func (op *targetGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return op.InputShape(in, 0)
}

// Do implements gorgonia.Op.
func (op *targetGradOp) Do(in ...G.Value) (G.Value, error) {
	if err := op.CheckArity(in); err != nil {
		return nil, err
	}
	_, cols, k, err := op.score.columns(in[0])
	if err != nil {
		return nil, err
	}
	g, ok := in[1].(*G.F32)
	if !ok {
		return nil, fmt.Errorf("%s: want a float32 scalar gradient, got %T", op, in[1])
	}
	t, out := op.out.Get(tensor.Shape{len(cols), k})
	clear(out)
	for i, c := range cols {
		out[i*k+c] = float32(*g)
	}
	return t, nil
}
