package gradcam

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// OverlayOptions configure Overlay. The zero value, like a nil pointer,
// gives pytorch-grad-cam's show_cam_on_image defaults.
type OverlayOptions struct {
	// Colormap colours the map; nil means Jet. Viridis and Inferno are
	// grayscale- and colour-blind-safe alternatives.
	Colormap Colormap
	// ImageWeight is the image's share of the blend, in [0, 1]; the
	// heatmap gets 1-ImageWeight. 0 means 0.5, the default.
	ImageWeight float64
}

// Overlay blends a colour-mapped CAM over img as pytorch-grad-cam's
// show_cam_on_image(img/255, cam, use_rgb=True, colormap, image_weight)
// does, in float32 like NumPy: heat = colormap(uint8(255*cam)) / 255
// (truncating), blend = (1-w)*heat + w*img/255, divided by the blend's
// maximum over all pixels and channels, times 255, truncated to uint8.
//
// cam holds one value in [0, 1] per pixel of img, row-major over
// img.Bounds() (values outside are clamped, NaN counts as 0). For an
// overlay at an original image's resolution, bring the 224x224 map to that
// size with ResizeBilinear first. img's alpha is ignored and the result is
// opaque, with img's bounds.
func Overlay(img *image.RGBA, cam []float32, opts *OverlayOptions) (*image.RGBA, error) {
	if img == nil {
		return nil, errors.New("gradcam: overlay: nil image")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if err := checkSize("overlay: image", -1, h, w); err != nil {
		return nil, err
	}
	if len(cam) != w*h {
		return nil, fmt.Errorf("gradcam: overlay: %d map values for a %dx%d image", len(cam), w, h)
	}
	var o OverlayOptions
	if opts != nil {
		o = *opts
	}
	if o.ImageWeight == 0 {
		o.ImageWeight = 0.5
	}
	if !(o.ImageWeight >= 0 && o.ImageWeight <= 1) {
		return nil, fmt.Errorf("gradcam: overlay: image weight %g outside [0, 1]", o.ImageWeight)
	}
	heat, base := blendTables(tableOf(o.Colormap), o.ImageWeight)

	// First pass: the blend's maximum. The second recomputes each blended
	// value, bit for bit the same, instead of storing them all.
	peak := float32(0)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		cr := cam[y*w : (y+1)*w]
		for x, v := range cr {
			hc := &heat[camLevel(v)]
			p := row[4*x : 4*x+3]
			for ch := 0; ch < 3; ch++ {
				peak = max(peak, hc[ch]+base[p[ch]])
			}
		}
	}
	out := image.NewRGBA(b)
	if peak <= 0 || math.IsInf(float64(peak), 0) {
		for i := 3; i < len(out.Pix); i += 4 {
			out.Pix[i] = 255
		}
		return out, nil
	}
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		dst := out.Pix[y*out.Stride : y*out.Stride+4*w]
		cr := cam[y*w : (y+1)*w]
		for x, v := range cr {
			hc := &heat[camLevel(v)]
			p := row[4*x : 4*x+3]
			q := dst[4*x : 4*x+4]
			for ch := 0; ch < 3; ch++ {
				c := float32(hc[ch]+base[p[ch]]) / peak
				q[ch] = uint8(float32(255 * c))
			}
			q[3] = 255
		}
	}
	return out, nil
}

// blendTables precomputes the two terms of the blend for every 8-bit
// value, with NumPy's float32 rounding: heat[l][ch] = (1-w) * (cm[l][ch]/255)
// and base[v] = w * (v/255).
func blendTables(cm Table, w float64) (heat [256][3]float32, base [256]float32) {
	hw, iw := float32(1-w), float32(w)
	for l := range heat {
		for ch := 0; ch < 3; ch++ {
			heat[l][ch] = hw * float32(float32(cm[l][ch])/255)
		}
		base[l] = iw * float32(float32(l)/255)
	}
	return heat, base
}

// camLevel is NumPy's np.uint8(255 * v) for v in [0, 1], truncating, with
// values outside clamped and NaN as 0.
func camLevel(v float32) uint8 {
	s := float32(255 * v)
	switch {
	case s >= 255:
		return 255
	case s > 0:
		return uint8(s)
	}
	return 0
}
