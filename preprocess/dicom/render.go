package dicom

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// imageAttrs holds the attributes that describe the pixel data.
type imageAttrs struct {
	rows, cols    int
	bitsAllocated int
	bitsStored    int
	highBit       int
	signed        bool
	monochrome1   bool
	frames        int
	slope         float64
	intercept     float64
	hasWindow     bool
	center, width float64
	voiFunction   string
}

func readAttrs(ds *dcm.Dataset) (imageAttrs, error) {
	var a imageAttrs
	var err error
	if a.rows, err = intAttr(ds, tag.Rows, -1); err != nil {
		return a, err
	}
	if a.cols, err = intAttr(ds, tag.Columns, -1); err != nil {
		return a, err
	}
	if a.rows <= 0 || a.cols <= 0 {
		return a, fmt.Errorf("empty image (%dx%d)", a.cols, a.rows)
	}
	spp, err := intAttr(ds, tag.SamplesPerPixel, 1)
	if err != nil {
		return a, err
	}
	if spp != 1 {
		return a, fmt.Errorf("SamplesPerPixel %d is not supported (only greyscale, 1)", spp)
	}
	switch pi, _ := stringAttr(ds, tag.PhotometricInterpretation); pi {
	case "MONOCHROME2", "":
	case "MONOCHROME1":
		a.monochrome1 = true
	default:
		return a, fmt.Errorf("PhotometricInterpretation %q is not supported (want MONOCHROME1 or MONOCHROME2)", pi)
	}
	if a.bitsAllocated, err = intAttr(ds, tag.BitsAllocated, -1); err != nil {
		return a, err
	}
	if a.bitsAllocated != 8 && a.bitsAllocated != 16 {
		return a, fmt.Errorf("BitsAllocated %d is not supported (want 8 or 16)", a.bitsAllocated)
	}
	if a.bitsStored, err = intAttr(ds, tag.BitsStored, a.bitsAllocated); err != nil {
		return a, err
	}
	if a.highBit, err = intAttr(ds, tag.HighBit, a.bitsStored-1); err != nil {
		return a, err
	}
	if a.bitsStored < 1 || a.bitsStored > a.bitsAllocated || a.highBit >= a.bitsAllocated || a.highBit+1 < a.bitsStored {
		return a, fmt.Errorf("BitsStored %d, HighBit %d do not fit BitsAllocated %d", a.bitsStored, a.highBit, a.bitsAllocated)
	}
	rep, err := intAttr(ds, tag.PixelRepresentation, 0)
	if err != nil {
		return a, err
	}
	a.signed = rep == 1
	a.frames = 1
	if s, ok := stringAttr(ds, tag.NumberOfFrames); ok && s != "" {
		if a.frames, err = strconv.Atoi(s); err != nil || a.frames < 1 {
			return a, fmt.Errorf("NumberOfFrames %q is not a positive integer", s)
		}
	}
	a.slope, a.intercept = 1, 0
	if v, ok, err := floatAttr(ds, tag.RescaleSlope); err != nil {
		return a, err
	} else if ok {
		a.slope = v
	}
	if v, ok, err := floatAttr(ds, tag.RescaleIntercept); err != nil {
		return a, err
	} else if ok {
		a.intercept = v
	}
	c, okC, errC := floatAttr(ds, tag.WindowCenter)
	w, okW, errW := floatAttr(ds, tag.WindowWidth)
	a.voiFunction, _ = stringAttr(ds, tag.VOILUTFunction)
	if a.voiFunction != "LINEAR_EXACT" && a.voiFunction != "SIGMOID" {
		a.voiFunction = "LINEAR" // the default, also for unknown names
	}
	// An unusable window is ignored (min-max is used), as viewers do.
	minWidth := 0.0
	if a.voiFunction == "LINEAR" {
		minWidth = 1
	}
	a.hasWindow = okC && okW && errC == nil && errW == nil && w >= minWidth && w > 0
	a.center, a.width = c, w
	return a, nil
}

