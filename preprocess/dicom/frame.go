package dicom

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
)

// firstFrame decodes the first frame of the pixel data into stored
// sample values (before masking to BitsStored), interleaved by pixel
// (R, G, B, R, ... for colour). It returns the photometric interpretation
// of the samples, which differs from the file's when a decoder has
// converted the colours (JPEG baseline YBR_FULL_422 to RGB) and when
// YBR_FULL_422 was upsampled (to YBR_FULL).
func firstFrame(a *imageAttrs, sc *scanResult) ([]int32, string, error) {
	if sc.syn.codec == codecNative {
		return nativeFrame(a, sc.data[sc.pixOff:sc.pixOff+sc.pixLen], sc.syn.bo)
	}
	frag, err := frameData(sc, a.frames)
	if err != nil {
		return nil, "", err
	}
	switch sc.syn.codec {
	case codecRLE:
		s, err := rleFrame(a, frag)
		return s, a.photometric, err
	case codecJPEGLossless:
		s, err := losslessFrame(a, frag)
		return s, a.photometric, err
	case codecJPEGLS:
		s, err := jpegLSFrame(a, frag)
		return s, a.photometric, err
	case codecJPEGBaseline:
		return baselineFrame(a, frag)
	}
	return nil, "", errors.New("no decoder for the transfer syntax")
}

// frameData returns the bytes of the first frame of encapsulated pixel
// data (PS3.5 A.4): all fragments of a single frame; for several frames,
// the fragments before the second offset of the basic offset table, or
// the first fragment when there is one per frame, or (JPEG) the
// fragments up to the one that ends the JPEG stream.
func frameData(sc *scanResult, frames int) ([]byte, error) {
	frags := sc.frags
	if len(frags) == 0 {
		return nil, errors.New("encapsulated pixel data has no fragments")
	}
	n := len(frags)
	switch {
	case frames == 1:
	case len(sc.offsets) >= 2:
		n = 0
		for pos := 0; n < len(frags) && uint64(pos) < uint64(sc.offsets[1]); n++ {
			pos += 8 + len(frags[n])
		}
	case len(frags) == frames || sc.syn.codec == codecRLE:
		n = 1
	default:
		n = 0
		for n < len(frags) && !endsJPEG(frags[n]) {
			n++
		}
		n = min(n+1, len(frags))
	}
	if n == 1 {
		return frags[0], nil
	}
	return bytes.Join(frags[:max(n, 1)], nil), nil
}

// endsJPEG reports whether a fragment ends with an EOI marker (and at
// most one byte of padding).
func endsJPEG(f []byte) bool {
	f = bytes.TrimSuffix(f, []byte{0})
	return bytes.HasSuffix(f, []byte{0xff, 0xd9})
}

// nativeFrame reads the first frame of native pixel data.
func nativeFrame(a *imageAttrs, pix []byte, bo binary.ByteOrder) ([]int32, string, error) {
	n := a.rows * a.cols * a.spp
	bpp := a.bitsAllocated / 8
	frameBytes := n * bpp
	if a.photometric == "YBR_FULL_422" {
		if a.cols%2 != 0 {
			return nil, "", fmt.Errorf("YBR_FULL_422 image has an odd width (%d)", a.cols)
		}
		frameBytes = a.rows * a.cols * 2
	}
	if a.frames > len(pix)/frameBytes {
		return nil, "", fmt.Errorf("pixel data has %d bytes, less than %d frames of %dx%d at %d bits", len(pix), a.frames, a.cols, a.rows, a.bitsAllocated)
	}
	if total := a.frames * frameBytes; len(pix) > total+1 {
		return nil, "", fmt.Errorf("pixel data has %d bytes, more than %d frames of %dx%d at %d bits (%d)", len(pix), a.frames, a.cols, a.rows, a.bitsAllocated, total)
	}
	words := make([]int32, frameBytes/bpp)
	for i := range words {
		if bpp == 1 {
			words[i] = int32(pix[i])
		} else {
			words[i] = int32(bo.Uint16(pix[2*i:]))
		}
	}
	switch {
	case a.photometric == "YBR_FULL_422":
		return upsample422(words, a.cols, a.rows), "YBR_FULL", nil
	case a.planar:
		return interleave(words, a.spp), a.photometric, nil
	}
	return words, a.photometric, nil
}

