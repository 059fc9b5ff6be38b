// Package dicom decodes the first frame of DICOM Part 10 files, native or
// compressed (JPEG baseline, JPEG lossless, JPEG-LS, RLE, deflate), greyscale or
// colour, into an *image.Gray or *image.RGBA, with guards (file size,
// element lengths, nesting depth, parser memory, pixel count, fragment
// and compressed-stream sizes) checked before
// github.com/suyashkumar/dicom parses the data set or a decoder allocates
// anything. Package preprocess routes DICOM input here from its Decode
// and Load.
package dicom

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"

	dcm "github.com/suyashkumar/dicom"
	"github.com/xrayllm/xray/internal/pixels"
)

// MaxBytes is the largest DICOM file Decode (and preprocess.Decode) accepts.
// A single uncompressed chest radiograph is at most a few tens of MB.
const MaxBytes = 512 << 20

// Decode decodes the first frame of a DICOM Part 10 file (128-byte
// preamble, "DICM", file meta information) of size bytes: 8- or 16-bit
// samples, unsigned or signed, photometric interpretation MONOCHROME1
// (inverted), MONOCHROME2, or (8-bit) RGB, YBR_FULL or YBR_FULL_422 in
// either planar configuration, in one of these transfer syntaxes:
// Implicit VR Little Endian, Explicit VR Little or Big Endian, Deflated
// Explicit VR Little Endian, RLE Lossless, JPEG Baseline (8-bit, with
// image/jpeg), JPEG Lossless processes 14 and 14 SV1 (2..16 bits, any
// predictor and point transform) and JPEG-LS lossless and near-lossless
// (not sample-interleaved). Other syntaxes (JPEG 2000, JPEG extended
// 12-bit...) are refused with an error that names them and says how to
// convert the file. For several frames only the first is decoded
// (DecodeInfo warns of it).
//
// Greyscale stored values are masked to BitsStored; values equal to
// PixelPaddingValue are left out of the min-max range and come out black;
// the others are mapped through RescaleSlope and
// RescaleIntercept (the modality LUT), then through the first VOI window
// (WindowCenter, WindowWidth) with the function named by VOILUTFunction
// (LINEAR, the default, as in DICOM PS3.3 C.11.2.1.2.1; LINEAR_EXACT;
// SIGMOID) onto 0..255; without a valid window the frame's minimum and
// maximum are mapped to 0 and 255 (a constant frame gives 0).
// MONOCHROME1 is then inverted so that the result is always white-is-dense
// like MONOCHROME2. The result is an *image.Gray; colour (no VOI window)
// is converted to RGB and returned as an *image.RGBA.
//
// Files over MaxBytes (also once inflated) and frames with more than
// maxPixels pixels (maxPixels <= 0 means preprocess.DefaultMaxPixels) are
// refused; the pixel count is checked, and a compressed frame's own
// header is checked against the data set's size, before any pixel memory
// is allocated; fragments are checked against the bytes that remain. The whole file is read into
// memory and its element structure is checked (every value length against
// the bytes that remain, nesting depth, estimated parser memory) before it
// is handed to github.com/suyashkumar/dicom, whose parser allocates by
// declared lengths and recurses by nesting. Errors start with "dicom: "
// and, when caused by the data, match ErrInvalid.
func Decode(r io.Reader, size int64, maxPixels int) (image.Image, error) {
	img, _, err := DecodeInfo(r, size, maxPixels)
	return img, err
}

// DecodeInfo is Decode that also returns what the file says about the
// image (view position, body part, modality...; never who the patient
// is) and the warnings a user should be told.
func DecodeInfo(r io.Reader, size int64, maxPixels int) (image.Image, *Info, error) {
	if r == nil {
		return nil, nil, errors.New("dicom: nil reader")
	}
	if size < 132 {
		return nil, nil, invalid(fmt.Errorf("dicom: file of %d bytes is too short", size))
	}
	if size > MaxBytes {
		return nil, nil, invalid(fmt.Errorf("dicom: file of %d bytes is more than the limit of %d bytes", size, MaxBytes))
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, invalid(fmt.Errorf("dicom: decoding image: truncated data (fewer than %d bytes): %w", size, err))
		}
		return nil, nil, fmt.Errorf("dicom: reading image: %w", err)
	}
	return decodeBytes(data, maxPixels)
}

// IsPart10 reports whether head (at least 132 bytes) starts a DICOM Part 10
// file.
func IsPart10(head []byte) bool {
	return len(head) >= 132 && string(head[128:132]) == "DICM"
}

