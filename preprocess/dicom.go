package preprocess

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
	"github.com/suyashkumar/dicom/pkg/vrraw"
)

// MaxDICOMBytes is the largest DICOM file DecodeDICOM (and Decode) accepts.
// A single uncompressed chest radiograph is at most a few tens of MB.
const MaxDICOMBytes = 512 << 20

const (
	// dicomMaxDepth bounds sequence/item nesting, so that the library's
	// recursive parser cannot overflow the goroutine stack (a fatal,
	// unrecoverable error).
	dicomMaxDepth = 32
	// dicomMaxHeapEstimate bounds the estimated memory the library needs
	// for the data set outside the pixel data.
	dicomMaxHeapEstimate = 256 << 20
	// dicomElementCost is a generous estimate of the library's memory per
	// parsed element (Element struct, Value, interface headers).
	dicomElementCost = 192
)

// Transfer syntaxes whose pixel data is native (uncompressed).
var dicomNativeSyntaxes = map[string]binary.ByteOrder{
	uid.ImplicitVRLittleEndian: binary.LittleEndian,
	uid.ExplicitVRLittleEndian: binary.LittleEndian,
	uid.ExplicitVRBigEndian:    binary.BigEndian,
}

// DecodeDICOM decodes the first frame of a DICOM Part 10 file (128-byte
// preamble, "DICM", file meta information) of size bytes with native
// (uncompressed) pixel data: 8- or 16-bit, unsigned or signed, one sample
// per pixel, photometric interpretation MONOCHROME1 (inverted) or
// MONOCHROME2, in the Implicit VR Little Endian, Explicit VR Little Endian
// or Explicit VR Big Endian transfer syntax. Compressed transfer syntaxes
// (JPEG, JPEG-LS, JPEG 2000, RLE, deflate) are refused with an error that
// names them.
//
// Stored values are masked to BitsStored, mapped through RescaleSlope and
// RescaleIntercept (the modality LUT), then through the first VOI window
// (WindowCenter, WindowWidth) with the function named by VOILUTFunction
// (LINEAR, the default, as in DICOM PS3.3 C.11.2.1.2.1; LINEAR_EXACT;
// SIGMOID) onto 0..255; without a valid window the frame's minimum and
// maximum are mapped to 0 and 255 (a constant frame gives 0).
// MONOCHROME1 is then inverted so that the result is always white-is-dense
// like MONOCHROME2. The result is an *image.Gray.
//
// Files over MaxDICOMBytes and frames with more than maxPixels pixels
// (maxPixels <= 0 means DefaultMaxPixels) are refused; the pixel count is
// checked before any pixel memory is allocated. The whole file is read into
// memory and its element structure is checked (every value length against
// the bytes that remain, nesting depth, estimated parser memory) before it
// is handed to github.com/suyashkumar/dicom, whose parser allocates by
// declared lengths and recurses by nesting. Errors start with
// "preprocess: " and, when caused by the data, match ErrInvalidImage.
func DecodeDICOM(r io.Reader, size int64, maxPixels int) (image.Image, error) {
	if r == nil {
		return nil, errors.New("preprocess: nil reader")
	}
	if size < 132 {
		return nil, invalid(fmt.Errorf("preprocess: dicom file of %d bytes is too short", size))
	}
	if size > MaxDICOMBytes {
		return nil, invalid(fmt.Errorf("preprocess: dicom file of %d bytes is more than the limit of %d bytes", size, MaxDICOMBytes))
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, invalid(fmt.Errorf("preprocess: decoding dicom image: truncated data (fewer than %d bytes): %w", size, err))
		}
		return nil, fmt.Errorf("preprocess: reading dicom image: %w", err)
	}
	return decodeDICOMBytes(data, maxPixels)
}

// isDICOM reports whether head (at least 132 bytes) starts a DICOM Part 10
// file.
func isDICOM(head []byte) bool {
	return len(head) >= 132 && string(head[128:132]) == "DICM"
}

