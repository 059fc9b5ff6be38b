package gemm

import "fmt"

// Epilogue is applied to every element of C exactly once, after its full
// sum over the inner dimension, while the tile is still in cache — a
// convolution's batch normalisation, residual addition and ReLU without
// another pass over memory. For element (i, j) holding the sum v, in this
// order and with float32 rounding after every step (never fused):
//
//	v = v*Scale[i]            if Scale is set
//	v = v + Shift[i]          if Shift is set
//	v = v + Residual(i, j)    if Residual is set
//	v = max(v, 0)             if ReLU (Go's max: -0 becomes 0, NaN stays)
//
// so that it equals, bit for bit, the same steps done one by one in Go.
type Epilogue struct {
	// Scale and Shift, when set, hold one value per row of C.
	Scale, Shift []float32
	// Residual, when it has data, is a plain row-major matrix shaped
	// like C, added element by element. It must not overlap C.
	Residual Matrix
	// ReLU clamps negative values to zero.
	ReLU bool
}

// check validates the epilogue against an m×n product.
func (e *Epilogue) check(m, n int) error {
	if e.Scale != nil && len(e.Scale) != m {
		return fmt.Errorf("gemm: epilogue: %d scales for %d rows", len(e.Scale), m)
	}
	if e.Shift != nil && len(e.Shift) != m {
		return fmt.Errorf("gemm: epilogue: %d shifts for %d rows", len(e.Shift), m)
	}
	r := e.Residual
	if r.Data == nil {
		return nil
	}
	if r.Trans || r.Index != nil {
		return fmt.Errorf("gemm: epilogue: residual must be a plain row-major view")
	}
	if r.Rows != m || r.Cols != n {
		return fmt.Errorf("gemm: epilogue: residual %d×%d for a %d×%d product", r.Rows, r.Cols, m, n)
	}
	if err := r.check("residual"); err != nil {
		return fmt.Errorf("gemm: epilogue: %w", err)
	}
	return nil
}

// rowParams returns row i's scale and shift (1 and 0 when unset, which
// leave every value unchanged, -0 included, as the steps are skipped) and
// its residual values from column j0 on (nil when unset).
func (e *Epilogue) rowParams(i, j0, n int) (scale, shift float32, res []float32) {
	scale, shift = 1, 0
	if e.Scale != nil {
		scale = e.Scale[i]
	}
	if e.Shift != nil {
		shift = e.Shift[i]
	}
	if e.Residual.Data != nil {
		o := i*e.Residual.Stride + j0
		res = e.Residual.Data[o : o+n]
	}
	return scale, shift, res
}

// goEpilogue applies e to row i of C, columns [j0, j0+len(row)).
func goEpilogue(e *Epilogue, row []float32, i, j0 int) {
	scale, shift, res := e.rowParams(i, j0, len(row))
	epilogueTail(e, row, scale, shift, res)
}

// epilogueTail applies the epilogue's steps to row, element by element.
// The conversions keep each step rounded to float32 on every
// architecture (the Go spec lets a compiler fuse v*scale+shift otherwise).
func epilogueTail(e *Epilogue, row []float32, scale, shift float32, res []float32) {
	for j, v := range row {
		if e.Scale != nil {
			v = float32(v * scale)
		}
		if e.Shift != nil {
			v = float32(v + shift)
		}
		if res != nil {
			v = float32(v + res[j])
		}
		if e.ReLU {
			v = max(v, 0)
		}
		row[j] = v
	}
}