// DecodeStream decodes a DICOM file whose first bytes, head, have already
// been read from r (of unknown length, read up to MaxBytes), as Decode
// does; it is preprocess.Decode's route for input that IsPart10.
func DecodeStream(head []byte, r io.Reader, maxPixels int) (image.Image, error) {
	img, _, err := DecodeStreamInfo(head, r, maxPixels)
	return img, err
}

// DecodeStreamInfo is DecodeStream that also returns the file's Info, as
// DecodeInfo does.
func DecodeStreamInfo(head []byte, r io.Reader, maxPixels int) (image.Image, *Info, error) {
	var buf bytes.Buffer
	buf.Write(head)
	n, err := buf.ReadFrom(io.LimitReader(r, MaxBytes+1-int64(len(head))))
	if err != nil {
		return nil, nil, fmt.Errorf("dicom: reading image: %w", err)
	}
	if int64(len(head))+n > MaxBytes {
		return nil, nil, invalid(fmt.Errorf("dicom: file is more than the limit of %d bytes", MaxBytes))
	}
	data := buf.Bytes()
	return DecodeInfo(bytes.NewReader(data), int64(len(data)), maxPixels)
}

// ErrInvalid is matched (with errors.Is) by every error caused by the
// file's data: truncated, corrupt, over a limit or unsupported. Errors of
// the reader do not match it.
var ErrInvalid = errors.New("dicom: invalid file")

// invalidFile marks an error as caused by the file's data.
type invalidFile struct{ err error }

func (e *invalidFile) Error() string        { return e.err.Error() }
func (e *invalidFile) Unwrap() error        { return e.err }
func (e *invalidFile) Is(target error) bool { return target == ErrInvalid }

// invalid wraps err as an ErrInvalid.
func invalid(err error) error { return &invalidFile{err: err} }

// decodeBytes decodes a whole file held in memory.
func decodeBytes(data []byte, maxPixels int) (img image.Image, info *Info, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, info, err = nil, nil, invalid(fmt.Errorf("dicom: decoding image: decoder failed: %v", p))
		}
	}()
	f, err := decodeFrame(data, maxPixels)
	if err != nil {
		return nil, nil, err
	}
	img, err = render(&f.attrs, f.samples, f.photometric)
	if err != nil {
		return nil, nil, invalid(fmt.Errorf("dicom: decoding image: %w", err))
	}
	return img, f.info, nil
}

// frame is the first frame of a file, decoded but not rendered.
type frame struct {
	attrs       imageAttrs
	samples     []int32 // stored values, interleaved by pixel
	photometric string  // the samples' colour model
	info        *Info
}

// decodeFrame checks a file's structure, parses its data set and decodes
// the first frame of its pixel data.
func decodeFrame(data []byte, maxPixels int) (*frame, error) {
	if maxPixels <= 0 {
		maxPixels = pixels.DefaultMax
	}
	if !IsPart10(data) {
		return nil, invalid(errors.New(`dicom: decoding image: no "DICM" magic at offset 128`))
	}
	sc, err := scanElements(data)
	if err != nil {
		return nil, invalid(fmt.Errorf("dicom: decoding image: %w", err))
	}
	// The library parses the data set up to the pixel data, which it
	// never sees: this package reads it.
	ds, err := dcm.Parse(bytes.NewReader(sc.header), int64(len(sc.header)), nil, dcm.SkipPixelData())
	if err != nil {
		return nil, invalid(fmt.Errorf("dicom: decoding image: %w", err))
	}
	a, err := readAttrs(&ds)
	if err != nil {
		return nil, invalid(fmt.Errorf("dicom: decoding image: %w", err))
	}
	if pixels.TooMany(a.cols, a.rows, maxPixels) {
		return nil, invalid(fmt.Errorf("dicom: image is %dx%d, more than the limit of %d pixels", a.cols, a.rows, maxPixels))
	}
	if sc.pixOff < 0 && sc.frags == nil {
		return nil, invalid(errors.New("dicom: decoding image: no pixel data"))
	}
	if sc.syn.codec != codecNative && sc.syn.codec != codecRLE {
		// Compressed samples are the stored values themselves.
		a.highBit = a.bitsStored - 1
	}
	samples, photometric, err := firstFrame(&a, &sc)
	if err != nil {
		return nil, invalid(fmt.Errorf("dicom: decoding image (%s): %w", sc.syn.name, err))
	}
	return &frame{attrs: a, samples: samples, photometric: photometric, info: newInfo(&ds, &a, sc.ts, sc.syn)}, nil
}
