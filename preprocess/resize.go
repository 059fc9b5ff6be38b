package preprocess

import (
	"image"
	"math"
	"runtime"
	"sync"

	"github.com/xrayllm/xray/internal/pixels"
)

// precisionBits is Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2.
const precisionBits = 32 - 8 - 2

// kernel holds one axis's fixed-point filter: output pixel i reads n[i]
// input pixels starting at start[i], with weights k[i*size : i*size+n[i]].
type kernel struct {
	start, n []int
	k        []int32
	size     int
}

// bilinear is PIL's triangle filter with support 1.
func bilinear(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// newKernel computes the coefficients of Pillow's precompute_coeffs and
// normalize_coeffs_8bpc for a whole-image box.
func newKernel(inSize, outSize int) kernel {
	scale := float64(inSize) / float64(outSize)
	filterscale := math.Max(scale, 1)
	support := 1.0 * filterscale
	size := int(math.Ceil(support))*2 + 1
	kn := kernel{
		start: make([]int, outSize),
		n:     make([]int, outSize),
		k:     make([]int32, outSize*size),
		size:  size,
	}
	w := make([]float64, size)
	ss := 1 / filterscale
	for i := 0; i < outSize; i++ {
		center := (float64(i) + 0.5) * scale
		// int() truncates towards zero like C's cast; negatives clamp to 0.
		lo := int(center - support + 0.5)
		if lo < 0 {
			lo = 0
		}
		hi := int(center + support + 0.5)
		if hi > inSize {
			hi = inSize
		}
		n := hi - lo
		if n > size { // cannot happen; keeps indexing provably in range
			n = size
		}
		sum := 0.0
		for x := 0; x < n; x++ {
			w[x] = bilinear((float64(x+lo) - center + 0.5) * ss)
			sum += w[x]
		}
		k := kn.k[i*size : i*size+size]
		for x := 0; x < n; x++ {
			v := w[x]
			if sum != 0 {
				v /= sum
			}
			v *= 1 << precisionBits
			if v < 0 {
				k[x] = int32(v - 0.5)
			} else {
				k[x] = int32(v + 0.5)
			}
		}
		kn.start[i], kn.n[i] = lo, n
	}
	return kn
}

// clip8 is Pillow's clip8: shift out the fixed point and saturate.
func clip8(v int32) uint8 {
	v >>= precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// plane is 8-bit pixels with ch channels (3 = RGB, 1 = grey): row y
// starts at pix[y*stride], pixel x at bpp*x within it (bpp is 4 for
// image.RGBA, ch for the packed intermediate).
type plane struct {
	pix             []uint8
	stride, bpp, ch int
	w, h            int
}

// Resize resizes img to width x height exactly as Pillow 9.4's
// Image.resize((width, height), Image.BILINEAR) does for an 8-bit "RGB"
// image (reducing_gap=None, whole-image box): a horizontal pass rounded to
// 8 bits, then a vertical pass, each skipped when its axis keeps its size;
// when neither changes the result is a copy. The alpha channel of img is
// ignored and set to 255 in the result, whose bounds start at (0, 0).
// A non-positive size, a size whose pixel buffer would overflow int, or an
// empty img gives an empty image. Resize allocates 4*width*height bytes for
// the result; bounding the size is the caller's job (FromImage checks it
// against Options.MaxPixels).
func Resize(img *image.RGBA, width, height int) *image.RGBA {
	if img == nil || img.Rect.Empty() || !validSize(width, height) {
		return image.NewRGBA(image.Rectangle{})
	}
	out := image.NewRGBA(image.Rect(0, 0, width, height))
	resample(planeOf(out.Pix, out.Stride, 4, 3, out.Rect), planeOf(img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y):], img.Stride, 4, 3, img.Rect))
	for i := 3; i < len(out.Pix); i += 4 {
		out.Pix[i] = 255
	}
	return out
}

// resizeGray is RGB(Resize(RGB(img), width, height)) for a grey image,
// computed on one channel: Pillow filters each channel independently with
// the same integer arithmetic, so the three identical channels of the
// converted image give identical results, at a third of the work and
// without the full-size RGBA copy.
func resizeGray(img *image.Gray, width, height int) *image.RGBA {
	if img == nil || img.Rect.Empty() || !validSize(width, height) {
		return image.NewRGBA(image.Rectangle{})
	}
	g := image.NewGray(image.Rect(0, 0, width, height))
	resample(planeOf(g.Pix, g.Stride, 1, 1, g.Rect), planeOf(img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y):], img.Stride, 1, 1, img.Rect))
	return RGB(g)
}

// planeOf views pixels starting at pix[0], rows stride bytes apart, bpp
// bytes a pixel of which the first ch are filtered, with r's size.
func planeOf(pix []uint8, stride, bpp, ch int, r image.Rectangle) plane {
	return plane{pix: pix, stride: stride, bpp: bpp, ch: ch, w: r.Dx(), h: r.Dy()}
}

func validSize(width, height int) bool {
	return width > 0 && height > 0 && !pixels.TooMany(width, height, math.MaxInt/4)
}