// decodeDICOMStream decodes a DICOM file whose first bytes, head, have
// already been read from r; it is Decode's route for DICOM input.
func decodeDICOMStream(head []byte, r io.Reader, maxPixels int) (image.Image, error) {
	var buf bytes.Buffer
	buf.Write(head)
	n, err := buf.ReadFrom(io.LimitReader(r, MaxDICOMBytes+1-int64(len(head))))
	if err != nil {
		return nil, fmt.Errorf("preprocess: reading dicom image: %w", err)
	}
	if int64(len(head))+n > MaxDICOMBytes {
		return nil, invalid(fmt.Errorf("preprocess: dicom file is more than the limit of %d bytes", MaxDICOMBytes))
	}
	data := buf.Bytes()
	return DecodeDICOM(bytes.NewReader(data), int64(len(data)), maxPixels)
}

func decodeDICOMBytes(data []byte, maxPixels int) (img image.Image, err error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, invalid(fmt.Errorf("preprocess: decoding dicom image: parser failed: %v", p))
		}
	}()
	if !isDICOM(data) {
		return nil, invalid(errors.New(`preprocess: decoding dicom image: no "DICM" magic at offset 128`))
	}
	sc, err := scanDICOM(data)
	if err != nil {
		return nil, invalid(fmt.Errorf("preprocess: decoding dicom image: %w", err))
	}
	ds, err := dicom.Parse(bytes.NewReader(data), int64(len(data)), nil, dicom.SkipPixelData())
	if err != nil {
		return nil, invalid(fmt.Errorf("preprocess: decoding dicom image: %w", err))
	}
	a, err := dicomAttrs(&ds)
	if err != nil {
		return nil, invalid(fmt.Errorf("preprocess: decoding dicom image: %w", err))
	}
	if tooMany(a.cols, a.rows, maxPixels) {
		return nil, invalid(fmt.Errorf("preprocess: dicom image is %dx%d, more than the limit of %d pixels", a.cols, a.rows, maxPixels))
	}
	pe, err := ds.FindElementByTag(tag.PixelData)
	if err != nil || sc.pixOff < 0 {
		return nil, invalid(errors.New("preprocess: decoding dicom image: no pixel data"))
	}
	if int64(pe.ValueLength) != int64(sc.pixLen) {
		return nil, invalid(fmt.Errorf("preprocess: decoding dicom image: inconsistent pixel data length (%d, %d)", pe.ValueLength, sc.pixLen))
	}
	g, err := renderDICOM(a, data[sc.pixOff:sc.pixOff+sc.pixLen], sc.bo)
	if err != nil {
		return nil, invalid(fmt.Errorf("preprocess: decoding dicom image: %w", err))
	}
	return g, nil
}

// dicomScan is what scanDICOM learns about a file.
type dicomScan struct {
	bo             binary.ByteOrder
	pixOff, pixLen int // the top-level PixelData value; pixOff < 0 if none
}

// dicomWalker checks a DICOM file's element structure, making exactly the
// framing decisions of github.com/suyashkumar/dicom v1.0.7 (read.go:
// readElement, readVR, readVL, readValue; tag.Find and tag.GetVRKind are
// the library's own), so that every value length the library will act on
// has been checked against the bytes that remain.
type dicomWalker struct {
	data     []byte
	pos      int
	bo       binary.ByteOrder
	implicit bool
	meta     bool
	cost     int64
	ts       string
	tsSeen   bool
	pixOff   int
	pixLen   int
}

var errDICOMTruncated = errors.New("truncated element")

