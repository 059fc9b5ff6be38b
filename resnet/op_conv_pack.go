package resnet

import "github.com/xrayllm/xray/internal/gemm"

// unfolded is one image's unfolding (im2col) in the forward row order
// (convGeom.row), never stored: the GEMM asks it for packed panels, which
// it gathers straight from the image. It implements gemm.Source and is
// read-only, so panels may be packed concurrently.
type unfolded struct {
	img          []float32 // C×h×w
	g            convGeom
	h, w, oh, ow int
	rows         []unfoldRow // per row of the unfolding
	spans        [][2]int    // per kx: the output columns whose input column is inside
}

// unfoldRow locates one row of the unfolding: its channel plane's offset
// in the image, its kernel position, and the end of its group, the run of
// following rows with the same kernel position and consecutive channels.
type unfoldRow struct{ plane, ky, kx, end int }

// newUnfolded describes the unfolding of h×w images with output oh×ow;
// bind an image with its img field.
func newUnfolded(g convGeom, h, w, oh, ow int) *unfolded {
	u := &unfolded{g: g, h: h, w: w, oh: oh, ow: ow, rows: make([]unfoldRow, g.depth()), spans: make([][2]int, g.kw)}
	for c := 0; c < g.cin; c++ {
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				u.rows[g.row(c, ky*g.kw+kx)] = unfoldRow{plane: c * h * w, ky: ky, kx: kx}
			}
		}
	}
	for p := len(u.rows) - 1; p >= 0; p-- {
		r := &u.rows[p]
		r.end = p + 1
		if n := p + 1; n < len(u.rows) && u.rows[n].ky == r.ky && u.rows[n].kx == r.kx && u.rows[n].plane == r.plane+h*w {
			r.end = u.rows[n].end
		}
	}
	for kx := range u.spans {
		lo, hi := span(kx, g.stride, g.pad, w, ow)
		u.spans[kx] = [2]int{lo, hi}
	}
	return u
}

// Size implements gemm.Source.
func (u *unfolded) Size() (int, int) { return len(u.rows), u.oh * u.ow }

// Pack implements gemm.Source: the panel's columns split into runs that
// lie in one output row, each filled like a row of im2col.
func (u *unfolded) Pack(panel []float32, p0, depth, j0, w int) {
	for j := 0; j < w; {
		oy, ox := (j0+j)/u.ow, (j0+j)%u.ow
		run := min(w-j, u.ow-ox)
		u.packRun(panel[j:], p0, depth, oy, ox, run)
		j += run
	}
}

// packRun fills output row oy, columns [ox, ox+run), of rows [p0,
// p0+depth) of the unfolding into consecutive panel steps, a group (see
// unfoldRow) at a time: a group whose kernel position lies inside the
// image for the whole run is a plain copy from consecutive planes.
func (u *unfolded) packRun(panel []float32, p0, depth, oy, ox, run int) {
	g := u.g
	y0 := oy*g.stride - g.pad
	rows := u.rows[p0 : p0+depth]
	for p := 0; p < len(rows); {
		r := rows[p]
		e := min(r.end-p0, len(rows))
		iy := y0 + r.ky
		sp := u.spans[r.kx]
		if iy < 0 || iy >= u.h || sp[0] > ox || ox+run > sp[1] {
			for ; p < e; p++ {
				u.fill(panel[p*gemm.PanelWidth:p*gemm.PanelWidth+run], rows[p], iy, ox)
			}
			continue
		}
		base := r.plane + iy*u.w + r.kx - g.pad + ox*g.stride
		u.copyGroup(panel[p*gemm.PanelWidth:], base, e-p, run)
		p = e
	}
}

// copyGroup copies n rows of a group that lie inside the image, starting
// at image offset base, one plane apart, into consecutive panel steps.
func (u *unfolded) copyGroup(panel []float32, base, n, run int) {
	plane, s := u.h*u.w, u.g.stride
	for i := 0; i < n; i++ {
		dst := panel[i*gemm.PanelWidth : i*gemm.PanelWidth+run]
		src := u.img[base+i*plane:]
		switch {
		case s == 1 && run == gemm.PanelWidth:
			*(*[gemm.PanelWidth]float32)(dst) = *(*[gemm.PanelWidth]float32)(src)
		case s == 1:
			copy(dst, src[:run])
		default:
			for j := range dst {
				dst[j] = src[j*s]
			}
		}
	}
}

// fill writes row r of the unfolding at input row iy, output columns
// [ox, ox+len(dst)), zero where the kernel overhangs the image.
func (u *unfolded) fill(dst []float32, r unfoldRow, iy, ox int) {
	g := u.g
	sp := u.spans[r.kx]
	lo, hi := max(sp[0], ox), min(sp[1], ox+len(dst))
	if iy < 0 || iy >= u.h || lo >= hi {
		lo, hi = ox, ox
	}
	for i := 0; i < lo-ox; i++ {
		dst[i] = 0
	}
	for i := max(hi, lo) - ox; i < len(dst); i++ {
		dst[i] = 0
	}
	if lo >= hi {
		return
	}
	base := r.plane + iy*u.w + r.kx - g.pad
	if g.stride == 1 {
		copy(dst[lo-ox:hi-ox], u.img[base+lo:base+hi])
		return
	}
	for q := lo; q < hi; q++ {
		dst[q-ox] = u.img[base+q*g.stride]
	}
}
