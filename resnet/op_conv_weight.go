package resnet

import (
	"fmt"
	"sync"

	"github.com/xrayllm/xray/internal/gemm"
	"gorgonia.org/tensor"
)

// convWeight is a convolution's Cout×Cin×kh×kw weight as its ops read it:
// the values themselves, the same matrix packed once for the forward
// product, its columns in the forward summation order (convGeom.order),
// and its transpose, packed on first use for the gradient. It is read-only
// (but for that first packing, which is synchronised) and shared by every
// graph of a model.
type convWeight struct {
	cout, cin, kh, kw int
	data              []float32 // Cout × Cin·kh·kw
	packed            *gemm.Packed

	once       sync.Once
	transposed *gemm.Packed // Cin·kh·kw × Cout
	packErr    error

	wino winogradPacked // for a 3x3 kernel's Winograd path, on first use
}

// newConvWeight checks and packs the weight of module name.
func newConvWeight(name string, w *tensor.Dense) (*convWeight, error) {
	s := w.Shape()
	if w.Dtype() != tensor.Float32 || s.Dims() != 4 || s.TotalSize() == 0 {
		return nil, fmt.Errorf("conv %s: want a 4-D float32 weight, got %v %v", name, w.Dtype(), s)
	}
	if w.RequiresIterator() {
		w = w.Materialize().(*tensor.Dense)
	}
	data, ok := w.Data().([]float32)
	if !ok || len(data) != s.TotalSize() {
		return nil, fmt.Errorf("conv %s: weight data does not match its shape %v", name, s)
	}
	cw := &convWeight{cout: s[0], cin: s[1], kh: s[2], kw: s[3], data: data}
	g := cw.geom(1, 0)
	a := g.weightMatrix(data, false)
	a.Index = g.order()
	p, err := gemm.Pack(a)
	if err != nil {
		return nil, fmt.Errorf("conv %s: packing the weight: %w", name, err)
	}
	cw.packed = p
	return cw, nil
}

// packedTranspose returns the transposed weight, packed for the gradient's
// product, packing it on the first call.
func (w *convWeight) packedTranspose() (*gemm.Packed, error) {
	w.once.Do(func() {
		w.transposed, w.packErr = gemm.Pack(w.geom(1, 0).weightMatrix(w.data, true))
	})
	return w.transposed, w.packErr
}

// geom returns the geometry of a convolution by this weight.
func (w *convWeight) geom(stride, pad int) convGeom {
	return convGeom{cin: w.cin, cout: w.cout, kh: w.kh, kw: w.kw, stride: stride, pad: pad}
}

// convWeights packs each convolution's weight of a model on first use,
// once, for all the model's graphs. It is safe for concurrent use.
type convWeights struct {
	mu     sync.Mutex
	raw    map[string]*tensor.Dense
	packed map[string]*convWeight
}

// newConvWeights serves the weights of raw, by module name.
func newConvWeights(raw map[string]*tensor.Dense) *convWeights {
	return &convWeights{raw: raw, packed: map[string]*convWeight{}}
}

// get returns the packed weight of module name.
func (c *convWeights) get(name string) (*convWeight, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w, ok := c.packed[name]; ok {
		return w, nil
	}
	raw, ok := c.raw[name]
	if !ok {
		return nil, fmt.Errorf("no weight for %s", name)
	}
	w, err := newConvWeight(name, raw)
	if err != nil {
		return nil, err
	}
	c.packed[name] = w
	return w, nil
}