func scanDICOM(data []byte) (dicomScan, error) {
	w := &dicomWalker{data: data, pos: 132, bo: binary.LittleEndian, meta: true, pixOff: -1}
	// File meta information: explicit VR little endian, introduced by its
	// group length, which must come first (as the library requires).
	start := w.pos
	t, err := w.element(len(data), 0)
	if err != nil {
		return dicomScan{}, fmt.Errorf("file meta information: %w", err)
	}
	if t != tag.FileMetaInformationGroupLength {
		return dicomScan{}, errors.New("file meta information does not start with its group length")
	}
	metaLen, err := w.metaLength(start)
	if err != nil {
		return dicomScan{}, err
	}
	if metaLen < 0 || metaLen > int64(len(data)-w.pos) {
		return dicomScan{}, fmt.Errorf("file meta information group length %d is beyond the end of the file", metaLen)
	}
	metaEnd := w.pos + int(metaLen)
	for w.pos < metaEnd {
		if _, err := w.element(metaEnd, 0); err != nil {
			return dicomScan{}, fmt.Errorf("file meta information: %w", err)
		}
	}
	w.pos = metaEnd

	// The library defaults to implicit VR little endian without a
	// transfer syntax.
	ts := uid.ImplicitVRLittleEndian
	if w.tsSeen {
		ts = w.ts
	}
	bo, ok := dicomNativeSyntaxes[ts]
	if !ok {
		return dicomScan{}, unsupportedSyntax(ts)
	}
	w.bo, w.implicit, w.meta = bo, ts == uid.ImplicitVRLittleEndian, false
	for w.pos < len(data) {
		if _, err := w.element(len(data), 0); err != nil {
			return dicomScan{}, err
		}
	}
	return dicomScan{bo: bo, pixOff: w.pixOff, pixLen: w.pixLen}, nil
}

func unsupportedSyntax(ts string) error {
	if info, err := uid.Lookup(ts); err == nil && info.Type == uid.TypeTransferSyntax {
		return fmt.Errorf("transfer syntax %s (%s) is not supported: only uncompressed (native) pixel data can be decoded", ts, info.Name)
	}
	return fmt.Errorf("unknown transfer syntax %q", ts)
}

// metaLength returns the value of the group length element that starts at
// start, as the library reads it (first value of an integer list).
func (w *dicomWalker) metaLength(start int) (int64, error) {
	// Explicit VR: tag (4), VR (2), VL (2), value.
	vr := string(w.data[start+4 : start+6])
	vl := int(binary.LittleEndian.Uint16(w.data[start+6:]))
	v := w.data[start+8:]
	switch vr {
	case vrraw.UnsignedLong:
		if vl >= 4 {
			return int64(binary.LittleEndian.Uint32(v)), nil
		}
	case vrraw.SignedLong:
		if vl >= 4 {
			return int64(int32(binary.LittleEndian.Uint32(v))), nil
		}
	case vrraw.UnsignedShort, vrraw.AttributeTag:
		if vl >= 2 {
			return int64(binary.LittleEndian.Uint16(v)), nil
		}
	case vrraw.SignedShort:
		if vl >= 2 {
			return int64(int16(binary.LittleEndian.Uint16(v))), nil
		}
	}
	return 0, fmt.Errorf("file meta information group length has VR %q and length %d", vr, vl)
}

func (w *dicomWalker) need(end, n int) error {
	if end-w.pos < n {
		return errDICOMTruncated
	}
	return nil
}

