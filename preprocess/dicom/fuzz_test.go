package dicom

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureFrames returns the first-frame bytes of the encapsulated
// fixtures whose names contain syntax.
func fixtureFrames(f *testing.F, syntax string) [][]byte {
	names, err := filepath.Glob(filepath.Join("testdata", "*"+syntax+"*.dcm"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no %s fixtures: %v", syntax, err)
	}
	var out [][]byte
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		sc, err := scanElements(data)
		if err != nil || sc.frags == nil {
			continue // a decompressed twin
		}
		out = append(out, sc.frags[0])
	}
	return out
}

// fuzzCodec fuzzes a frame decoder directly (without decodeBytes'
// recover): it must not panic, and what it returns must have one sample
// per pixel and component.
func fuzzCodec(f *testing.F, syntax string, decode func(*imageAttrs, []byte) ([]int32, error)) {
	for _, fr := range fixtureFrames(f, syntax) {
		f.Add(fr, uint8(48), uint8(64), false, true)
		f.Add(fr, uint8(48), uint8(64), true, false)
		f.Add(fr, uint8(48), uint8(64), false, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, rows, cols uint8, colour, wide bool) {
		if rows == 0 || cols == 0 {
			return
		}
		a := &imageAttrs{rows: int(rows), cols: int(cols), spp: 1, bitsAllocated: 8, bitsStored: 8, frames: 1, photometric: "MONOCHROME2"}
		if colour {
			a.spp, a.photometric = 3, "RGB"
		} else if wide {
			a.bitsAllocated, a.bitsStored = 16, 16
		}
		a.highBit = a.bitsStored - 1
		s, err := decode(a, data)
		if err == nil && len(s) != a.rows*a.cols*a.spp {
			t.Fatalf("%d samples for %dx%dx%d", len(s), a.cols, a.rows, a.spp)
		}
	})
}

// FuzzJPEGLossless fuzzes the JPEG lossless decoder.
func FuzzJPEGLossless(f *testing.F) { fuzzCodec(f, "jpll", losslessFrame) }

// FuzzJPEGLS fuzzes the JPEG-LS decoder.
func FuzzJPEGLS(f *testing.F) { fuzzCodec(f, "jls", jpegLSFrame) }

// FuzzRLE fuzzes the RLE decoder.
func FuzzRLE(f *testing.F) { fuzzCodec(f, "rle", rleFrame) }

// FuzzJPEGBaseline fuzzes the JPEG baseline path (image/jpeg and the
// colour conversion).
func FuzzJPEGBaseline(f *testing.F) {
	fuzzCodec(f, "baseline", func(a *imageAttrs, data []byte) ([]int32, error) {
		s, _, err := baselineFrame(a, data)
		return s, err
	})
}

// FuzzDeflate fuzzes the deflated data set: arbitrary bytes after the
// file meta information of a deflated fixture.
func FuzzDeflate(f *testing.F) {
	data := readDICOMFixture(f, "g12_deflate.dcm")
	// Preamble, magic, the group length element (12 bytes) and the group.
	meta := data[:144+int(binary.LittleEndian.Uint32(data[140:]))]
	f.Add(data[len(meta):])
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, append(append([]byte(nil), meta...), body...))
	})
}

// checkDecode decodes a file with a limit of 1<<16 pixels: it must fail
// with a dicom ErrInvalid or return an image within the limit.
func checkDecode(t *testing.T, data []byte) {
	img, _, err := DecodeInfo(bytes.NewReader(data), int64(len(data)), 1<<16)
	if err != nil {
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "dicom: ") {
			t.Fatalf("error %q: want a dicom ErrInvalid", err)
		}
		return
	}
	if b := img.Bounds(); b.Empty() || b.Dx()*b.Dy() > 1<<16 {
		t.Fatalf("bounds %v", b)
	}
}
