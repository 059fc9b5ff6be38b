package teachimg

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/xrayllm/xray/gradcam"
)

// maxSide bounds the pictures' sides, so that a bad size is an error
// rather than an enormous allocation.
const maxSide = 4096

// checkMap reports an error unless v holds h×w values and size is sane.
func checkMap(v []float32, h, w, size int) error {
	if h <= 0 || w <= 0 || h > maxSide || w > maxSide || len(v) != h*w {
		return fmt.Errorf("teachimg: %d values for a %dx%d map", len(v), w, h)
	}
	if size <= 0 || size > maxSide {
		return fmt.Errorf("teachimg: picture size %d out of range 1..%d", size, maxSide)
	}
	return nil
}

// Level is the grey level Tile gives v in a channel ranging over lo..hi:
// 0 at lo, 255 at hi, linear between; 0 for a constant channel.
func Level(v, lo, hi float32) uint8 {
	if !(hi > lo) {
		return 0
	}
	return uint8(math.Round(float64(v-lo) / float64(hi-lo) * 255))
}

// Tile draws an h×w map as a size×size greyscale picture, black at its
// minimum and white at its maximum, each value a block of pixels (nearest
// neighbour, so no value is invented between the network's own).
func Tile(v []float32, h, w, size int) (*image.Gray, error) {
	if err := checkMap(v, h, w, size); err != nil {
		return nil, err
	}
	lo, hi := bounds(v)
	img := image.NewGray(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			img.Pix[y*img.Stride+x] = Level(v[source(y, size, h)*w+source(x, size, w)], lo, hi)
		}
	}
	return img, nil
}

// source is the source index of destination pixel d of out, from n.
func source(d, out, n int) int { return min(d*n/out, n-1) }

// bounds returns the smallest and largest finite value of v.
func bounds(v []float32) (lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		if !math.IsInf(float64(x), 0) && !math.IsNaN(float64(x)) {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}

// Signed draws a signed h×w map (Steps.Weighted) as a size×size picture
// in gradcam.Diverging: white at zero, red for positive and blue for
// negative values, the colour's strength |v| relative to the largest
// magnitude, which it returns (so that the picture's scale can be
// written beside it).
func Signed(v []float32, h, w, size int) (*image.RGBA, float32, error) {
	if err := checkMap(v, h, w, size); err != nil {
		return nil, 0, err
	}
	lo, hi := bounds(v)
	m := max(-lo, hi)
	cm := gradcam.Diverging()
	return colour(v, h, w, size, func(x float32) [3]uint8 {
		if !(m > 0) {
			return cm[128]
		}
		return cm[uint8(math.Round((float64(x)/float64(m)+1)*127.5))]
	}), m, nil
}

// Heat draws an h×w map as a size×size picture in cm (nil: Jet), its
// minimum at the colormap's start and its maximum at its end, each value
// a block of pixels like Tile.
func Heat(v []float32, h, w, size int, cm gradcam.Colormap) (*image.RGBA, error) {
	if err := checkMap(v, h, w, size); err != nil {
		return nil, err
	}
	if cm == nil {
		cm = gradcam.Jet()
	}
	lo, hi := bounds(v)
	return colour(v, h, w, size, func(x float32) [3]uint8 { return cm.Color(Level(x, lo, hi)) }), nil
}

// colour draws v nearest-neighbour at size×size with the colour f gives
// each value; non-finite values are drawn as zero.
func colour(v []float32, h, w, size int, f func(float32) [3]uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			val := v[source(y, size, h)*w+source(x, size, w)]
			if math.IsInf(float64(val), 0) || math.IsNaN(float64(val)) {
				val = 0
			}
			c := f(val)
			img.SetRGBA(x, y, color.RGBA{c[0], c[1], c[2], 255})
		}
	}
	return img
}
