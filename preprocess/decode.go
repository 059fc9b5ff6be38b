package preprocess

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/xrayllm/xray/internal/pixels"
	"github.com/xrayllm/xray/preprocess/dicom"

	// Decoders for the supported formats.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// Decode decodes a JPEG, PNG, GIF (first frame), BMP, TIFF or WebP image,
// or a DICOM file (see package preprocess/dicom, format "dicom").
// It first reads the header with image.DecodeConfig and refuses images
// with a non-positive size or with more than maxPixels pixels
// (maxPixels <= 0 means DefaultMaxPixels) before any pixel memory is
// allocated. It returns the image and the format name ("jpeg", "png",
// "gif", "bmp", "tiff", "webp"). Errors start with "preprocess: ".
func Decode(r io.Reader, maxPixels int) (img image.Image, format string, err error) {
	img, format, _, err = decodeInfo(r, maxPixels)
	return img, format, err
}

// decodeInfo is Decode that also returns a DICOM file's Info (nil for
// other formats).
func decodeInfo(r io.Reader, maxPixels int) (img image.Image, format string, info *dicom.Info, err error) {
	if r == nil {
		return nil, "", nil, errors.New("preprocess: nil reader")
	}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	// Everything DecodeConfig reads is kept and replayed to Decode, so the
	// reader need not be seekable and is read only once.
	var head bytes.Buffer
	rr := &recordingReader{r: r}
	// DICOM (128-byte preamble, then "DICM") has its own decoder.
	sniff := make([]byte, 132)
	n, _ := io.ReadFull(rr, sniff)
	if rr.err == nil && dicom.IsPart10(sniff[:n]) {
		img, info, err := dicom.DecodeStreamInfo(sniff, rr, maxPixels)
		return img, "dicom", info, wrapDICOMErr(err)
	}
	src := io.MultiReader(bytes.NewReader(sniff[:n]), rr)
	cfg, format, err := decodeConfig(io.TeeReader(src, &head))
	if err != nil {
		switch {
		case rr.err != nil:
			return nil, "", nil, fmt.Errorf("preprocess: reading image: %w", rr.err)
		case head.Len() == 0:
			return nil, "", nil, invalid(errors.New("preprocess: no image data (empty input)"))
		}
		return nil, "", nil, invalid(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, format, nil, invalid(fmt.Errorf("preprocess: %s header declares an empty image (%dx%d)", format, cfg.Width, cfg.Height))
	}
	if pixels.TooMany(cfg.Width, cfg.Height, maxPixels) {
		return nil, format, nil, invalid(fmt.Errorf("preprocess: %s image is %dx%d, more than the limit of %d pixels", format, cfg.Width, cfg.Height, maxPixels))
	}
	img, format, err = decode(io.MultiReader(&head, src))
	if err != nil {
		if rr.err != nil {
			return nil, format, nil, fmt.Errorf("preprocess: reading %s image: %w", format, rr.err)
		}
		return nil, format, nil, invalid(err)
	}
	b := img.Bounds()
	if b.Empty() || pixels.TooMany(b.Dx(), b.Dy(), maxPixels) {
		return nil, format, nil, invalid(fmt.Errorf("preprocess: %s image decoded as %dx%d (header said %dx%d)", format, b.Dx(), b.Dy(), cfg.Width, cfg.Height))
	}
	return img, format, nil, nil
}

func decodeConfig(r io.Reader) (cfg image.Config, format string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("preprocess: reading header of %s image: decoder failed: %v", format, p)
		}
	}()
	cfg, format, err = image.DecodeConfig(r)
	if err != nil {
		return cfg, format, wrapDecodeErr("reading header of", format, err)
	}
	return cfg, format, nil
}

func decode(r io.Reader) (img image.Image, format string, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("preprocess: decoding %s image: decoder failed: %v", format, p)
		}
	}()
	img, format, err = image.Decode(r)
	if err != nil {
		return nil, format, wrapDecodeErr("decoding", format, err)
	}
	if img == nil {
		return nil, format, fmt.Errorf("preprocess: decoding %s image: no image", format)
	}
	return img, format, nil
}

// wrapDICOMErr prefixes the dicom package's errors with "preprocess: " and
// makes those caused by the data match ErrInvalidImage.
func wrapDICOMErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dicom.ErrInvalid):
		return invalid(fmt.Errorf("preprocess: %w", err))
	default:
		return fmt.Errorf("preprocess: %w", err)
	}
}

func wrapDecodeErr(what, format string, err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return fmt.Errorf("preprocess: %s: unknown image format (want JPEG, PNG, GIF, BMP, TIFF or WebP): %w", what, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("preprocess: %s %s image: truncated data: %w", what, format, err)
	default:
		return fmt.Errorf("preprocess: %s %s image: %w", what, format, err)
	}
}

// recordingReader remembers the first error other than io.EOF, which
// image.DecodeConfig would otherwise report as an unknown format.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// ErrInvalidImage is matched (with errors.Is) by every error caused by the
// image data itself: an unknown format, corrupt or truncated data, empty
// or over-limit dimensions. Errors of the reader and invalid Options do
// not match it, so a server can answer the first with 400 and the others
// with 500.
var ErrInvalidImage = errors.New("preprocess: invalid image")

// invalidImage marks an error as caused by the image data.
type invalidImage struct{ err error }

func (e *invalidImage) Error() string        { return e.err.Error() }
func (e *invalidImage) Unwrap() error        { return e.err }
func (e *invalidImage) Is(target error) bool { return target == ErrInvalidImage }

// invalid wraps err as an ErrInvalidImage.
func invalid(err error) error { return &invalidImage{err: err} }
