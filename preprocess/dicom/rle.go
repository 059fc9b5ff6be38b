package dicom

import (
	"encoding/binary"
	"fmt"
)

// rleFrame decodes a DICOM RLE Lossless frame (PS3.5 annex G): a 64-byte
// header with the number of segments and their offsets, then one
// PackBits-coded segment per byte of each sample, most significant byte
// first (one for 8-bit grey, two for 16-bit grey, three for 8-bit RGB).
func rleFrame(a *imageAttrs, frame []byte) ([]int32, error) {
	bpp := a.bitsAllocated / 8
	want := a.spp * bpp
	if len(frame) < 64 {
		return nil, fmt.Errorf("RLE frame of %d bytes has no header", len(frame))
	}
	if n := binary.LittleEndian.Uint32(frame); n != uint32(want) {
		return nil, fmt.Errorf("RLE frame has %d segments, want %d", n, want)
	}
	n := a.rows * a.cols
	out := make([]int32, n*a.spp)
	seg := make([]byte, n)
	for s := 0; s < want; s++ {
		start := binary.LittleEndian.Uint32(frame[4+4*s:])
		end := uint32(len(frame))
		if s+1 < want {
			end = binary.LittleEndian.Uint32(frame[8+4*s:])
		}
		if start < 64 || start > end || end > uint32(len(frame)) {
			return nil, fmt.Errorf("RLE segment %d at bytes %d..%d is outside the frame of %d bytes", s+1, start, end, len(frame))
		}
		if err := unpackBits(seg, frame[start:end]); err != nil {
			return nil, fmt.Errorf("RLE segment %d: %w", s+1, err)
		}
		// Segment s holds byte s%bpp (most significant first) of sample s/bpp.
		c, shift := s/bpp, uint(8*(bpp-1-s%bpp))
		for i, b := range seg {
			out[i*a.spp+c] |= int32(b) << shift
		}
	}
	return out, nil
}

// unpackBits fills dst from a PackBits run-length coded segment: a header
// byte n, then n+1 literal bytes (0 <= n <= 127) or one byte repeated
// 1-n times (-127 <= n <= -1); -128 is ignored. Bytes beyond len(dst)
// are ignored; fewer is an error.
func unpackBits(dst, src []byte) error {
	o := 0
	for i := 0; o < len(dst) && i < len(src); {
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0:
			if i+n+1 > len(src) {
				return fmt.Errorf("literal run of %d bytes beyond the segment", n+1)
			}
			o += copy(dst[o:], src[i:i+n+1])
			i += n + 1
		case n > -128:
			if i >= len(src) {
				return fmt.Errorf("replicate run beyond the segment")
			}
			for k := 0; k < 1-n && o < len(dst); k++ {
				dst[o] = src[i]
				o++
			}
			i++
		}
	}
	if o < len(dst) {
		return fmt.Errorf("segment decodes to %d bytes, want %d", o, len(dst))
	}
	return nil
}
