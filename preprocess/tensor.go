package preprocess

import "image"

// ToTensor writes img as CHW float32 values like torchvision's ToTensor
// (each 8-bit value divided by 255 in float32, so the result is identical
// to PyTorch's) and then, if norm is not nil, applies (v - Mean[c]) /
// Std[c] per channel as transforms.Normalize does. The alpha channel is
// ignored. The values go into dst[:3*w*h], which is returned; a new slice
// is allocated when dst is too small.
func ToTensor(img *image.RGBA, dst []float32, norm *Normalization) []float32 {
	if img == nil || img.Rect.Empty() {
		return dst[:0]
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := w * h
	if cap(dst) < 3*n {
		dst = make([]float32, 3*n)
	}
	dst = dst[:3*n]
	r, g, b := dst[:n], dst[n:2*n], dst[2*n:]
	for y := 0; y < h; y++ {
		s := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y):][:4*w]
		o := y * w
		rr, gg, bb := r[o:o+w], g[o:o+w], b[o:o+w]
		for x := range rr {
			rr[x] = float32(s[4*x]) / 255
			gg[x] = float32(s[4*x+1]) / 255
			bb[x] = float32(s[4*x+2]) / 255
		}
	}
	if norm != nil {
		for c, plane := range [3][]float32{r, g, b} {
			m, sd := norm.Mean[c], norm.Std[c]
			for i, v := range plane {
				plane[i] = (v - m) / sd
			}
		}
	}
	return dst
}
