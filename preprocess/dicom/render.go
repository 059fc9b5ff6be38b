package dicom

import (
	"fmt"
	"image"
	"math"
)

// render maps the first frame's samples (interleaved, in the colour model
// photometric) to an 8-bit image: *image.Gray for greyscale,
// *image.RGBA for colour.
func render(a *imageAttrs, samples []int32, photometric string) (image.Image, error) {
	n := a.rows * a.cols
	if len(samples) != n*a.spp {
		return nil, fmt.Errorf("frame has %d samples, want %d", len(samples), n*a.spp)
	}
	if a.spp == 3 {
		return renderColour(a, samples, photometric), nil
	}
	return renderGrey(a, samples), nil
}

// renderGrey masks the stored values to BitsStored, applies the modality
// rescale and the VOI window (or min-max without one), and inverts
// MONOCHROME1. Pixels equal to PixelPaddingValue are left out of the
// min-max range and come out black.
func renderGrey(a *imageAttrs, samples []int32) *image.Gray {
	shift := uint(a.highBit + 1 - a.bitsStored)
	vals := make([]float64, len(samples))
	pad := make([]bool, len(samples))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, raw := range samples {
		v := a.stored(int(raw) >> shift)
		if a.hasPadding && v == a.padding {
			pad[i] = true
			continue
		}
		x := float64(v)*a.slope + a.intercept
		vals[i] = x
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	g := image.NewGray(image.Rect(0, 0, a.cols, a.rows))
	for i, x := range vals {
		if pad[i] {
			continue
		}
		var y float64
		switch {
		case a.hasWindow:
			y = voi(a.voiFunction, x, a.center, a.width)
		case hi > lo:
			y = (x - lo) / (hi - lo) * 255
		}
		b := uint8(math.Floor(math.Min(math.Max(y, 0), 255) + 0.5))
		if a.monochrome1() {
			b = 255 - b
		}
		g.Pix[i] = b
	}
	return g
}

// renderColour converts 8-bit RGB or YBR_FULL samples (PS3.3
// C.7.6.3.1.2) to RGB.
func renderColour(a *imageAttrs, samples []int32, photometric string) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, a.cols, a.rows))
	for i := 0; i < a.rows*a.cols; i++ {
		c0, c1, c2 := samples[3*i]&0xff, samples[3*i+1]&0xff, samples[3*i+2]&0xff
		p := img.Pix[4*i : 4*i+4]
		if photometric == "RGB" {
			p[0], p[1], p[2] = uint8(c0), uint8(c1), uint8(c2)
		} else {
			y, cb, cr := float64(c0), float64(c1)-128, float64(c2)-128
			p[0] = clamp8(y + 1.402*cr)
			p[1] = clamp8(y - 0.344136*cb - 0.714136*cr)
			p[2] = clamp8(y + 1.772*cb)
		}
		p[3] = 255
	}
	return img
}

// clamp8 rounds v to the nearest integer in 0..255.
func clamp8(v float64) uint8 {
	return uint8(math.Floor(math.Min(math.Max(v, 0), 255) + 0.5))
}

// voi applies a VOI LUT function (DICOM PS3.3 C.11.2.1.2) with output
// range 0..255.
func voi(fn string, x, c, w float64) float64 {
	switch fn {
	case "LINEAR_EXACT":
		return (x-c)/w*255 + 127.5
	case "SIGMOID":
		return 255 / (1 + math.Exp(-4*(x-c)/w))
	}
	switch {
	case x <= c-0.5-(w-1)/2:
		return 0
	case x > c-0.5+(w-1)/2:
		return 255
	}
	return ((x-(c-0.5))/(w-1) + 0.5) * 255
}