// element checks one element ending at or before end, including what it
// nests, advances past it and returns its tag.
func (w *dicomWalker) element(end, depth int) (tag.Tag, error) {
	if depth > dicomMaxDepth {
		return tag.Tag{}, fmt.Errorf("sequences nested more than %d deep", dicomMaxDepth)
	}
	if err := w.need(end, 4); err != nil {
		return tag.Tag{}, err
	}
	t := tag.Tag{Group: w.bo.Uint16(w.data[w.pos:]), Element: w.bo.Uint16(w.data[w.pos+2:])}
	w.pos += 4
	implicit := w.implicit || t == tag.Item
	var vr string
	var vl uint32
	if implicit {
		vr = tag.UnknownVR
		if info, err := tag.Find(t); err == nil {
			vr = info.VR
		}
		if err := w.need(end, 4); err != nil {
			return t, err
		}
		vl = w.bo.Uint32(w.data[w.pos:])
		w.pos += 4
	} else {
		if err := w.need(end, 2); err != nil {
			return t, err
		}
		vr = string(w.data[w.pos : w.pos+2])
		w.pos += 2
		switch vr {
		case "NA", vrraw.OtherByte, vrraw.OtherDouble, vrraw.OtherFloat,
			vrraw.OtherLong, vrraw.OtherWord, vrraw.Sequence, vrraw.Unknown,
			vrraw.UnlimitedCharacters, vrraw.UniversalResourceIdentifier,
			vrraw.UnlimitedText:
			if err := w.need(end, 6); err != nil {
				return t, err
			}
			vl = w.bo.Uint32(w.data[w.pos+2:])
			w.pos += 6
		default:
			if err := w.need(end, 2); err != nil {
				return t, err
			}
			vl = uint32(w.bo.Uint16(w.data[w.pos:]))
			if vl == 0xffff {
				vl = tag.VLUndefinedLength
			}
			w.pos += 2
		}
	}
	w.cost += dicomElementCost
	if w.cost > dicomMaxHeapEstimate {
		return t, errors.New("too many elements")
	}
	undefined := vl == tag.VLUndefinedLength
	if !undefined && int64(vl) > int64(end-w.pos) {
		return t, fmt.Errorf("element %s declares %d bytes, only %d remain", t, vl, end-w.pos)
	}
	switch tag.GetVRKind(t, vr) {
	case tag.VRSequence:
		return t, w.nested(t, vl, end, depth, tag.SequenceDelimitationItem, true)
	case tag.VRItem:
		return t, w.nested(t, vl, end, depth, tag.ItemDelimitationItem, false)
	case tag.VRPixelData:
		if undefined {
			return t, errors.New("encapsulated (compressed) pixel data is not supported")
		}
		if depth == 0 && !w.meta && w.pixOff < 0 {
			w.pixOff, w.pixLen = w.pos, int(vl)
		}
		w.pos += int(vl)
		return t, nil
	}
	if undefined {
		return t, fmt.Errorf("element %s (VR %q) has undefined length", t, vr)
	}
	value := w.data[w.pos : w.pos+int(vl)]
	switch tag.GetVRKind(t, vr) {
	case tag.VRBytes:
		w.cost += int64(vl)
	case tag.VRUInt16List, tag.VRUInt32List, tag.VRInt16List, tag.VRInt32List,
		tag.VRTagList, tag.VRFloat32List, tag.VRFloat64List:
		w.cost += 4 * int64(vl) // a slice of int or float64 with capacity vl/2
	default: // strings: decoded text, split at backslashes
		w.cost += 4*int64(vl) + 16*int64(bytes.Count(value, []byte{'\\'})+1)
		if w.meta && t == tag.TransferSyntaxUID && !w.tsSeen {
			w.ts, w.tsSeen = dicomFirstString(value), true
		}
	}
	if w.cost > dicomMaxHeapEstimate {
		return t, errors.New("data set would need too much memory")
	}
	w.pos += int(vl)
	return t, nil
}

// nested checks the content of a sequence or item of length vl.
func (w *dicomWalker) nested(t tag.Tag, vl uint32, end, depth int, delim tag.Tag, itemsOnly bool) error {
	if vl != tag.VLUndefinedLength {
		subEnd := w.pos + int(vl)
		for w.pos < subEnd {
			ct, err := w.element(subEnd, depth+1)
			if err != nil {
				return err
			}
			if itemsOnly && ct != tag.Item {
				return fmt.Errorf("sequence %s holds %s, not an item", t, ct)
			}
		}
		return nil
	}
	for {
		ct, err := w.element(end, depth+1)
		if err != nil {
			return err
		}
		if ct == delim {
			return nil
		}
		if itemsOnly && ct != tag.Item {
			return fmt.Errorf("sequence %s holds %s, not an item", t, ct)
		}
	}
}

