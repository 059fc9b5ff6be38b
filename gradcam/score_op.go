package gradcam

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// targetScoreOp reduces an N×K score matrix (logits or probabilities) to
// the sum over images of each image's target score: row i's column
// targets[i], or its largest column when targets[i] is negative (the
// predicted class). The targets are set before each run; the op belongs to
// one graph, which is used by one goroutine at a time.
type targetScoreOp struct {
	targets []int
}

// newTargetScore builds the scalar target score of scores.
func newTargetScore(scores *G.Node, targets []int) (*G.Node, error) {
	return G.ApplyOp(&targetScoreOp{targets: targets}, scores)
}

// Arity implements gorgonia.Op.
func (op *targetScoreOp) Arity() int { return 1 }

// Type implements gorgonia.Op: a matrix to a scalar of its element type.
func (op *targetScoreOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, a)
}

// InferShape implements gorgonia.Op.
func (op *targetScoreOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("target score: want 1 input, got %d", len(in))
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
	if len(in) != 1 {
		return nil, fmt.Errorf("target score: want 1 input, got %d", len(in))
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

// ReturnsPtr implements gorgonia.Op.
func (op *targetScoreOp) ReturnsPtr() bool { return false }

// CallsExtern implements gorgonia.Op.
func (op *targetScoreOp) CallsExtern() bool { return false }

// OverwritesInput implements gorgonia.Op.
func (op *targetScoreOp) OverwritesInput() int { return -1 }

// WriteHash implements gorgonia.Op.
func (op *targetScoreOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "target_score:%p", op) }

// Hashcode implements gorgonia.Op.
func (op *targetScoreOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// String implements fmt.Stringer.
func (op *targetScoreOp) String() string { return "target_score" }

// DiffWRT implements gorgonia.SDOp.
func (op *targetScoreOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements gorgonia.SDOp: the gradient is one at each row's
// target column, times the incoming gradient.
func (op *targetScoreOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g, err := G.ApplyOp(&targetGradOp{score: op}, in[0], grad)
	return G.Nodes{g}, err
}

// targetGradOp is targetScoreOp's gradient: a one-hot N×K matrix scaled by
// the incoming scalar gradient.
type targetGradOp struct {
	score *targetScoreOp
}

// Arity implements gorgonia.Op.
func (op *targetGradOp) Arity() int { return 2 }

// Type implements gorgonia.Op.
func (op *targetGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(m, a, m)
}

// InferShape implements gorgonia.Op.
func (op *targetGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("target score gradient: want 2 inputs, got %d", len(in))
	}
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("target score gradient: bad input shape %v", in[0])
	}
	return s.Clone(), nil
}

// Do implements gorgonia.Op.
func (op *targetGradOp) Do(in ...G.Value) (G.Value, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("target score gradient: want 2 inputs, got %d", len(in))
	}
	data, cols, k, err := op.score.columns(in[0])
	if err != nil {
		return nil, err
	}
	g, ok := in[1].(*G.F32)
	if !ok {
		return nil, fmt.Errorf("target score gradient: want a float32 scalar gradient, got %T", in[1])
	}
	out := make([]float32, len(data))
	for i, c := range cols {
		out[i*k+c] = float32(*g)
	}
	return tensor.New(tensor.WithShape(len(cols), k), tensor.WithBacking(out)), nil
}

// ReturnsPtr implements gorgonia.Op.
func (op *targetGradOp) ReturnsPtr() bool { return false }

// CallsExtern implements gorgonia.Op.
func (op *targetGradOp) CallsExtern() bool { return false }

// OverwritesInput implements gorgonia.Op.
func (op *targetGradOp) OverwritesInput() int { return -1 }

// WriteHash implements gorgonia.Op.
func (op *targetGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "target_grad:%p", op.score) }

// Hashcode implements gorgonia.Op.
func (op *targetGradOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// String implements fmt.Stringer.
func (op *targetGradOp) String() string { return "target_grad" }
