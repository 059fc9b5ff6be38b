// Package gemm multiplies single-precision row-major matrices:
// C = op(A)·op(B), optionally added to C, where op transposes or not.
//
// The work is blocked for the caches (panels of A and B are packed into
// contiguous buffers) and computed by a 6×16 register-tile micro-kernel:
// AVX2/FMA assembly on amd64 CPUs that have it, portable Go elsewhere.
// Large products are split over goroutines, each with its own buffers;
// the package has no mutable global state.
//
// Two extensions serve convolutions: Matrix.Index reads a matrix through
// a column permutation (to sum in another order without a copy), and
// MulSource takes B as a Source that packs its own panels (an im2col that
// is never stored).
package gemm

import (
	"fmt"
	"runtime"
	"sync"
)

// Register tile and cache blocking. A packed MC×KC block of A stays in L2,
// a packed KC×NC panel of B in L2/L3, and a KC×NR sliver of B in L1.
const (
	mr = 6   // rows of the micro-kernel's tile
	nr = 16  // columns of the micro-kernel's tile
	mc = 120 // rows of A packed at a time (a multiple of mr)
	kc = 256 // depth packed at a time
	nc = 512 // columns of B packed at a time
)

// minParallel is the number of multiply-adds below which splitting a
// product over goroutines costs more than it saves.
const minParallel = 1 << 18

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
	// Accumulate adds the product to C instead of overwriting C.
	Accumulate bool
	// Workers bounds the goroutines used; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// NoAsm forces the portable Go micro-kernel (for tests and
	// comparisons).
	NoAsm bool
}

// Mul computes c = a·b (c += a·b with Options.Accumulate). c must not be
// transposed and must not overlap a or b. It returns an error, and leaves c
// unchanged, when the shapes disagree or a view does not fit its data.
func Mul(c, a, b Matrix, o Options) error {
	if err := checkShapes(c, a, b); err != nil {
		return err
	}
	return mul(c, a, b, nil, o)
}

// PanelWidth is the number of columns of B in one packed panel (see
// Source).
const PanelWidth = nr

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
	for _, v := range []struct {
		name string
		m    Matrix
	}{{"a", a}, {"c", c}} {
		if err := v.m.check(v.name); err != nil {
			return err
		}
	}
	rows, cols := b.Size()
	if c.Trans || c.Index != nil {
		return fmt.Errorf("gemm: c must be a plain row-major view")
	}
	if a.Rows != c.Rows || cols != c.Cols || a.Cols != rows {
		return fmt.Errorf("gemm: shapes disagree: c %d×%d = a %d×%d · b %d×%d", c.Rows, c.Cols, a.Rows, a.Cols, rows, cols)
	}
	return mul(c, a, Matrix{Rows: rows, Cols: cols}, b, o)
}

// mul runs a validated product, b packed by src when src is set.
func mul(c, a, b Matrix, src Source, o Options) error {
	m, n, k := c.Rows, c.Cols, a.Cols
	if m == 0 || n == 0 {
		return nil
	}
	if k == 0 {
		if !o.Accumulate {
			for i := 0; i < m; i++ {
				clear(c.Data[i*c.Stride : i*c.Stride+n])
			}
		}
		return nil
	}
	kern := goKernel
	if hasAsm && !o.NoAsm {
		kern = asmKernel
	}
	p := problem{c: c, a: a, b: b, src: src, acc: o.Accumulate, kern: kern}
	p.run(workers(o.Workers, m, n, k))
	return nil
}

// checkShapes validates the three views against each other.
func checkShapes(c, a, b Matrix) error {
	for _, v := range []struct {
		name string
		m    Matrix
	}{{"a", a}, {"b", b}, {"c", c}} {
		if err := v.m.check(v.name); err != nil {
			return err
		}
	}
	if c.Trans || c.Index != nil {
		return fmt.Errorf("gemm: c must be a plain row-major view")
	}
	if a.Rows != c.Rows || b.Cols != c.Cols || a.Cols != b.Rows {
		return fmt.Errorf("gemm: shapes disagree: c %d×%d = a %d×%d · b %d×%d", c.Rows, c.Cols, a.Rows, a.Cols, b.Rows, b.Cols)
	}
	return nil
}

