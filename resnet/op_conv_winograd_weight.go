package resnet

import (
	"errors"
	"sync"

	"github.com/xrayllm/xray/internal/gemm"
	"github.com/xrayllm/xray/internal/team"
	"github.com/xrayllm/xray/internal/winograd"
)

// winogradPacked holds a weight's transformed matrices U[ξ] for one
// scheme, each packed as a Cout × Cin matrix.
type winogradPacked struct {
	once sync.Once
	u    []*gemm.Packed
	err  error
}

// winogradWeight returns the weight's transformed matrices for F(m×m,
// 3×3), U[ξ] = (G g Gᵀ)[ξ] for every (Cout, Cin) filter g, transforming
// them on the first call for each scheme, on t.
func (w *convWeight) winogradWeight(m int, t *team.Team) ([]*gemm.Packed, error) {
	wp := &w.wino[m/4] // F(2×2) at 0, F(4×4) at 1
	wp.once.Do(func() {
		u, err := w.winogradTransform(m, t)
		if err != nil {
			wp.err = err
			return
		}
		kk := w.cin * w.cout
		wp.u = make([]*gemm.Packed, len(u)/kk)
		errs := make([]error, len(wp.u))
		t.Run(len(wp.u), func(xi, _ int) {
			um := gemm.Matrix{Rows: w.cout, Cols: w.cin, Stride: w.cin, Data: u[xi*kk : (xi+1)*kk]}
			wp.u[xi], errs[xi] = gemm.Pack(um)
		})
		wp.err = errors.Join(errs...)
	})
	return wp.u, wp.err
}

// winogradTransform returns U[ξ] for F(m×m, 3×3) of every filter, ξ by
// ξ: U[ξ]'s (co, c) at ξ·Cout·Cin + co·Cin + c. The filters are shared
// out among t's members.
func (w *convWeight) winogradTransform(m int, t *team.Team) ([]float32, error) {
	g, err := w.values() // the weights are kept only packed
	if err != nil {
		return nil, err
	}
	kk, tiles := w.cin*w.cout, (m+2)*(m+2)
	u := make([]float32, tiles*kk)
	parts := t.Size()
	t.Run(parts, func(p, _ int) {
		for f := p * kk / parts; f < (p+1)*kk/parts; f++ {
			for xi, v := range filterTransform(m, g[f*9:f*9+9]) {
				u[xi*kk+f] = v
			}
		}
	})
	return u, nil
}

// filterTransform is U = G g Gᵀ of the 3×3 filter g for F(m×m, 3×3).
func filterTransform(m int, g []float32) []float32 {
	if m == 4 {
		u := winograd.FilterTransformF4(g)
		return u[:]
	}
	u := winograd.FilterTransform(g)
	return u[:]
}
