package gemm

import "fmt"

// Packed is a matrix A packed once into the panel order of one kernel's
// micro-kernel, for products A·B with many B (a convolution's weights,
// packed at load, multiplied by every image). It is read-only after
// packing and safe to share between goroutines.
type Packed struct {
	rows, cols int
	kernel     Kernel
	mr         int       // tile height of kernel
	data       []float32 // depth blocks of kc, each roundUp(rows, mr) rows of mr-row panels
}

// Pack packs a (any view: Trans and Index are honoured) for the default
// kernel.
func Pack(a Matrix) (*Packed, error) { return PackFor(a, KernelAuto) }

// PackFor packs a for kernel k (KernelAuto: the default kernel).
func PackFor(a Matrix, k Kernel) (*Packed, error) {
	k, err := Options{Kernel: k}.resolve()
	if err != nil {
		return nil, err
	}
	if err := a.check("a"); err != nil {
		return nil, err
	}
	mk := micros(k)
	mPad := roundUp(a.Rows, mk.mr)
	p := &Packed{rows: a.Rows, cols: a.Cols, kernel: k, mr: mk.mr, data: make([]float32, mPad*a.Cols)}
	for pc := 0; pc < a.Cols; pc += kc {
		kcur := min(kc, a.Cols-pc)
		packA(p.data[pc*mPad:], a, mk.mr, 0, a.Rows, pc, kcur)
	}
	return p, nil
}

// Rows returns the number of rows of the packed matrix.
func (p *Packed) Rows() int { return p.rows }

// Cols returns the number of columns of the packed matrix.
func (p *Packed) Cols() int { return p.cols }

// Kernel returns the kernel the matrix is packed for; MulPacked uses it.
func (p *Packed) Kernel() Kernel { return p.kernel }

// Unpack writes the packed matrix into dst as a row-major Rows×Cols
// matrix: the view Pack was given, with its Trans and Index applied, so a
// caller may drop the original once packed and recover it when needed.
func (p *Packed) Unpack(dst []float32) error {
	if len(dst) < p.rows*p.cols {
		return fmt.Errorf("gemm: unpacking a %d×%d matrix into %d values", p.rows, p.cols, len(dst))
	}
	for pc := 0; pc < p.cols; pc += kc {
		kcur := min(kc, p.cols-pc)
		for i := 0; i < p.rows; i++ {
			panel, r := p.block(pc, i/p.mr*p.mr, kcur), i%p.mr
			row := dst[i*p.cols+pc : i*p.cols+pc+kcur]
			for q := range row {
				row[q] = panel[q*p.mr+r]
			}
		}
	}
	return nil
}

// block returns the packed panels of rows from ic (a multiple of the tile
// height) of the depth block that starts at pc and is kcur deep.
func (p *Packed) block(pc, ic, kcur int) []float32 {
	return p.data[pc*roundUp(p.rows, p.mr)+ic*kcur:]
}

// MulPacked computes c = a·b like MulSource, with a packed by Pack. It uses
// the kernel a was packed for; Options.Kernel must be KernelAuto or that
// kernel.
func MulPacked(c Matrix, a *Packed, b Source, o Options) error {
	if b == nil {
		return fmt.Errorf("gemm: nil source")
	}
	rows, cols := b.Size()
	return mulPacked(c, a, Matrix{Rows: rows, Cols: cols}, b, o)
}

// MulPackedMatrix computes c = a·b like Mul, with a packed by Pack (see
// MulPacked).
func MulPackedMatrix(c Matrix, a *Packed, b Matrix, o Options) error {
	if err := b.check("b"); err != nil {
		return err
	}
	return mulPacked(c, a, b, nil, o)
}

// mulPacked checks a packed product and runs it.
func mulPacked(c Matrix, a *Packed, b Matrix, src Source, o Options) error {
	if a == nil {
		return fmt.Errorf("gemm: nil packed matrix")
	}
	if o.NoAsm || (o.Kernel != KernelAuto && o.Kernel != a.kernel) {
		return fmt.Errorf("gemm: a is packed for kernel %v, options ask for %v", a.kernel, o.kernelAsked())
	}
	o.Kernel = a.kernel
	av := Matrix{Rows: a.rows, Cols: a.cols}
	if err := checkProduct(c, av, b); err != nil {
		return err
	}
	return mul(problem{c: c, a: av, pa: a, b: b, src: src}, o)
}