// workers chooses how many goroutines an m×n×k product uses.
func workers(limit, m, n, k int) int {
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	if m*n*k < minParallel {
		return 1
	}
	// No more workers than tiles along the split dimension.
	tiles := max((n+nr-1)/nr, (m+mr-1)/mr)
	return max(1, min(limit, tiles))
}

// kernel computes a packed mr×nr tile into c (see asmKernel).
type kernel func(kc int, a, b, c []float32, ldc int, acc bool)

// problem is one validated multiplication.
type problem struct {
	c, a, b Matrix
	src     Source // packs b when set
	acc     bool
	kern    kernel
}

// run splits the product along its longer side, in whole tiles, over w
// goroutines, each computing its part with its own packing buffers.
func (p problem) run(w int) {
	m, n := p.c.Rows, p.c.Cols
	if w <= 1 {
		p.serial(0, m, 0, n)
		return
	}
	splitN := (n+nr-1)/nr >= (m+mr-1)/mr
	size, unit := m, mr
	if splitN {
		size, unit = n, nr
	}
	per := ((size+w-1)/w + unit - 1) / unit * unit
	var wg sync.WaitGroup
	for lo := 0; lo < size; lo += per {
		hi := min(lo+per, size)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if splitN {
				p.serial(0, m, lo, hi)
			} else {
				p.serial(lo, hi, 0, n)
			}
		}()
	}
	wg.Wait()
}

// serial computes rows [i0, i1) and columns [j0, j1) of c on one goroutine,
// blocking as the package comment describes.
func (p problem) serial(i0, i1, j0, j1 int) {
	k := p.a.Cols
	bufA := make([]float32, min(mc, roundUp(i1-i0, mr))*min(kc, k))
	bufB := make([]float32, min(nc, roundUp(j1-j0, nr))*min(kc, k))
	var tmp [mr * nr]float32
	for jc := j0; jc < j1; jc += nc {
		ncur := min(nc, j1-jc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			if p.src != nil {
				packSource(bufB, p.src, pc, kcur, jc, ncur)
			} else {
				packB(bufB, p.b, pc, kcur, jc, ncur)
			}
			acc := p.acc || pc > 0
			for ic := i0; ic < i1; ic += mc {
				mcur := min(mc, i1-ic)
				packA(bufA, p.a, ic, mcur, pc, kcur)
				p.macro(bufA, bufB, ic, mcur, jc, ncur, kcur, acc, &tmp)
			}
		}
	}
}

// macro multiplies a packed mcur×kcur block of A by a packed kcur×ncur
// panel of B into c at (ic, jc), tile by tile; partial edge tiles go
// through tmp.
func (p problem) macro(pa, pb []float32, ic, mcur, jc, ncur, kcur int, acc bool, tmp *[mr * nr]float32) {
	ldc := p.c.Stride
	for jr := 0; jr < ncur; jr += nr {
		bs := pb[jr*kcur : (jr+nr)*kcur]
		nw := min(nr, ncur-jr)
		for ir := 0; ir < mcur; ir += mr {
			as := pa[ir*kcur : (ir+mr)*kcur]
			mw := min(mr, mcur-ir)
			off := (ic+ir)*ldc + jc + jr
			if mw == mr && nw == nr {
				p.kern(kcur, as, bs, p.c.Data[off:], ldc, acc)
				continue
			}
			p.kern(kcur, as, bs, tmp[:], nr, false)
			addTile(p.c.Data[off:], ldc, tmp, mw, nw, acc)
		}
	}
}

// addTile stores (or, with acc, adds) the top-left mw×nw of tmp into c.
func addTile(c []float32, ldc int, tmp *[mr * nr]float32, mw, nw int, acc bool) {
	for i := 0; i < mw; i++ {
		row := c[i*ldc : i*ldc+nw]
		src := tmp[i*nr : i*nr+nw]
		if acc {
			for j, v := range src {
				row[j] += v
			}
		} else {
			copy(row, src)
		}
	}
}

// roundUp rounds x up to a multiple of u.
func roundUp(x, u int) int { return (x + u - 1) / u * u }
