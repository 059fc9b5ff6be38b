package resnet

import (
	"fmt"
	"sync"

	"github.com/xrayllm/xray/internal/gemm"
	"gorgonia.org/tensor"
)

// convWeight is a convolution's Cout×Cin×kh×kw weight as its ops read it:
// packed once for the forward product, its columns in the forward
// summation order (convGeom.order), and its transpose, packed on first
// use for the gradient. The unpacked values are not kept (values recovers
// them), so a model holds its convolution weights once. It is read-only
// (but for that first packing, which is synchronised) and shared by every
// graph of a model.
type convWeight struct {
	cout, cin, kh, kw int
	packed            *gemm.Packed

	once       sync.Once
	transposed *gemm.Packed // Cin·kh·kw × Cout
	packErr    error

	wino [2]winogradPacked // a 3x3 kernel's Winograd weights, F(2×2) and F(4×4), on first use
}

// newConvWeight checks and packs the weight of module name; w is not
// retained.
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
	cw := &convWeight{cout: s[0], cin: s[1], kh: s[2], kw: s[3]}
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

// values returns a copy of the weight, Cout × Cin·kh·kw in PyTorch's
// (c, ky, kx) order, unpacked from the forward product's packing.
func (w *convWeight) values() ([]float32, error) {
	g := w.geom(1, 0)
	k := g.depth()
	fwd := make([]float32, w.cout*k)
	if err := w.packed.Unpack(fwd); err != nil {
		return nil, err
	}
	order := g.order()
	if order == nil {
		return fwd, nil
	}
	out := make([]float32, len(fwd))
	for co := 0; co < w.cout; co++ {
		row, src := out[co*k:(co+1)*k], fwd[co*k:(co+1)*k]
		for q, r := range order {
			row[r] = src[q]
		}
	}
	return out, nil
}

// packedTranspose returns the transposed weight, packed for the gradient's
// product, packing it on the first call.
func (w *convWeight) packedTranspose() (*gemm.Packed, error) {
	w.once.Do(func() {
		data, err := w.values()
		if err != nil {
			w.packErr = err
			return
		}
		w.transposed, w.packErr = gemm.Pack(w.geom(1, 0).weightMatrix(data, true))
	})
	return w.transposed, w.packErr
}

// geom returns the geometry of a convolution by this weight.
func (w *convWeight) geom(stride, pad int) convGeom {
	return convGeom{cin: w.cin, cout: w.cout, kh: w.kh, kw: w.kw, stride: stride, pad: pad}
}

// convWeights are a model's packed convolution weights, by module name,
// packed once when the model is built. They are read-only, so safe for
// concurrent use.
type convWeights map[string]*convWeight

// get returns the packed weight of module name.
func (c convWeights) get(name string) (*convWeight, error) {
	w, ok := c[name]
	if !ok {
		return nil, fmt.Errorf("no weight for %s", name)
	}
	return w, nil
}
