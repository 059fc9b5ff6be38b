package resnet

import (
	"github.com/xrayllm/xray/internal/gemm"
	"gorgonia.org/tensor"
)

// maxBatchedColumns is the size of the output maps (OH·OW) below which a
// batch's images are multiplied by the weight in one product, side by
// side, so that the weight streams from memory once for the batch (the
// maps of layer3 and layer4 are 14x14 and 7x7 at 224x224). Each value is
// the same sum as image by image, bit for bit.
const maxBatchedColumns = 256

// batched reports whether forward multiplies a batch of shape s with
// output shape os in one product.
func (op *convOp) batched(s, os tensor.Shape) bool {
	return s[0] > 1 && os[2]*os[3] < maxBatchedColumns && !op.geom.direct()
}

// forwardBatched is forward for all images of x in one product: C is
// Cout × N·P in the scratch, the residual gathered into that layout and
// the result scattered back to NCHW.
func (op *convOp) forwardBatched(out, x, res []float32, s, os tensor.Shape, o gemm.Options) error {
	g, sc := op.geom, op.scratch
	n, p := s[0], os[2]*os[3]
	u := op.unfolding(s, os)
	u.images = n
	defer func() { u.images = 1 }()
	u.img = x
	if g.pad > 0 {
		in, padded := s[1]*s[2]*s[3], s[1]*u.h*u.w
		u.img = grow(&sc.padded, n*padded)
		for i := 0; i < n; i++ {
			padImage(op.team, u.img[i*padded:(i+1)*padded], x[i*in:(i+1)*in], s[1], s[2], s[3], g.pad)
		}
	}
	cols := n * p
	c := gemm.Matrix{Rows: g.cout, Cols: cols, Stride: cols, Data: grow(&sc.batchOut, g.cout*cols)}
	if res != nil {
		r := grow(&sc.batchRes, g.cout*cols)
		sideBySide(r, res, n, g.cout, p)
		op.ep.Residual = gemm.Matrix{Rows: g.cout, Cols: cols, Stride: cols, Data: r}
	}
	if err := gemm.MulPacked(c, op.w.packed, u, o); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		for co := 0; co < g.cout; co++ {
			copy(out[(i*g.cout+co)*p:(i*g.cout+co+1)*p], c.Data[co*cols+i*p:co*cols+(i+1)*p])
		}
	}
	return nil
}

// sideBySide copies n images of c×p values (NCHW) into dst as a c × n·p
// matrix, image i in columns [i·p, (i+1)·p).
func sideBySide(dst, src []float32, n, c, p int) {
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			copy(dst[ch*n*p+i*p:ch*n*p+(i+1)*p], src[(i*c+ch)*p:(i*c+ch+1)*p])
		}
	}
}
