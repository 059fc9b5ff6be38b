package resnet

import (
	"github.com/xrayllm/xray/internal/gemm"
	"github.com/xrayllm/xray/internal/team"
)

// unfolded is the unfolding (im2col) of one image, or of several side by
// side (the columns of image n after those of image n-1), in the forward
// row order (convGeom.row), never stored: the GEMM asks it for packed
// panels, which it gathers straight from the image. The image is padded beforehand
// (padImage), so every value of the unfolding lies inside it and a panel
// is made of plain copies. It implements gemm.Source and is read-only, so
// panels may be packed concurrently.
type unfolded struct {
	img          []float32 // images × C×h×w, padded
	images       int
	g            convGeom // its padding is 0: the image is padded
	h, w, oh, ow int
	rows         []unfoldRow // per row of the unfolding
}

// unfoldRow locates one row of the unfolding: its channel plane's offset
// in the image, its kernel position, and the end of its group, the run of
// following rows with the same kernel position and consecutive channels.
type unfoldRow struct{ plane, ky, kx, end int }

// newUnfolded describes the unfolding by g of padded h×w images (h and w
// include the padding, which g's pad gives) with output oh×ow; bind an
// image with its img field (several with images).
func newUnfolded(g convGeom, h, w, oh, ow int) *unfolded {
	g.pad = 0
	u := &unfolded{images: 1, g: g, h: h, w: w, oh: oh, ow: ow, rows: make([]unfoldRow, g.depth())}
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
	return u
}

// Size implements gemm.Source.
func (u *unfolded) Size() (int, int) { return len(u.rows), u.images * u.oh * u.ow }

// Pack implements gemm.Source: the panel's columns split into runs that
// lie in one output row of one image, each filled like a row of im2col.
func (u *unfolded) Pack(panel []float32, p0, depth, j0, w int) {
	p := u.oh * u.ow
	for j := 0; j < w; {
		n, q := (j0+j)/p, (j0+j)%p
		oy, ox := q/u.ow, q%u.ow
		run := min(w-j, u.ow-ox)
		u.packRun(panel[j:], n*u.g.cin*u.h*u.w, p0, depth, oy, ox, run)
		j += run
	}
}

// packRun fills output row oy, columns [ox, ox+run), of rows [p0,
// p0+depth) of the unfolding of the image at offset img into consecutive
// panel steps, a group (see unfoldRow) at a time.
func (u *unfolded) packRun(panel []float32, img, p0, depth, oy, ox, run int) {
	s := u.g.stride
	rows := u.rows[p0 : p0+depth]
	for p := 0; p < len(rows); {
		r := rows[p]
		e := min(r.end-p0, len(rows))
		base := img + r.plane + (oy*s+r.ky)*u.w + r.kx + ox*s
		u.copyGroup(panel[p*gemm.PanelWidth:], base, e-p, run)
		p = e
	}
}

// copyGroup copies n rows of a group, starting at image offset base, one
// plane apart, into consecutive panel steps, with fixed-size moves where
// the run and stride allow (shorter than calls to memmove).
func (u *unfolded) copyGroup(panel []float32, base, n, run int) {
	const w = gemm.PanelWidth
	plane, s := u.h*u.w, u.g.stride
	img := u.img[base:]
	switch {
	case s == 1 && run == w:
		for i := 0; i < n; i++ {
			*(*[w]float32)(panel[i*w:]) = *(*[w]float32)(img[i*plane:])
		}
	case s == 1 && run >= w/2:
		copyHalves(panel, img, n, plane, run)
	case s == 1 && run >= w/4:
		copyQuarters(panel, img, n, plane, run)
	case s == 2 && run == w:
		for i := 0; i < n; i++ {
			d, v := (*[w]float32)(panel[i*w:]), (*[2*w - 1]float32)(img[i*plane:])
			for j := range d {
				d[j] = v[2*j]
			}
		}
	default:
		for i := 0; i < n; i++ {
			dst, src := panel[i*w:i*w+run], img[i*plane:]
			for j := range dst {
				dst[j] = src[j*s]
			}
		}
	}
}

// copyHalves copies run values (8 ≤ run ≤ 16) of n rows, plane apart in
// img, into consecutive panel steps, each as two 8-value moves that
// overlap in the middle.
func copyHalves(panel, img []float32, n, plane, run int) {
	for i := 0; i < n; i++ {
		dst, src := panel[i*gemm.PanelWidth:], img[i*plane:]
		*(*[8]float32)(dst) = *(*[8]float32)(src)
		*(*[8]float32)(dst[run-8:]) = *(*[8]float32)(src[run-8:])
	}
}

// copyQuarters is copyHalves for 4 ≤ run < 8, with 4-value moves.
func copyQuarters(panel, img []float32, n, plane, run int) {
	for i := 0; i < n; i++ {
		dst, src := panel[i*gemm.PanelWidth:], img[i*plane:]
		*(*[4]float32)(dst) = *(*[4]float32)(src)
		*(*[4]float32)(dst[run-4:]) = *(*[4]float32)(src[run-4:])
	}
}

// padImage writes the C×h×w image img into dst, C×(h+2·pad)×(w+2·pad),
// inside a border of pad zeros.
func padImage(t *team.Team, dst, img []float32, c, h, w, pad int) {
	ph, pw := h+2*pad, w+2*pad
	parallel(t, c, len(img), func(c0, c1 int) {
		for ch := c0; ch < c1; ch++ {
			plane := dst[ch*ph*pw : (ch+1)*ph*pw]
			clear(plane[:pad*pw])
			clear(plane[(ph-pad)*pw:])
			for y := 0; y < h; y++ {
				row := plane[(y+pad)*pw : (y+pad+1)*pw]
				clear(row[:pad])
				copy(row[pad:pad+w], img[(ch*h+y)*w:(ch*h+y+1)*w])
				clear(row[pad+w:])
			}
		}
	})
}
