package preprocess

import (
	"image"
	"image/color"
)

// RGB converts img like PIL's convert("RGB") and returns a new *image.RGBA
// with bounds starting at (0, 0) and alpha 255 everywhere:
//   - grey (*image.Gray) is replicated to R, G and B;
//   - 16-bit grey is scaled to 8 bits (v>>8) — PIL would clip at 255, see
//     the package documentation; 16-bit colour keeps its high byte;
//   - palettes are expanded (the palette's straight colour is used, its
//     alpha ignored);
//   - alpha is dropped, not composited: straight (non-premultiplied)
//     colour values are kept as stored, premultiplied ones are
//     un-premultiplied first;
//   - CMYK uses Pillow's cmyk2rgb: R = 255-K - C*(255-K)/255, rounded;
//   - YCbCr uses Go's color.YCbCrToRGB.
//
// Other image types go through color.NRGBA64Model and keep the high byte.
func RGB(img image.Image) *image.RGBA {
	if img == nil {
		return image.NewRGBA(image.Rectangle{})
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if b.Empty() {
		return dst
	}
	switch src := img.(type) {
	case *image.Gray:
		rgbGray(dst, src)
	case *image.Gray16:
		rgbGray16(dst, src)
	case *image.RGBA:
		rgbRGBA(dst, src)
	case *image.NRGBA:
		rgbNRGBA(dst, src)
	case *image.NRGBA64:
		rgbNRGBA64(dst, src)
	case *image.Paletted:
		rgbPaletted(dst, src)
	case *image.YCbCr:
		rgbYCbCr(dst, src)
	case *image.NYCbCrA:
		rgbYCbCr(dst, &src.YCbCr)
	case *image.CMYK:
		rgbCMYK(dst, src)
	default:
		rgbGeneric(dst, img)
	}
	return dst
}

// eachRow calls convert for each row of dst with that row (4 bytes a
// pixel) and the matching row of a source whose top-left pixel is at
// pix[off], rows stride bytes apart, bpp bytes a pixel.
func eachRow(dst *image.RGBA, pix []uint8, off, stride, bpp int, convert func(d, s []uint8)) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for y := 0; y < h; y++ {
		convert(dst.Pix[y*dst.Stride:][:4*w], pix[off+y*stride:][:bpp*w])
	}
}

func rgbGray(dst *image.RGBA, src *image.Gray) {
	eachRow(dst, src.Pix, src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y), src.Stride, 1, func(d, s []uint8) {
		for x, v := range s {
			d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = v, v, v, 255
		}
	})
}

func rgbGray16(dst *image.RGBA, src *image.Gray16) {
	eachRow(dst, src.Pix, src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y), src.Stride, 2, func(d, s []uint8) {
		for x := range len(s) / 2 {
			v := s[2*x] // big-endian: high byte first, i.e. v>>8
			d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = v, v, v, 255
		}
	})
}

func rgbNRGBA(dst *image.RGBA, src *image.NRGBA) {
	eachRow(dst, src.Pix, src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y), src.Stride, 4, func(d, s []uint8) {
		for x := 0; x < len(s); x += 4 {
			d[x], d[x+1], d[x+2], d[x+3] = s[x], s[x+1], s[x+2], 255
		}
	})
}

func rgbNRGBA64(dst *image.RGBA, src *image.NRGBA64) {
	eachRow(dst, src.Pix, src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y), src.Stride, 8, func(d, s []uint8) {
		for x := range len(s) / 8 {
			d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = s[8*x], s[8*x+2], s[8*x+4], 255
		}
	})
}

// rgbRGBA copies premultiplied pixels, un-premultiplying translucent ones.
func rgbRGBA(dst *image.RGBA, src *image.RGBA) {
	eachRow(dst, src.Pix, src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y), src.Stride, 4, func(d, s []uint8) {
		for x := 0; x < len(s); x += 4 {
			r, g, b, a := s[x], s[x+1], s[x+2], s[x+3]
			if a != 255 && a != 0 {
				c := color.NRGBAModel.Convert(color.RGBA{r, g, b, a}).(color.NRGBA)
				r, g, b = c.R, c.G, c.B
			}
			d[x], d[x+1], d[x+2], d[x+3] = r, g, b, 255
		}
	})
}

func rgbPaletted(dst *image.RGBA, src *image.Paletted) {
	// Entries missing from a short palette are black, as in PIL's
	// zero-padded palettes.
	var lut [256][3]uint8
	for i, c := range src.Palette {
		if i >= len(lut) {
			break
		}
		if c == nil {
			continue
		}
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		lut[i] = [3]uint8{n.R, n.G, n.B}
	}
	eachRow(dst, src.Pix, src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y), src.Stride, 1, func(d, s []uint8) {
		for x, i := range s {
			c := lut[i]
			d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = c[0], c[1], c[2], 255
		}
	})
}

func rgbYCbCr(dst *image.RGBA, src *image.YCbCr) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	x0, y0 := src.Rect.Min.X, src.Rect.Min.Y
	for y := 0; y < h; y++ {
		d := dst.Pix[y*dst.Stride:][:4*w]
		yi := src.YOffset(x0, y0+y)
		for x := 0; x < w; x++ {
			ci := src.COffset(x0+x, y0+y)
			r, g, b := color.YCbCrToRGB(src.Y[yi+x], src.Cb[ci], src.Cr[ci])
			d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = r, g, b, 255
		}
	}
}

// cmykChannel is Pillow's cmyk2rgb for one channel: nk - c*nk/255, with
// Pillow's MULDIV255 rounding.
func cmykChannel(c, nk int) uint8 {
	t := c*nk + 128
	v := nk - ((t>>8)+t)>>8
	if v < 0 {
		v = 0
	}
	return uint8(v)
}

func rgbCMYK(dst *image.RGBA, src *image.CMYK) {
	eachRow(dst, src.Pix, src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y), src.Stride, 4, func(d, s []uint8) {
		for x := 0; x < len(s); x += 4 {
			nk := 255 - int(s[x+3])
			d[x] = cmykChannel(int(s[x]), nk)
			d[x+1] = cmykChannel(int(s[x+1]), nk)
			d[x+2] = cmykChannel(int(s[x+2]), nk)
			d[x+3] = 255
		}
	})
}

func rgbGeneric(dst *image.RGBA, img image.Image) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	for y := 0; y < h; y++ {
		d := dst.Pix[y*dst.Stride:][:4*w]
		for x := 0; x < w; x++ {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			if c == nil {
				d[4*x+3] = 255
				continue
			}
			n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
			d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = uint8(n.R>>8), uint8(n.G>>8), uint8(n.B>>8), 255
		}
	}
}

// gray16To8 keeps the high byte of each sample, like RGB does.
func gray16To8(src *image.Gray16) *image.Gray {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:2*w]
		d := dst.Pix[y*dst.Stride:][:w]
		for x := range d {
			d[x] = s[2*x]
		}
	}
	return dst
}
