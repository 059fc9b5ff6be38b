package gradcam

import (
	"fmt"
	"math"
)

// scaleEps is the epsilon pytorch-grad-cam's scale_cam_image adds to the
// maximum before dividing.
const scaleEps = 1e-7

// maxPixels bounds the sizes the post-processing accepts, so that a bad
// size is an error rather than an enormous allocation.
const maxPixels = 1 << 28

// checkSize reports an error unless h and w are positive and h*w is
// reasonable; n, when not negative, must equal h*w.
func checkSize(what string, n, h, w int) error {
	if h <= 0 || w <= 0 {
		return fmt.Errorf("gradcam: %s: size %dx%d must be positive", what, w, h)
	}
	if h > maxPixels/w {
		return fmt.Errorf("gradcam: %s: size %dx%d too large", what, w, h)
	}
	if n >= 0 && n != h*w {
		return fmt.Errorf("gradcam: %s: %d values for a %dx%d map", what, n, w, h)
	}
	return nil
}

// Finalize turns a raw h×w CAM map (row-major, before ReLU) into the final
// outH×outW map exactly as pytorch-grad-cam does: ReLU, min-max scaling
// with eps 1e-7 (x - min, then x / (1e-7 + max)), resizing with OpenCV's
// INTER_LINEAR semantics (see ResizeBilinear), and min-max scaling again.
// The arithmetic is float32, like NumPy's on float32 arrays.
//
// A map that is all zero after ReLU (it happens when every weighted
// activation is negative) gives an all-zero map and empty=true, never NaN.
// A constant positive map also scales to all zeros, and is reported as
// empty too. Non-finite values in raw are treated as zero.
func Finalize(raw []float32, h, w, outH, outW int) (cam []float32, empty bool, err error) {
	out, err := scaleToSize(raw, h, w, outH, outW)
	if err != nil {
		return nil, false, err
	}
	MinMaxScale(out)
	return out, allZero(out), nil
}

// scaleToSize is Finalize without its last min-max scaling, as
// pytorch-grad-cam post-processes each target layer's map before fusing
// them: ReLU, min-max scaling, resizing.
func scaleToSize(raw []float32, h, w, outH, outW int) ([]float32, error) {
	if err := checkSize("finalize: raw map", len(raw), h, w); err != nil {
		return nil, err
	}
	if err := checkSize("finalize: output", -1, outH, outW); err != nil {
		return nil, err
	}
	x := make([]float32, len(raw))
	positive := false
	for i, v := range raw {
		if v > 0 && !math.IsInf(float64(v), 1) {
			x[i] = v
			positive = true
		}
	}
	if !positive {
		return make([]float32, outH*outW), nil
	}
	MinMaxScale(x)
	return ResizeBilinear(x, h, w, outH, outW), nil
}

// MinMaxScale scales x in place as pytorch-grad-cam's scale_cam_image does
// without a target size: x - min(x), then x / (1e-7 + max), in float32. An
// empty slice is left alone.
func MinMaxScale(x []float32) {
	if len(x) == 0 {
		return
	}
	lo := x[0]
	for _, v := range x {
		if v < lo {
			lo = v
		}
	}
	hi := float32(0)
	for i, v := range x {
		v -= lo
		x[i] = v
		if v > hi {
			hi = v
		}
	}
	// NumPy adds the Python float 1e-7 to a float32 scalar in float64 and
	// casts the sum back to float32 to divide the float32 array.
	d := float32(scaleEps + float64(hi))
	for i, v := range x {
		x[i] = v / d
	}
}

// ResizeBilinear resizes the h×w row-major map src to outH×outW with
// OpenCV's cv2.resize INTER_LINEAR semantics for float32 images: pixel
// centres are aligned (the source coordinate of destination pixel d is
// (d+0.5)*scale-0.5 with scale = in/out), coordinates outside the source
// are clamped to the edge pixels, and the interpolation weights and sums are
// float32, first along rows and then along columns. Use it to bring a final
// CAM map to an original image's resolution for a full-resolution overlay.
//
// It returns nil when a size is not positive or src does not hold h*w
// values; use Finalize or check sizes first when that can happen.
func ResizeBilinear(src []float32, h, w, outH, outW int) []float32 {
	if checkSize("resize: source", len(src), h, w) != nil || checkSize("resize: output", -1, outH, outW) != nil {
		return nil
	}
	xo, xa := linearTaps(w, outW)
	yo, ya := linearTaps(h, outH)
	// Horizontal pass: one interpolated row per source row.
	rows := make([]float32, h*outW)
	for y := 0; y < h; y++ {
		s := src[y*w : (y+1)*w]
		r := rows[y*outW : (y+1)*outW]
		for dx := range r {
			sx, a := xo[dx], xa[dx]
			if a == 0 {
				r[dx] = s[sx]
				continue
			}
			r[dx] = float32(s[sx]*(1-a)) + float32(s[sx+1]*a)
		}
	}
	// Vertical pass.
	out := make([]float32, outH*outW)
	for dy := 0; dy < outH; dy++ {
		sy, b := yo[dy], ya[dy]
		d := out[dy*outW : (dy+1)*outW]
		r0 := rows[sy*outW : (sy+1)*outW]
		if b == 0 {
			copy(d, r0)
			continue
		}
		r1 := rows[(sy+1)*outW : (sy+2)*outW]
		b0 := 1 - b
		for i := range d {
			d[i] = float32(r0[i]*b0) + float32(r1[i]*b)
		}
	}
	return out
}

// linearTaps returns, for each of the out destination positions, the first
// source index and the weight of the next one, computed as OpenCV's
// resizeGeneric does for INTER_LINEAR: the coordinate in double, the
// fraction in float, clamped at both edges (weight 0 there).
func linearTaps(in, out int) ([]int, []float32) {
	scale := 1 / (float64(out) / float64(in))
	idx := make([]int, out)
	wt := make([]float32, out)
	for d := 0; d < out; d++ {
		f := float32((float64(d)+0.5)*scale - 0.5)
		s := int(math.Floor(float64(f)))
		f -= float32(s)
		if s < 0 {
			s, f = 0, 0
		}
		if s >= in-1 {
			s, f = in-1, 0
		}
		idx[d], wt[d] = s, f
	}
	return idx, wt
}

// allZero reports whether x has no positive value.
func allZero(x []float32) bool {
	for _, v := range x {
		if v > 0 {
			return false
		}
	}
	return true
}