// resample fills dst (whose w, h are the output size) from src.
func resample(dst, src plane) {
	width, height := dst.w, dst.h
	switch {
	case width != src.w && height != src.h:
		kv := newKernel(src.h, height)
		// Only the rows the vertical pass reads, as Pillow does.
		y0 := kv.start[0]
		y1 := kv.start[height-1] + kv.n[height-1]
		for i := range kv.start {
			kv.start[i] -= y0
		}
		ch := src.ch
		tmp := plane{pix: make([]uint8, ch*width*(y1-y0)), stride: ch * width, bpp: ch, ch: ch, w: width, h: y1 - y0}
		src.pix = src.pix[y0*src.stride:]
		resampleH(tmp, src, newKernel(src.w, width))
		resampleV(dst, tmp, kv)
	case width != src.w:
		resampleH(dst, src, newKernel(src.w, width))
	case height != src.h:
		resampleV(dst, src, newKernel(src.h, height))
	default:
		n := src.bpp * width
		for y := 0; y < height; y++ {
			copy(dst.pix[y*dst.stride:][:n], src.pix[y*src.stride:][:n])
		}
	}
}

// parallelRows runs fn over [0, n) split into one band per CPU when the
// work (n rows of cost each) is worth it. Bands write disjoint rows, so the
// result does not depend on the split.
func parallelRows(n, cost int, fn func(y0, y1 int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	if workers < 2 || n*cost < 1<<20 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		y0, y1 := n*i/workers, n*(i+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(y0, y1)
		}()
	}
	wg.Wait()
}

// resampleH filters the rows of src horizontally into dst (dst.h rows).
func resampleH(dst, src plane, kn kernel) {
	parallelRows(dst.h, dst.w*kn.size*src.ch, func(y0, y1 int) {
		if src.ch == 1 {
			resampleHRows1(dst, src, kn, y0, y1)
		} else {
			resampleHRows3(dst, src, kn, y0, y1)
		}
	})
}

const half = 1 << (precisionBits - 1)

func resampleHRows1(dst, src plane, kn kernel, y0, y1 int) {
	for y := y0; y < y1; y++ {
		row := src.pix[y*src.stride:][:src.w]
		d := dst.pix[y*dst.stride:][:dst.w]
		for xx := range d {
			n := kn.n[xx]
			k := kn.k[xx*kn.size:][:n]
			s := row[kn.start[xx]:][:n]
			v := int32(half)
			for x, c := range k {
				v += int32(s[x]) * c
			}
			d[xx] = clip8(v)
		}
	}
}

// resampleHRows3 reads RGBA (4-byte) pixels; every horizontal source is
// the caller's image, so src.bpp is always 4 here.
func resampleHRows3(dst, src plane, kn kernel, y0, y1 int) {
	db := dst.bpp
	for y := y0; y < y1; y++ {
		row := src.pix[y*src.stride:][:4*src.w]
		d := dst.pix[y*dst.stride:][:db*dst.w]
		for xx := 0; xx < dst.w; xx++ {
			n := kn.n[xx]
			k := kn.k[xx*kn.size:][:n]
			s := row[4*kn.start[xx]:][:4*n]
			r, g, b := int32(half), int32(half), int32(half)
			for x, c := range k {
				p := s[4*x : 4*x+3 : 4*x+3]
				r += int32(p[0]) * c
				g += int32(p[1]) * c
				b += int32(p[2]) * c
			}
			o := d[db*xx : db*xx+3]
			o[0], o[1], o[2] = clip8(r), clip8(g), clip8(b)
		}
	}
}

// resampleV filters src vertically into dst. Each output row is
// accumulated input row by input row; integer sums make the order
// irrelevant, so the result equals Pillow's column-wise loop.
func resampleV(dst, src plane, kn kernel) {
	parallelRows(dst.h, dst.w*kn.size*src.ch, func(y0, y1 int) { resampleVRows(dst, src, kn, y0, y1) })
}

func resampleVRows(dst, src plane, kn kernel, y0, y1 int) {
	w, ch, sb, db := dst.w, src.ch, src.bpp, dst.bpp
	acc := make([]int32, ch*w)
	for yy := y0; yy < y1; yy++ {
		for i := range acc {
			acc[i] = half
		}
		n := kn.n[yy]
		k := kn.k[yy*kn.size:][:n]
		for y, c := range k {
			row := src.pix[(kn.start[yy]+y)*src.stride:][:sb*w]
			if sb == ch { // packed: one flat loop
				a := acc[:len(row)]
				for i, v := range row {
					a[i] += int32(v) * c
				}
				continue
			}
			for x := 0; x < w; x++ {
				p := row[sb*x : sb*x+3]
				a := acc[3*x : 3*x+3]
				a[0] += int32(p[0]) * c
				a[1] += int32(p[1]) * c
				a[2] += int32(p[2]) * c
			}
		}
		d := dst.pix[yy*dst.stride:][:db*w]
		if db == ch {
			for i, v := range acc {
				d[i] = clip8(v)
			}
			continue
		}
		for x := 0; x < w; x++ {
			a := acc[3*x : 3*x+3]
			o := d[db*x : db*x+3]
			o[0], o[1], o[2] = clip8(a[0]), clip8(a[1]), clip8(a[2])
		}
	}
}