// interleave turns planes (all R, all G, all B) into pixels (RGB, RGB...).
func interleave(planes []int32, spp int) []int32 {
	out := make([]int32, len(planes))
	n := len(planes) / spp
	for c := 0; c < spp; c++ {
		for i, v := range planes[c*n : (c+1)*n] {
			out[i*spp+c] = v
		}
	}
	return out
}

// upsample422 expands YBR_FULL_422 (Y0 Y1 Cb Cr for each pair of pixels,
// PS3.3 C.7.6.3.1.2) to YBR_FULL by repeating the chroma.
func upsample422(words []int32, cols, rows int) []int32 {
	out := make([]int32, 0, cols*rows*3)
	for i := 0; i+3 < len(words); i += 4 {
		y0, y1, cb, cr := words[i], words[i+1], words[i+2], words[i+3]
		out = append(out, y0, cb, cr, y1, cb, cr)
	}
	return out
}

// baselineFrame decodes a JPEG baseline frame with image/jpeg, after
// checking its declared size against the data set's.
func baselineFrame(a *imageAttrs, data []byte) ([]int32, string, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("JPEG header: %w", err)
	}
	if cfg.Width != a.cols || cfg.Height != a.rows {
		return nil, "", fmt.Errorf("JPEG frame is %dx%d, the data set says %dx%d", cfg.Width, cfg.Height, a.cols, a.rows)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("JPEG: %w", err)
	}
	b := img.Bounds()
	if b.Dx() != a.cols || b.Dy() != a.rows {
		return nil, "", fmt.Errorf("JPEG frame decoded as %dx%d, the data set says %dx%d", b.Dx(), b.Dy(), a.cols, a.rows)
	}
	if g, ok := img.(*image.Gray); ok {
		if a.spp != 1 {
			return nil, "", errors.New("JPEG frame is greyscale, the data set says colour")
		}
		out := make([]int32, 0, a.rows*a.cols)
		for y := 0; y < a.rows; y++ {
			for _, v := range g.Pix[y*g.Stride : y*g.Stride+a.cols] {
				out = append(out, int32(v))
			}
		}
		return out, a.photometric, nil
	}
	if a.spp != 3 {
		return nil, "", errors.New("JPEG frame is in colour, the data set says greyscale")
	}
	if yc, ok := img.(*image.YCbCr); ok {
		return ycbcrToRGB(yc), "RGB", nil
	}
	out := make([]int32, 0, 3*a.rows*a.cols)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, int32(r>>8), int32(g>>8), int32(bl>>8))
		}
	}
	return out, "RGB", nil
}

// ycbcrToRGB converts a decoded JPEG to RGB samples with libjpeg's
// fixed-point formula (jdcolor.c), so that the result matches dcmtk's,
// which uses libjpeg; chroma planes are upsampled by repetition.
func ycbcrToRGB(img *image.YCbCr) []int32 {
	const half = 1 << 15
	b := img.Rect
	out := make([]int32, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			yy := int32(img.Y[img.YOffset(x, y)])
			ci := img.COffset(x, y)
			cb, cr := int32(img.Cb[ci])-128, int32(img.Cr[ci])-128
			r := yy + (91881*cr+half)>>16
			g := yy + (-22554*cb-46802*cr+half)>>16
			bl := yy + (116130*cb+half)>>16
			out = append(out, clampInt(r), clampInt(g), clampInt(bl))
		}
	}
	return out
}

func clampInt(v int32) int32 { return min(max(v, 0), 255) }
