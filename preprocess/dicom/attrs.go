package dicom

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// imageAttrs holds the attributes that describe the pixel data.
type imageAttrs struct {
	rows, cols    int
	spp           int    // samples per pixel: 1 or 3
	photometric   string // MONOCHROME1, MONOCHROME2, RGB, YBR_FULL, YBR_FULL_422
	planar        bool   // colour planes one after the other (PlanarConfiguration 1)
	bitsAllocated int
	bitsStored    int
	highBit       int
	signed        bool
	frames        int
	hasPadding    bool
	padding       int // PixelPaddingValue, as a stored value
	slope         float64
	intercept     float64
	hasWindow     bool
	center, width float64
	voiFunction   string
}

// monochrome1 reports whether the minimum value is white.
func (a *imageAttrs) monochrome1() bool { return a.photometric == "MONOCHROME1" }

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
	if a.spp, err = intAttr(ds, tag.SamplesPerPixel, 1); err != nil {
		return a, err
	}
	if err := a.readPhotometric(ds); err != nil {
		return a, err
	}
	if err := a.readBits(ds); err != nil {
		return a, err
	}
	a.frames = 1
	if s, ok := stringAttr(ds, tag.NumberOfFrames); ok && s != "" {
		if a.frames, err = strconv.Atoi(s); err != nil || a.frames < 1 {
			return a, fmt.Errorf("NumberOfFrames %q is not a positive integer", s)
		}
	}
	if p, err := intAttr(ds, tag.PixelPaddingValue, math.MinInt); err == nil && p != math.MinInt {
		a.hasPadding, a.padding = true, a.stored(p)
	}
	return a, a.readLUTs(ds)
}

// readPhotometric reads the colour model and the planar configuration.
func (a *imageAttrs) readPhotometric(ds *dcm.Dataset) error {
	a.photometric, _ = stringAttr(ds, tag.PhotometricInterpretation)
	switch a.photometric {
	case "":
		a.photometric = "MONOCHROME2"
		if a.spp == 3 {
			a.photometric = "RGB"
		}
	case "MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422":
	default:
		return fmt.Errorf("PhotometricInterpretation %q is not supported (want MONOCHROME1, MONOCHROME2, RGB, YBR_FULL or YBR_FULL_422)", a.photometric)
	}
	want := 1
	if !strings.HasPrefix(a.photometric, "MONOCHROME") {
		want = 3
	}
	if a.spp != want {
		return fmt.Errorf("SamplesPerPixel %d does not fit PhotometricInterpretation %s (want %d)", a.spp, a.photometric, want)
	}
	if a.spp == 3 {
		pc, err := intAttr(ds, tag.PlanarConfiguration, 0)
		if err != nil {
			return err
		}
		a.planar = pc == 1
	}
	return nil
}

// readBits reads the sample format.
func (a *imageAttrs) readBits(ds *dcm.Dataset) error {
	var err error
	if a.bitsAllocated, err = intAttr(ds, tag.BitsAllocated, -1); err != nil {
		return err
	}
	if a.bitsAllocated != 8 && a.bitsAllocated != 16 {
		return fmt.Errorf("BitsAllocated %d is not supported (want 8 or 16)", a.bitsAllocated)
	}
	if a.spp == 3 && a.bitsAllocated != 8 {
		return fmt.Errorf("colour with BitsAllocated %d is not supported (want 8)", a.bitsAllocated)
	}
	if a.bitsStored, err = intAttr(ds, tag.BitsStored, a.bitsAllocated); err != nil {
		return err
	}
	if a.highBit, err = intAttr(ds, tag.HighBit, a.bitsStored-1); err != nil {
		return err
	}
	if a.bitsStored < 1 || a.bitsStored > a.bitsAllocated || a.highBit >= a.bitsAllocated || a.highBit+1 < a.bitsStored {
		return fmt.Errorf("BitsStored %d, HighBit %d do not fit BitsAllocated %d", a.bitsStored, a.highBit, a.bitsAllocated)
	}
	rep, err := intAttr(ds, tag.PixelRepresentation, 0)
	if err != nil {
		return err
	}
	a.signed = rep == 1
	return nil
}

// stored masks v to BitsStored bits and sign-extends it for signed pixels.
func (a *imageAttrs) stored(v int) int {
	v &= 1<<uint(a.bitsStored) - 1
	if a.signed && v&(1<<uint(a.bitsStored-1)) != 0 {
		v -= 1 << uint(a.bitsStored)
	}
	return v
}

// readLUTs reads the modality rescale and the first VOI window.
func (a *imageAttrs) readLUTs(ds *dcm.Dataset) error {
	a.slope, a.intercept = 1, 0
	if v, ok, err := floatAttr(ds, tag.RescaleSlope); err != nil {
		return err
	} else if ok {
		a.slope = v
	}
	if v, ok, err := floatAttr(ds, tag.RescaleIntercept); err != nil {
		return err
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
	return nil
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
