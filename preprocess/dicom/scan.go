package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
	"github.com/suyashkumar/dicom/pkg/vrraw"
)

const (
	// maxDepth bounds sequence/item nesting, so that the library's
	// recursive parser cannot overflow the goroutine stack (a fatal,
	// unrecoverable error).
	maxDepth = 32
	// maxHeapEstimate bounds the estimated memory the library needs
	// for the data set outside the pixel data.
	maxHeapEstimate = 256 << 20
	// elementCost is a generous estimate of the library's memory per
	// parsed element (Element struct, Value, interface headers).
	elementCost = 192
)

// scanResult is what scanElements learns about a file.
type scanResult struct {
	ts  string // transfer syntax UID
	syn syntax
	// data is the whole file, its data set inflated if it was deflated.
	data []byte
	// header is data up to the top-level PixelData element: all that
	// github.com/suyashkumar/dicom is given to parse.
	header []byte
	// pixOff, pixLen locate native pixel data in data; pixOff < 0 if
	// there is none.
	pixOff, pixLen int
	// frags are the fragments of encapsulated pixel data, after the
	// basic offset table (offsets, one per frame, or none).
	frags   [][]byte
	offsets []uint32
}

// maxFragments bounds the fragments of encapsulated pixel data.
const maxFragments = 1 << 16

// walker checks a DICOM file's element structure, making exactly the
// framing decisions of github.com/suyashkumar/dicom v1.0.7 (read.go:
// readElement, readVR, readVL, readValue; tag.Find and tag.GetVRKind are
// the library's own), so that every value length the library will act on
// has been checked against the bytes that remain.
type walker struct {
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
	pixElem  int      // where the top-level PixelData element starts
	frags    [][]byte // top-level encapsulated pixel data
	offsets  []uint32
	encap    bool
}

var errTruncated = errors.New("truncated element")

func scanElements(data []byte) (scanResult, error) {
	w := &walker{data: data, pos: 132, bo: binary.LittleEndian, meta: true, pixOff: -1}
	// File meta information: explicit VR little endian, introduced by its
	// group length, which must come first (as the library requires).
	start := w.pos
	t, err := w.element(len(data), 0)
	if err != nil {
		return scanResult{}, fmt.Errorf("file meta information: %w", err)
	}
	if t != tag.FileMetaInformationGroupLength {
		return scanResult{}, errors.New("file meta information does not start with its group length")
	}
	metaLen, err := w.metaLength(start)
	if err != nil {
		return scanResult{}, err
	}
	if metaLen < 0 || metaLen > int64(len(data)-w.pos) {
		return scanResult{}, fmt.Errorf("file meta information group length %d is beyond the end of the file", metaLen)
	}
	metaEnd := w.pos + int(metaLen)
	for w.pos < metaEnd {
		if _, err := w.element(metaEnd, 0); err != nil {
			return scanResult{}, fmt.Errorf("file meta information: %w", err)
		}
	}
	w.pos = metaEnd

	// The library defaults to implicit VR little endian without a
	// transfer syntax.
	ts := uid.ImplicitVRLittleEndian
	if w.tsSeen {
		ts = w.ts
	}
	syn, err := lookupSyntax(ts)
	if err != nil {
		return scanResult{}, err
	}
	if syn.deflated {
		if w.data, err = inflate(data, metaEnd); err != nil {
			return scanResult{}, err
		}
	}
	w.bo, w.implicit, w.meta = syn.bo, syn.implicit, false
	for w.pos < len(w.data) {
		if _, err := w.element(len(w.data), 0); err != nil {
			return scanResult{}, err
		}
	}
	if w.encap != (syn.codec != codecNative) {
		return scanResult{}, fmt.Errorf("pixel data encapsulation does not match transfer syntax %s (%s)", ts, syn.name)
	}
	res := scanResult{ts: ts, syn: syn, data: w.data, header: w.data, pixOff: w.pixOff, pixLen: w.pixLen, frags: w.frags, offsets: w.offsets}
	if w.pixElem > 0 {
		res.header = w.data[:w.pixElem]
	}
	return res, nil
}

