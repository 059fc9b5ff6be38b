package gemm

import "github.com/xrayllm/xray/internal/team"

// Cache blocking. A packed block of A (mcTiles tiles high, kc deep) stays
// in L2, as does a packed kc×nc panel of B; one tile's slivers stay in L1.
// kc also fixes the summation order (see the package comment), so it is
// the same for every kernel.
const (
	mcTiles = 20  // tiles of A's rows per block
	kc      = 256 // depth packed at a time
	ncMax   = 512 // most columns of B packed at a time
)

// minParallel is the number of multiply-adds below which splitting a
// product over goroutines costs more than it saves.
const minParallel = 1 << 18

// packCost and streamCost weigh, in multiply-adds, packing one value of B
// and reading one packed value of A from memory, when choosing along
// which side to split a product over goroutines (each goroutine packs the
// B and reads the A its part needs).
const (
	packCost   = 16
	streamCost = 16
)

// problem is one validated multiplication.
type problem struct {
	c    Matrix
	a    Matrix  // packed block by block when pa is nil
	pa   *Packed // A packed once, for mk
	b    Matrix
	src  Source // packs b when set
	k    int
	acc  bool
	ep   *Epilogue
	mk   micro
	pb   []float32  // B packed whole, when the parts share it
	ws   *Workspace // the buffers of a parallel product
	team *team.Team // runs the parts of a parallel product
}

// nc returns the columns of B packed at a time: whole tiles.
func (p *problem) nc() int { return max(1, ncMax/p.mk.nr()) * p.mk.nr() }

// run splits the product, in whole tiles, over w goroutines (the caller's
// among them), each computing its part with its own buffers from ws.
func (p *problem) run(w int, ws *Workspace) {
	m, n := p.c.Rows, p.c.Cols
	ws.ensure(w)
	if w <= 1 {
		p.serial(0, m, 0, n, &ws.bufs[0])
		return
	}
	ws.shared = *p // what the goroutines share; p stays on its caller's stack
	ws.shared.ws = ws
	ws.shared.parallel(w, ws)
	ws.shared = problem{}
}

// parallel runs the product's parts on w goroutines. Split along M, the
// parts share one B, packed whole beforehand by all of them, when it is
// one block of columns wide.
func (p *problem) parallel(w int, ws *Workspace) {
	m, n := p.c.Rows, p.c.Cols
	splitN := p.splitN(w)
	if !splitN && n <= p.nc() {
		ws.packedB = grow(ws.packedB, roundUp(n, PanelWidth)*p.k)
		p.pb = ws.packedB
		p.split(w, n, PanelWidth, func(lo, hi int) part { return part{p: p, j0: lo, j1: hi, packOnly: true} })
		ws.together()
	}
	if splitN {
		p.split(w, n, PanelWidth, func(lo, hi int) part { return part{p: p, i1: m, j0: lo, j1: hi} })
	} else {
		p.split(w, m, p.mk.mr, func(lo, hi int) part { return part{p: p, i0: lo, i1: hi, j1: n} })
	}
	ws.together()
	clear(ws.parts) // keep no references to the caller's matrices
}

// split cuts [0, size) into at most w parts, in multiples of unit, made by
// mk, in p.ws.parts.
func (p *problem) split(w, size, unit int, mk func(lo, hi int) part) {
	ws := p.ws
	per := roundUp((size+w-1)/w, unit)
	ws.parts = ws.parts[:0]
	for lo := 0; lo < size; lo += per {
		pt := mk(lo, min(lo+per, size))
		pt.buf = &ws.bufs[len(ws.parts)]
		ws.parts = append(ws.parts, pt)
	}
}

// together runs ws.parts, the first on the caller's goroutine, and waits
// for all of them.
func (ws *Workspace) together() {
	parts := ws.parts
	ws.shared.team.Run(len(parts), func(i, _ int) { parts[i].do() })
}

// part is one goroutine's share of a product: rows [i0, i1) and columns
// [j0, j1) of C, or, with packOnly, columns [j0, j1) of the shared B.
type part struct {
	p              *problem
	i0, i1, j0, j1 int
	packOnly       bool
	buf            *buffers
}

// do computes the part.
func (pt *part) do() {
	if pt.packOnly {
		pt.p.packShared(pt.j0, pt.j1)
		return
	}
	pt.p.serial(pt.i0, pt.i1, pt.j0, pt.j1, pt.buf)
}

// packShared packs columns [j0, j1) (j0 a multiple of PanelWidth) of B,
// every depth block, into p.pb.
func (p *problem) packShared(j0, j1 int) {
	nPad := roundUp(p.c.Cols, PanelWidth)
	for pc := 0; pc < p.k; pc += kc {
		kcur := min(kc, p.k-pc)
		p.packB(p.pb[pc*nPad+j0*kcur:], pc, kcur, j0, j1-j0)
	}
}

// packB packs rows [pc, pc+kcur) and columns [jc, jc+ncur) of B into dst.
func (p *problem) packB(dst []float32, pc, kcur, jc, ncur int) {
	if p.src != nil {
		packSource(dst, p.src, pc, kcur, jc, ncur)
	} else {
		packB(dst, p.b, pc, kcur, jc, ncur)
	}
}

