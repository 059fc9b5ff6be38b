// Package gemm multiplies single-precision row-major matrices:
// C = op(A)·op(B), optionally added to C, where op transposes or not.
//
// The work is blocked for the caches (panels of A and B are packed into
// contiguous buffers) and computed by a register-tile micro-kernel chosen
// at start-up (see Kernel): AVX-512 or AVX2/FMA assembly on amd64 CPUs
// that have it, portable Go elsewhere. Large products are split over
// goroutines, each with its own buffers; the package's only global state
// is that choice, made once.
//
// Every element of C is summed over the inner dimension in increasing
// order, in float32, within depth blocks of 256, the blocks' sums added
// to C in increasing order, whatever the kernel, its tile or the split
// over goroutines. The assembly kernels fuse each multiply-add and so
// agree bit for bit; the Go one rounds products and sums apart.
//
// Extensions serve convolutions: Matrix.Index reads a matrix through a
// column permutation (to sum in another order without a copy), MulSource
// takes B as a Source that packs its own panels (an im2col that is never
// stored), Pack packs A once for many products, Options.Epilogue applies
// batch normalisation, a residual and ReLU as C is stored, and
// Options.Workspace reuses the packing buffers.
package gemm

import (
	"fmt"

	"github.com/xrayllm/xray/internal/team"
)

// Matrix is a row-major view of Rows×Cols float32 values: element (i, j)
// is Data[i*Stride+j], or, when Trans is set, the view is the transpose of
// the stored matrix and element (i, j) is Data[j*Stride+i].
//
// Index, when set, permutes the stored matrix's columns: stored element
// (r, q) is Data[r*Stride+Index[q]] instead of Data[r*Stride+q]. It lets a
// product sum over its inner dimension in another order without copying.
type Matrix struct {
	Rows, Cols int
	Stride     int
	Data       []float32
	Trans      bool
	Index      []int
}

// steps returns the offsets between consecutive rows and consecutive
// columns of the view (the stored column step is 1 without Index).
func (m Matrix) steps() (row, col int) {
	if m.Trans {
		return 1, m.Stride
	}
	return m.Stride, 1
}

// offset returns the position in Data of the view's element (i, j).
func (m Matrix) offset(i, j int) int {
	if m.Trans {
		i, j = j, i
	}
	if m.Index != nil {
		return i*m.Stride + m.Index[j]
	}
	return i*m.Stride + j
}

// check reports whether the view fits its data.
func (m Matrix) check(name string) error {
	if m.Rows < 0 || m.Cols < 0 {
		return fmt.Errorf("gemm: %s: negative size %d×%d", name, m.Rows, m.Cols)
	}
	if m.Rows == 0 || m.Cols == 0 {
		return nil
	}
	inner, outer := m.Cols, m.Rows
	if m.Trans {
		inner, outer = m.Rows, m.Cols
	}
	span, err := m.rowSpan(name, inner)
	if err != nil {
		return err
	}
	if m.Stride < span {
		return fmt.Errorf("gemm: %s: stride %d below row length %d", name, m.Stride, span)
	}
	if need := (outer-1)*m.Stride + span; len(m.Data) < need {
		return fmt.Errorf("gemm: %s: %d values, a %d×%d view at stride %d needs %d", name, len(m.Data), m.Rows, m.Cols, m.Stride, need)
	}
	return nil
}

// rowSpan returns how many values one stored row spans: its length, or
// one past the largest entry of Index, which must have one non-negative
// entry per stored column.
func (m Matrix) rowSpan(name string, inner int) (int, error) {
	if m.Index == nil {
		return inner, nil
	}
	if len(m.Index) != inner {
		return 0, fmt.Errorf("gemm: %s: %d indices for %d stored columns", name, len(m.Index), inner)
	}
	span := 0
	for _, q := range m.Index {
		if q < 0 {
			return 0, fmt.Errorf("gemm: %s: negative index %d", name, q)
		}
		span = max(span, q+1)
	}
	return span, nil
}

// Options controls a multiplication.
type Options struct {
	// Accumulate adds the product to C instead of overwriting C. It
	// cannot be combined with Epilogue.
	Accumulate bool
	// Workers bounds the goroutines used; 0 means Team.Size().
	Workers int
	// Team, when set, runs the parts of a product split over goroutines
	// (see package team); nil starts fresh goroutines for each product.
	Team *team.Team
	// Kernel chooses the micro-kernel (for tests and comparisons);
	// KernelAuto means DefaultKernel. A kernel this CPU does not run is
	// an error.
	Kernel Kernel
	// NoAsm forces the portable Go micro-kernel, like Kernel: KernelGo.
	NoAsm bool
	// Epilogue, when set, is applied to every element of C after its sum
	// (see Epilogue).
	Epilogue *Epilogue
	// Workspace, when set, supplies the packing buffers, so that repeated
	// products allocate nothing once it has grown to their size. It must
	// not be used by two products at the same time.
	Workspace *Workspace
}