// inflate returns data with its deflated data set, after the file meta
// information that ends at metaEnd, inflated; the result is at most
// MaxBytes long.
func inflate(data []byte, metaEnd int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(data[:metaEnd])
	zr := flate.NewReader(bytes.NewReader(data[metaEnd:]))
	defer zr.Close()
	n, err := buf.ReadFrom(io.LimitReader(zr, MaxBytes+1-int64(metaEnd)))
	if err != nil {
		return nil, fmt.Errorf("inflating the data set: %w", err)
	}
	if int64(metaEnd)+n > MaxBytes {
		return nil, fmt.Errorf("inflated data set is more than the limit of %d bytes", MaxBytes)
	}
	return buf.Bytes(), nil
}

// metaLength returns the value of the group length element that starts at
// start, as the library reads it (first value of an integer list).
func (w *walker) metaLength(start int) (int64, error) {
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

func (w *walker) need(end, n int) error {
	if end-w.pos < n {
		return errTruncated
	}
	return nil
}

// element checks one element ending at or before end, including what it
// nests, advances past it and returns its tag.
func (w *walker) element(end, depth int) (tag.Tag, error) {
	if depth > maxDepth {
		return tag.Tag{}, fmt.Errorf("sequences nested more than %d deep", maxDepth)
	}
	start := w.pos
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
	w.cost += elementCost
	if w.cost > maxHeapEstimate {
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
		top := depth == 0 && !w.meta && w.pixElem == 0
		if top {
			w.pixElem = start
		}
		if undefined {
			return t, w.encapsulated(end, top)
		}
		if top {
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
			w.ts, w.tsSeen = firstString(value), true
		}
	}
	if w.cost > maxHeapEstimate {
		return t, errors.New("data set would need too much memory")
	}
	w.pos += int(vl)
	return t, nil
}

// nested checks the content of a sequence or item of length vl.
func (w *walker) nested(t tag.Tag, vl uint32, end, depth int, delim tag.Tag, itemsOnly bool) error {
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

// firstString returns the first value of a string element as the
// library reads it.
func firstString(value []byte) string {
	s := string(value)
	if strings.TrimSpace(s) != "" {
		s = strings.Trim(s, " \000")
	}
	first, _, _ := strings.Cut(s, "\\")
	return first
}

// encapsulated checks the items of encapsulated pixel data (PS3.5 A.4) up
// to its sequence delimiter; for the top-level pixel data (top) it keeps
// the basic offset table and the fragments.
func (w *walker) encapsulated(end int, top bool) error {
	w.encap = w.encap || top
	for i := 0; ; i++ {
		if i > maxFragments {
			return fmt.Errorf("encapsulated pixel data has more than %d fragments", maxFragments)
		}
		if err := w.need(end, 8); err != nil {
			return err
		}
		t := tag.Tag{Group: w.bo.Uint16(w.data[w.pos:]), Element: w.bo.Uint16(w.data[w.pos+2:])}
		vl := w.bo.Uint32(w.data[w.pos+4:])
		w.pos += 8
		w.cost += elementCost
		if t == tag.SequenceDelimitationItem {
			return nil
		}
		if t != tag.Item {
			return fmt.Errorf("encapsulated pixel data holds %s, not an item", t)
		}
		if int64(vl) > int64(end-w.pos) {
			return fmt.Errorf("pixel data fragment declares %d bytes, only %d remain", vl, end-w.pos)
		}
		frag := w.data[w.pos : w.pos+int(vl)]
		w.pos += int(vl)
		if !top {
			continue
		}
		if i == 0 {
			for ; len(frag) >= 4; frag = frag[4:] {
				w.offsets = append(w.offsets, binary.LittleEndian.Uint32(frag))
			}
			continue
		}
		w.frags = append(w.frags, frag)
	}
}