// splitN reports whether splitting the columns over w goroutines costs
// less than splitting the rows, counting the padded tiles each goroutine
// computes and the panels of A and B it packs or reads (split by rows, B
// is packed once for all when it is narrow enough).
func (p *problem) splitN(w int) bool {
	m, n, k := p.c.Rows, p.c.Cols, p.k
	mr := p.mk.mr
	cost := func(rows, cols, packers int) int {
		rows, cols = roundUp(rows, mr), roundUp(cols, PanelWidth)
		return rows*cols*k + cols*k*packCost/packers + rows*k*streamCost
	}
	perN := roundUp((n+w-1)/w, PanelWidth)
	perM := roundUp((m+w-1)/w, mr)
	packers := 1
	if n <= p.nc() {
		packers = w
	}
	return cost(m, perN, 1) <= cost(perM, n, packers)
}

// serial computes rows [i0, i1) and columns [j0, j1) of c on one
// goroutine, blocking as the constants describe. i0 is a multiple of the
// tile height.
func (p *problem) serial(i0, i1, j0, j1 int, buf *buffers) {
	k, mc, nc := p.k, p.mk.mc(), p.nc()
	if p.pa == nil {
		buf.a = grow(buf.a, min(mc, roundUp(i1-i0, p.mk.mr))*min(kc, k))
	}
	if p.pb == nil {
		buf.b = grow(buf.b, roundUp(min(nc, j1-j0), PanelWidth)*min(kc, k))
	}
	buf.tmp = grow(buf.tmp, p.mk.mr*p.mk.nr())
	for jc := j0; jc < j1; jc += nc {
		ncur := min(nc, j1-jc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			bs := buf.b
			if p.pb != nil { // packed whole, one block of columns wide
				bs = p.pb[pc*roundUp(p.c.Cols, PanelWidth):]
			} else {
				p.packB(bs, pc, kcur, jc, ncur)
			}
			acc, last := p.acc || pc > 0, pc+kcur == k
			for ic := i0; ic < i1; ic += mc {
				mcur := min(mc, i1-ic)
				var as []float32
				if p.pa != nil {
					as = p.pa.block(pc, ic, kcur)
				} else {
					packA(buf.a, p.a, p.mk.mr, ic, mcur, pc, kcur)
					as = buf.a
				}
				p.macro(as, bs, ic, mcur, jc, ncur, kcur, acc, buf.tmp)
				if last && p.ep != nil {
					p.epilogue(ic, mcur, jc, ncur)
				}
			}
		}
	}
}

// macro multiplies a packed mcur×kcur block of A by a packed kcur×ncur
// panel of B into c at (ic, jc), tile by tile; partial edge tiles go
// through tmp.
func (p *problem) macro(pa, pb []float32, ic, mcur, jc, ncur, kcur int, acc bool, tmp []float32) {
	ldc, mr, nr := p.c.Stride, p.mk.mr, p.mk.nr()
	ps := PanelWidth * kcur
	for jr := 0; jr < ncur; jr += nr {
		bs := pb[jr*kcur:]
		nw := min(nr, ncur-jr)
		np := (nw + PanelWidth - 1) / PanelWidth
		for ir := 0; ir < mcur; ir += mr {
			as := pa[ir*kcur:]
			mw := min(mr, mcur-ir)
			off := (ic+ir)*ldc + jc + jr
			if mw == mr && nw == np*PanelWidth {
				p.mk.tile(kcur, as, bs, ps, np, p.c.Data[off:], ldc, acc)
				continue
			}
			p.mk.tile(kcur, as, bs, ps, np, tmp, nr, false)
			addTile(p.c.Data[off:], ldc, tmp, nr, mw, nw, acc)
		}
	}
}

// epilogue applies p.ep to rows [ic, ic+mcur) and columns [jc, jc+ncur)
// of c, just computed in full.
func (p *problem) epilogue(ic, mcur, jc, ncur int) {
	for i := ic; i < ic+mcur; i++ {
		o := i*p.c.Stride + jc
		p.mk.epilogue(p.ep, p.c.Data[o:o+ncur], i, jc)
	}
}

// addTile stores (or, with acc, adds) the top-left mw×nw of tmp, whose
// rows are ldt apart, into c.
func addTile(c []float32, ldc int, tmp []float32, ldt, mw, nw int, acc bool) {
	for i := 0; i < mw; i++ {
		row := c[i*ldc : i*ldc+nw]
		src := tmp[i*ldt : i*ldt+nw]
		if acc {
			for j, v := range src {
				row[j] += v
			}
		} else {
			copy(row, src)
		}
	}
}

// Workspace holds the packing buffers of multiplications, to be reused by
// a caller that multiplies again and again (see Options.Workspace). The
// zero value is ready to use. A Workspace must not be used by two
// multiplications at the same time.
type Workspace struct {
	bufs    []buffers // one per goroutine
	parts   []part    // the goroutines' shares of the current product
	shared  problem   // the current product, as the goroutines see it
	packedB []float32 // B packed whole for the goroutines to share
}

// buffers are one goroutine's packing buffers.
type buffers struct{ a, b, tmp []float32 }

// ensure makes room for w goroutines' buffers.
func (ws *Workspace) ensure(w int) {
	for len(ws.bufs) < w {
		ws.bufs = append(ws.bufs, buffers{})
	}
}

// grow returns s resized to n values, reusing its storage when it can.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// roundUp rounds x up to a multiple of u.
func roundUp(x, u int) int { return (x + u - 1) / u * u }