// kernelAsked names the kernel o asks for, for errors.
func (o Options) kernelAsked() Kernel {
	if o.NoAsm {
		return KernelGo
	}
	return o.Kernel
}

// Mul computes c = a·b (c += a·b with Options.Accumulate). c must not be
// transposed and must not overlap a or b. It returns an error, and leaves c
// unchanged, when the shapes disagree or a view does not fit its data.
func Mul(c, a, b Matrix, o Options) error {
	if err := checkViews(a, b); err != nil {
		return err
	}
	if err := checkProduct(c, a, b); err != nil {
		return err
	}
	return mul(problem{c: c, a: a, b: b}, o)
}

// PanelWidth is the number of columns of B in one packed panel (see
// Source). Every kernel reads B in panels of this width.
const PanelWidth = 16

// Source is a matrix B that packs itself, for products whose B is never
// stored whole (an implicit im2col, say).
type Source interface {
	// Size returns B's numbers of rows and columns.
	Size() (rows, cols int)
	// Pack writes rows [p0, p0+depth) of columns [j0, j0+w) of B, with
	// 1 ≤ w ≤ PanelWidth, into panel: panel[p*PanelWidth+j] = B(p0+p,
	// j0+j) for j < w (the rest is zero already). It is called
	// concurrently on disjoint panels.
	Pack(panel []float32, p0, depth, j0, w int)
}

// MulSource computes c = a·b like Mul, with b supplied by a Source.
func MulSource(c, a Matrix, b Source, o Options) error {
	if b == nil {
		return fmt.Errorf("gemm: nil source")
	}
	rows, cols := b.Size()
	bv := Matrix{Rows: rows, Cols: cols}
	if err := checkViews(a); err != nil {
		return err
	}
	if err := checkProduct(c, a, bv); err != nil {
		return err
	}
	return mul(problem{c: c, a: a, b: bv, src: b}, o)
}

// checkViews checks that the operands a and, if given, b fit their data.
func checkViews(a Matrix, b ...Matrix) error {
	if err := a.check("a"); err != nil {
		return err
	}
	for _, m := range b {
		if err := m.check("b"); err != nil {
			return err
		}
	}
	return nil
}

// checkProduct validates c and the shapes of c = a·b (the operands are
// checked by checkViews, when they have data).
func checkProduct(c, a, b Matrix) error {
	if err := c.check("c"); err != nil {
		return err
	}
	if c.Trans || c.Index != nil {
		return fmt.Errorf("gemm: c must be a plain row-major view")
	}
	if a.Rows != c.Rows || b.Cols != c.Cols || a.Cols != b.Rows || b.Rows < 0 || b.Cols < 0 {
		return fmt.Errorf("gemm: shapes disagree: c %d×%d = a %d×%d · b %d×%d", c.Rows, c.Cols, a.Rows, a.Cols, b.Rows, b.Cols)
	}
	return nil
}

// mul completes p from o and runs it.
func mul(p problem, o Options) error {
	k, err := o.resolve()
	if err != nil {
		return err
	}
	if o.Epilogue != nil {
		if o.Accumulate {
			return fmt.Errorf("gemm: an epilogue cannot accumulate")
		}
		if err := o.Epilogue.check(p.c.Rows, p.c.Cols); err != nil {
			return err
		}
	}
	p.mk, p.k, p.acc, p.ep = micros(k), p.a.Cols, o.Accumulate, o.Epilogue
	m, n := p.c.Rows, p.c.Cols
	if m == 0 || n == 0 {
		return nil
	}
	if p.k == 0 {
		p.zero()
		return nil
	}
	ws := o.Workspace
	if ws == nil {
		ws = new(Workspace)
	}
	p.team = o.Team
	p.run(workers(o.Workers, o.Team.Size(), m, n, p.k), ws)
	return nil
}

// zero computes an empty sum: c = 0 (unchanged with acc), then the
// epilogue.
func (p *problem) zero() {
	for i := 0; i < p.c.Rows; i++ {
		row := p.c.Data[i*p.c.Stride : i*p.c.Stride+p.c.Cols]
		if !p.acc {
			clear(row)
		}
		if p.ep != nil {
			p.mk.epilogue(p.ep, row, i, 0)
		}
	}
}

// workers chooses how many goroutines an m×n×k product uses, at most
// limit, or size when limit is 0.
func workers(limit, size, m, n, k int) int {
	if limit <= 0 {
		limit = size
	}
	if m*n*k < minParallel {
		return 1
	}
	return max(1, min(limit, max(m, n)))
}