func intAttr(ds *dcm.Dataset, t tag.Tag, def int) (int, error) {
	e, err := ds.FindElementByTag(t)
	if err != nil {
		if def < 0 {
			return 0, fmt.Errorf("missing %s", tagName(t))
		}
		return def, nil
	}
	v, ok := e.Value.GetValue().([]int)
	if !ok || len(v) == 0 {
		return 0, fmt.Errorf("%s is not an integer", tagName(t))
	}
	return v[0], nil
}

func stringAttr(ds *dcm.Dataset, t tag.Tag) (string, bool) {
	e, err := ds.FindElementByTag(t)
	if err != nil {
		return "", false
	}
	v, ok := e.Value.GetValue().([]string)
	if !ok || len(v) == 0 {
		return "", false
	}
	return strings.TrimSpace(strings.Trim(v[0], "\x00")), true
}

// floatAttr reads the first value of a decimal string.
func floatAttr(ds *dcm.Dataset, t tag.Tag) (float64, bool, error) {
	s, ok := stringAttr(ds, t)
	if !ok || s == "" {
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, fmt.Errorf("%s %q is not a finite number", tagName(t), s)
	}
	return f, true, nil
}

func tagName(t tag.Tag) string {
	if info, err := tag.Find(t); err == nil {
		return info.Name
	}
	return t.String()
}

// render maps the first frame of native pixel data to 8-bit grey.
func render(a imageAttrs, pix []byte, bo binary.ByteOrder) (*image.Gray, error) {
	n := a.rows * a.cols
	bpp := a.bitsAllocated / 8
	frameBytes := n * bpp
	if a.frames > len(pix)/frameBytes {
		return nil, fmt.Errorf("pixel data has %d bytes, less than %d frames of %dx%d at %d bits", len(pix), a.frames, a.cols, a.rows, a.bitsAllocated)
	}
	if total := a.frames * frameBytes; len(pix) > total+1 {
		return nil, fmt.Errorf("pixel data has %d bytes, more than %d frames of %dx%d at %d bits (%d)", len(pix), a.frames, a.cols, a.rows, a.bitsAllocated, total)
	}
	shift := uint(a.highBit + 1 - a.bitsStored)
	mask := 1<<uint(a.bitsStored) - 1
	sign := 1 << uint(a.bitsStored-1)
	vals := make([]float64, n)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range vals {
		var raw int
		if bpp == 1 {
			raw = int(pix[i])
		} else {
			raw = int(bo.Uint16(pix[2*i:]))
		}
		v := raw >> shift & mask
		if a.signed && v&sign != 0 {
			v -= 1 << uint(a.bitsStored)
		}
		x := float64(v)*a.slope + a.intercept
		vals[i] = x
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	g := image.NewGray(image.Rect(0, 0, a.cols, a.rows))
	for i, x := range vals {
		var y float64
		switch {
		case a.hasWindow:
			y = voi(a.voiFunction, x, a.center, a.width)
		case hi > lo:
			y = (x - lo) / (hi - lo) * 255
		}
		b := uint8(math.Floor(math.Min(math.Max(y, 0), 255) + 0.5))
		if a.monochrome1 {
			b = 255 - b
		}
		g.Pix[i] = b
	}
	return g, nil
}

// voi applies a VOI LUT function (DICOM PS3.3 C.11.2.1.2) with output
// range 0..255.
func voi(fn string, x, c, w float64) float64 {
	switch fn {
	case "LINEAR_EXACT":
		return (x-c)/w*255 + 127.5
	case "SIGMOID":
		return 255 / (1 + math.Exp(-4*(x-c)/w))
	}
	switch {
	case x <= c-0.5-(w-1)/2:
		return 0
	case x > c-0.5+(w-1)/2:
		return 255
	}
	return ((x-(c-0.5))/(w-1) + 0.5) * 255
}