// dicomFirstString returns the first value of a string element as the
// library reads it.
func dicomFirstString(value []byte) string {
	s := string(value)
	if strings.TrimSpace(s) != "" {
		s = strings.Trim(s, " \000")
	}
	first, _, _ := strings.Cut(s, "\\")
	return first
}

// dicomImage holds the attributes that describe the pixel data.
type dicomImage struct {
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

func dicomAttrs(ds *dicom.Dataset) (dicomImage, error) {
	var a dicomImage
	var err error
	if a.rows, err = dicomInt(ds, tag.Rows, -1); err != nil {
		return a, err
	}
	if a.cols, err = dicomInt(ds, tag.Columns, -1); err != nil {
		return a, err
	}
	if a.rows <= 0 || a.cols <= 0 {
		return a, fmt.Errorf("empty image (%dx%d)", a.cols, a.rows)
	}
	spp, err := dicomInt(ds, tag.SamplesPerPixel, 1)
	if err != nil {
		return a, err
	}
	if spp != 1 {
		return a, fmt.Errorf("SamplesPerPixel %d is not supported (only greyscale, 1)", spp)
	}
	switch pi, _ := dicomString(ds, tag.PhotometricInterpretation); pi {
	case "MONOCHROME2", "":
	case "MONOCHROME1":
		a.monochrome1 = true
	default:
		return a, fmt.Errorf("PhotometricInterpretation %q is not supported (want MONOCHROME1 or MONOCHROME2)", pi)
	}
	if a.bitsAllocated, err = dicomInt(ds, tag.BitsAllocated, -1); err != nil {
		return a, err
	}
	if a.bitsAllocated != 8 && a.bitsAllocated != 16 {
		return a, fmt.Errorf("BitsAllocated %d is not supported (want 8 or 16)", a.bitsAllocated)
	}
	if a.bitsStored, err = dicomInt(ds, tag.BitsStored, a.bitsAllocated); err != nil {
		return a, err
	}
	if a.highBit, err = dicomInt(ds, tag.HighBit, a.bitsStored-1); err != nil {
		return a, err
	}
	if a.bitsStored < 1 || a.bitsStored > a.bitsAllocated || a.highBit >= a.bitsAllocated || a.highBit+1 < a.bitsStored {
		return a, fmt.Errorf("BitsStored %d, HighBit %d do not fit BitsAllocated %d", a.bitsStored, a.highBit, a.bitsAllocated)
	}
	rep, err := dicomInt(ds, tag.PixelRepresentation, 0)
	if err != nil {
		return a, err
	}
	a.signed = rep == 1
	a.frames = 1
	if s, ok := dicomString(ds, tag.NumberOfFrames); ok && s != "" {
		if a.frames, err = strconv.Atoi(s); err != nil || a.frames < 1 {
			return a, fmt.Errorf("NumberOfFrames %q is not a positive integer", s)
		}
	}
	a.slope, a.intercept = 1, 0
	if v, ok, err := dicomFloat(ds, tag.RescaleSlope); err != nil {
		return a, err
	} else if ok {
		a.slope = v
	}
	if v, ok, err := dicomFloat(ds, tag.RescaleIntercept); err != nil {
		return a, err
	} else if ok {
		a.intercept = v
	}
	c, okC, errC := dicomFloat(ds, tag.WindowCenter)
	w, okW, errW := dicomFloat(ds, tag.WindowWidth)
	a.voiFunction, _ = dicomString(ds, tag.VOILUTFunction)
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

func dicomInt(ds *dicom.Dataset, t tag.Tag, def int) (int, error) {
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

func dicomString(ds *dicom.Dataset, t tag.Tag) (string, bool) {
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

// dicomFloat reads the first value of a decimal string.
func dicomFloat(ds *dicom.Dataset, t tag.Tag) (float64, bool, error) {
	s, ok := dicomString(ds, t)
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

// renderDICOM maps the first frame of native pixel data to 8-bit grey.
func renderDICOM(a dicomImage, pix []byte, bo binary.ByteOrder) (*image.Gray, error) {
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
