package resnet

import "github.com/xrayllm/xray/internal/team"

// col2im: the scatter-add onto a C×H×W image of its unfolding, the
// C·kh·kw × OH·OW matrix whose row (c, ky, kx), column (oy, ox) is the
// input at (c, oy·stride−pad+ky, ox·stride−pad+kx) (see unfolded for the
// forward direction, which never stores it).

// span returns the output columns [lo, hi) whose input column
// ox·stride−pad+kx lies inside [0, w).
func span(kx, stride, pad, w, ow int) (lo, hi int) {
	off := kx - pad
	lo = 0
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	hi = 0
	if w-1-off >= 0 {
		hi = min(ow, (w-1-off)/stride+1)
	}
	lo = min(lo, ow)
	return lo, max(lo, hi)
}

// col2im adds every entry of col back onto the image position it was
// unfolded from; img (C×h×w) is overwritten.
func col2im(t *team.Team, img, col []float32, g convGeom, h, w, oh, ow int) {
	parallel(t, g.cin, len(col), func(c0, c1 int) { fold(img, col, g, h, w, oh, ow, c0, c1) })
}

// fold overwrites the planes of channels [c0, c1) with their rows' sums
// (see col2im).
func fold(img, col []float32, g convGeom, h, w, oh, ow int, c0, c1 int) {
	clear(img[c0*h*w : c1*h*w])
	p := oh * ow
	r := c0 * g.kh * g.kw
	for c := c0; c < c1; c++ {
		plane := img[c*h*w : (c+1)*h*w]
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				foldRow(plane, col[r*p:(r+1)*p], g, ky, kx, h, w, oh, ow)
				r++
			}
		}
	}
}

// foldRow adds one row of col, (ky, kx) of one channel, onto its plane.
func foldRow(plane, src []float32, g convGeom, ky, kx, h, w, oh, ow int) {
	lo, hi := span(kx, g.stride, g.pad, w, ow)
	off := kx - g.pad
	for oy := 0; oy < oh; oy++ {
		iy := oy*g.stride - g.pad + ky
		if iy < 0 || iy >= h {
			continue
		}
		in := src[oy*ow : (oy+1)*ow]
		dst := plane[iy*w : (iy+1)*w]
		for ox := lo; ox < hi; ox++ {
			dst[ox*g.stride+off] += in[ox]
		}
	}
}
