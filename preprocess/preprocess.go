package preprocess

import (
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/xrayllm/xray/internal/inputsize"
	"github.com/xrayllm/xray/internal/pixels"
	"github.com/xrayllm/xray/preprocess/dicom"
)

// Size is the default side of the square output: the network's input size
// (resnet.InputSize, the same constant), as in the original app's
// transforms.Resize((224, 224)).
const Size = inputsize.Side

// DefaultMaxPixels is the largest image (width*height) that is decoded when
// no other limit is given. It is larger than any radiograph (the biggest
// reference image is 5840x3624, 21 Mpx) and keeps a hostile header from
// making the decoder allocate gigabytes. The DICOM decoder uses the same
// default.
const DefaultMaxPixels = pixels.DefaultMax

// Normalization is an optional per-channel mean/std applied after ToTensor,
// as transforms.Normalize(mean, std) does: v = (v - Mean[c]) / Std[c].
type Normalization struct {
	Mean, Std [3]float32
}

// ImageNet returns torchvision's usual ImageNet statistics. The original
// model was trained without normalisation; use this only for models trained
// with it.
func ImageNet() Normalization {
	return Normalization{
		Mean: [3]float32{0.485, 0.456, 0.406},
		Std:  [3]float32{0.229, 0.224, 0.225},
	}
}

// Options configures Load and FromImage. The zero value (or a nil *Options)
// reproduces the original app: 224x224, no normalisation.
type Options struct {
	// Width and Height are the output size; 0 means Size.
	Width, Height int
	// MaxPixels refuses images with more than this many pixels. Load checks
	// it with image.DecodeConfig before decoding. 0 means DefaultMaxPixels.
	MaxPixels int
	// Normalize, if not nil, is applied after scaling to [0, 1]. nil means
	// none (the original model was trained without it).
	Normalize *Normalization
}

// Input is one preprocessed image.
type Input struct {
	// Tensor holds 3*Height*Width float32 values in CHW order (all of R,
	// then G, then B; rows top to bottom).
	Tensor []float32
	// Width and Height are the tensor's spatial size.
	Width, Height int
	// Resized is the RGB image the tensor was made from (alpha 255).
	Resized *image.RGBA
	// Original is the decoded image, before conversion and resizing.
	Original image.Image
	// Format is the decoder's name ("jpeg", "png", ...); empty for
	// FromImage.
	Format string
	// DICOM is what a DICOM file says about its image (view position,
	// body part, warnings such as a lateral view); nil for other formats.
	// It never identifies the patient.
	DICOM *dicom.Info
}

func (o *Options) size() (w, h int, err error) {
	w, h = Size, Size
	if o == nil {
		return w, h, nil
	}
	if o.Width < 0 || o.Height < 0 {
		return 0, 0, fmt.Errorf("preprocess: negative output size %dx%d", o.Width, o.Height)
	}
	if o.Width > 0 {
		w = o.Width
	}
	if o.Height > 0 {
		h = o.Height
	}
	return w, h, nil
}

func (o *Options) maxPixels() int {
	if o == nil || o.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return o.MaxPixels
}

func (o *Options) norm() *Normalization {
	if o == nil {
		return nil
	}
	return o.Normalize
}

// Load decodes an image (see Decode), converts it to RGB like PIL's
// convert("RGB"), resizes it with PIL's bilinear filter and returns the
// tensor. opts may be nil.
func Load(r io.Reader, opts *Options) (*Input, error) {
	// Refuse bad options before reading anything.
	w, h, err := opts.size()
	if err != nil {
		return nil, err
	}
	if limit := opts.maxPixels(); pixels.TooMany(w, h, limit) {
		return nil, fmt.Errorf("preprocess: output size %dx%d is more than %d pixels", w, h, limit)
	}
	img, format, info, err := decodeInfo(r, opts.maxPixels())
	if err != nil {
		return nil, err
	}
	in, err := FromImage(img, opts)
	if err != nil {
		return nil, err
	}
	in.Format, in.DICOM = format, info
	return in, nil
}

// FromImage preprocesses an already decoded image like Load. opts may be nil.
func FromImage(img image.Image, opts *Options) (*Input, error) {
	if img == nil {
		return nil, invalid(errors.New("preprocess: nil image"))
	}
	w, h, err := opts.size()
	if err != nil {
		return nil, err
	}
	limit := opts.maxPixels()
	b := img.Bounds()
	if b.Empty() {
		return nil, invalid(fmt.Errorf("preprocess: empty image (%dx%d)", b.Dx(), b.Dy()))
	}
	if pixels.TooMany(b.Dx(), b.Dy(), limit) {
		return nil, invalid(fmt.Errorf("preprocess: image is %dx%d, more than %d pixels", b.Dx(), b.Dy(), limit))
	}
	if pixels.TooMany(w, h, limit) {
		return nil, fmt.Errorf("preprocess: output size %dx%d is more than %d pixels", w, h, limit)
	}
	var resized *image.RGBA
	switch g := img.(type) {
	case *image.Gray:
		resized = resizeGray(g, w, h) // same bytes as Resize(RGB(g)), faster
	case *image.Gray16:
		resized = resizeGray(gray16To8(g), w, h)
	default:
		resized = Resize(RGB(img), w, h)
	}
	return &Input{
		Tensor:   ToTensor(resized, nil, opts.norm()),
		Width:    w,
		Height:   h,
		Resized:  resized,
		Original: img,
	}, nil
}
