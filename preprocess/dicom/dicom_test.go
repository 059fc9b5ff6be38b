package dicom

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDICOM = flag.Bool("update-dicom", false, "rewrite testdata fixtures")

// dcmElem is one element for the test's own DICOM writer, which is
// independent of the library under test.
type dcmElem struct {
	group, elem uint16
	vr          string
	value       []byte
	undefined   bool // write VL 0xFFFFFFFF
}

// dcmLongVR reports whether an explicit VR uses a 4-byte length (PS3.5 7.1.2).
func dcmLongVR(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OW", "SQ", "UN", "UC", "UR", "UT":
		return true
	}
	return false
}

func dcmEncode(buf *bytes.Buffer, bo binary.ByteOrder, explicit bool, e dcmElem) {
	var b [4]byte
	bo.PutUint16(b[:], e.group)
	bo.PutUint16(b[2:], e.elem)
	buf.Write(b[:])
	vl := uint32(len(e.value))
	if e.undefined {
		vl = 0xffffffff
	}
	if explicit {
		buf.WriteString(e.vr)
		if dcmLongVR(e.vr) {
			buf.Write([]byte{0, 0})
		} else {
			bo.PutUint16(b[:], uint16(vl))
			buf.Write(b[:2])
			buf.Write(e.value)
			return
		}
	}
	bo.PutUint32(b[:], vl)
	buf.Write(b[:])
	buf.Write(e.value)
}

func dcmStr(g, e uint16, vr, s string) dcmElem {
	if len(s)%2 == 1 {
		if vr == "UI" {
			s += "\x00"
		} else {
			s += " "
		}
	}
	return dcmElem{g, e, vr, []byte(s), false}
}

func dcmUS(g, e uint16, v uint16) dcmElem {
	return dcmElem{g, e, "US", binary.LittleEndian.AppendUint16(nil, v), false}
}

// dcmFile writes a DICOM Part 10 file: preamble, DICM, file meta (explicit
// VR little endian with its group length) and the data set in the given
// transfer syntax. US values in elems must already be in the data set's
// byte order.
func dcmFile(ts string, elems ...dcmElem) []byte {
	var meta bytes.Buffer
	dcmEncode(&meta, binary.LittleEndian, true, dcmStr(0x0002, 0x0001, "OB", "\x00\x01"))
	dcmEncode(&meta, binary.LittleEndian, true, dcmStr(0x0002, 0x0010, "UI", ts))
	var out bytes.Buffer
	out.Write(make([]byte, 128))
	out.WriteString("DICM")
	dcmEncode(&out, binary.LittleEndian, true, dcmElem{0x0002, 0x0000, "UL", binary.LittleEndian.AppendUint32(nil, uint32(meta.Len())), false})
	out.Write(meta.Bytes())
	bo := binary.ByteOrder(binary.LittleEndian)
	if ts == "1.2.840.10008.1.2.2" {
		bo = binary.BigEndian
	}
	explicit := ts != "1.2.840.10008.1.2"
	for _, e := range elems {
		if e.vr == "US" && bo == binary.BigEndian {
			e.value = binary.BigEndian.AppendUint16(nil, binary.LittleEndian.Uint16(e.value))
		}
		dcmEncode(&out, bo, explicit, e)
	}
	return out.Bytes()
}

// Fixture pixel patterns and their expected 8-bit output, computed here
// from the DICOM formulas, not by the code under test.
func mono2Raw(x, y int) int { return (x*37 + y*101) % 4096 } // 12 bits stored

func mono2Expected(x, y int) uint8 {
	v := float64(mono2Raw(x, y))*2 - 1024 // RescaleSlope 2, RescaleIntercept -1024
	c, w := 1000.0, 2000.0
	var out float64
	switch {
	case v <= c-0.5-(w-1)/2:
		out = 0
	case v > c-0.5+(w-1)/2:
		out = 255
	default:
		out = ((v-(c-0.5))/(w-1) + 0.5) * 255
	}
	return uint8(math.Floor(out + 0.5))
}

func mono1Raw(x, y int) int { return (x*3+y*5)%200 + 20 } // 20..219

func mono1Expected(x, y, lo, hi int) uint8 {
	y8 := math.Floor(float64(mono1Raw(x, y)-lo)*255/float64(hi-lo) + 0.5)
	return 255 - uint8(y8)
}

func pixels16(w, h int, bo binary.AppendByteOrder, f func(x, y int) int) []byte {
	var out []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Set bits above BitsStored, which must be masked away.
			out = bo.AppendUint16(out, uint16(f(x, y))|0xf000)
		}
	}
	return out
}

func pixels8(w, h int, f func(x, y int) int) []byte {
	var out []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out = append(out, byte(f(x, y)))
		}
	}
	return out
}

func mono2File(ts string, bo binary.AppendByteOrder) []byte {
	return dcmFile(ts,
		dcmStr(0x0008, 0x0060, "CS", "DX"),
		dcmUS(0x0028, 0x0002, 1),
		dcmStr(0x0028, 0x0004, "CS", "MONOCHROME2"),
		dcmUS(0x0028, 0x0010, 48),
		dcmUS(0x0028, 0x0011, 64),
		dcmUS(0x0028, 0x0100, 16),
		dcmUS(0x0028, 0x0101, 12),
		dcmUS(0x0028, 0x0102, 11),
		dcmUS(0x0028, 0x0103, 0),
		dcmStr(0x0028, 0x1050, "DS", "1000\\40"),
		dcmStr(0x0028, 0x1051, "DS", "2000\\80"),
		dcmStr(0x0028, 0x1052, "DS", "-1024"),
		dcmStr(0x0028, 0x1053, "DS", "2"),
		dcmElem{0x7fe0, 0x0010, "OW", pixels16(64, 48, bo, mono2Raw), false},
	)
}

func mono1File() []byte {
	// 33x21 8-bit: an odd number of bytes, padded to even as DICOM requires.
	pix := append(pixels8(33, 21, mono1Raw), 0)
	return dcmFile("1.2.840.10008.1.2",
		dcmUS(0x0028, 0x0002, 1),
		dcmStr(0x0028, 0x0004, "CS", "MONOCHROME1"),
		dcmUS(0x0028, 0x0010, 21),
		dcmUS(0x0028, 0x0011, 33),
		dcmUS(0x0028, 0x0100, 8),
		dcmUS(0x0028, 0x0101, 8),
		dcmUS(0x0028, 0x0102, 7),
		dcmUS(0x0028, 0x0103, 0),
		dcmElem{0x7fe0, 0x0010, "OB", pix, false},
	)
}

func jpegFile() []byte { return encapsulatedFile("1.2.840.10008.1.2.4.50", []byte("\xff\xd8junkjunk")) }

// encapsulatedFile writes an 8x8 8-bit greyscale file of transfer syntax
// ts whose encapsulated pixel data has an empty offset table and one
// fragment.
func encapsulatedFile(ts string, fragment []byte) []byte {
	var px bytes.Buffer
	dcmEncode(&px, binary.LittleEndian, false, dcmElem{0xfffe, 0xe000, "", nil, false})
	dcmEncode(&px, binary.LittleEndian, false, dcmElem{0xfffe, 0xe000, "", fragment, false})
	dcmEncode(&px, binary.LittleEndian, false, dcmElem{0xfffe, 0xe0dd, "", nil, false})
	pix := dcmElem{0x7fe0, 0x0010, "OB", nil, true}
	f := dcmFile(ts,
		dcmUS(0x0028, 0x0002, 1),
		dcmStr(0x0028, 0x0004, "CS", "MONOCHROME2"),
		dcmUS(0x0028, 0x0010, 8),
		dcmUS(0x0028, 0x0011, 8),
		dcmUS(0x0028, 0x0100, 8),
		pix,
	)
	return append(f, px.Bytes()...)
}

var dicomFixtures = map[string]func() []byte{
	"mono2_16bit_64x48_window.dcm": func() []byte { return mono2File("1.2.840.10008.1.2.1", binary.LittleEndian) },
	"mono2_16bit_64x48_be.dcm":     func() []byte { return mono2File("1.2.840.10008.1.2.2", binary.BigEndian) },
	"mono1_8bit_33x21.dcm":         mono1File,
	"jpeg_baseline_junk.dcm":       jpegFile,
}

// TestFixtures checks that testdata holds what the writer above
// produces (go test -run TestFixtures -update-dicom rewrites them).
func TestFixtures(t *testing.T) {
	for name, gen := range dicomFixtures {
		path := filepath.Join("testdata", name)
		want := gen()
		if *updateDICOM {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale; run go test -run TestFixtures -update-dicom", path)
		}
	}
}

func readDICOMFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodePixels(t *testing.T) {
	lo, hi := 1000, -1
	for y := 0; y < 21; y++ {
		for x := 0; x < 33; x++ {
			lo, hi = min(lo, mono1Raw(x, y)), max(hi, mono1Raw(x, y))
		}
	}
	tests := []struct {
		file string
		w, h int
		want func(x, y int) uint8
	}{
		{"mono2_16bit_64x48_window.dcm", 64, 48, mono2Expected},
		{"mono2_16bit_64x48_be.dcm", 64, 48, mono2Expected},
		{"mono1_8bit_33x21.dcm", 33, 21, func(x, y int) uint8 { return mono1Expected(x, y, lo, hi) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readDICOMFixture(t, tt.file)
			img, err := Decode(bytes.NewReader(data), int64(len(data)), 0)
			if err != nil {
				t.Fatal(err)
			}
			g, ok := img.(*image.Gray)
			if !ok {
				t.Fatalf("got %T, want *image.Gray", img)
			}
			if g.Rect != image.Rect(0, 0, tt.w, tt.h) {
				t.Fatalf("bounds %v, want %dx%d", g.Rect, tt.w, tt.h)
			}
			bad := 0
			for y := 0; y < tt.h; y++ {
				for x := 0; x < tt.w; x++ {
					if got, want := g.GrayAt(x, y).Y, tt.want(x, y); got != want && bad < 5 {
						t.Errorf("pixel (%d,%d) = %d, want %d", x, y, got, want)
						bad++
					}
				}
			}
		})
	}
}

// TestDecodeWindowValues pins a few hand-computed points of the
// window/rescale chain.
func TestDecodeWindowValues(t *testing.T) {
	// Raw 12-bit values -> v = 2*raw - 1024; window c=1000 w=2000 maps
	// v <= 0.5 to 0, v > 1999.5 to 255, and between linearly.
	tests := []struct {
		raw  uint16
		want uint8
	}{
		{0, 0},      // v = -1024
		{512, 0},    // v = 0
		{1012, 128}, // v = 1000: (1000-999.5)/1999+0.5 = 0.50025 -> 127.56 -> 128
		{1512, 255}, // v = 2000
		{762, 64},   // v = 500: (500-999.5)/1999+0.5 = 0.25013 -> 63.78 -> 64
		{0xf200, 0}, // high bits above BitsStored are ignored: raw 0x200 = 512
		{4095, 255}, // v = 7166
		{1011, 127}, // v = 998: 0.49950 -> 127.37 -> 127
		{1262, 191}, // v = 1500: 0.75038 -> 191.35 -> 191
	}
	pix := make([]byte, 0, 2*len(tests))
	for _, tt := range tests {
		pix = binary.LittleEndian.AppendUint16(pix, tt.raw)
	}
	data := dcmFile("1.2.840.10008.1.2.1",
		dcmUS(0x0028, 0x0002, 1),
		dcmStr(0x0028, 0x0004, "CS", "MONOCHROME2"),
		dcmUS(0x0028, 0x0010, 1),
		dcmUS(0x0028, 0x0011, uint16(len(tests))),
		dcmUS(0x0028, 0x0100, 16),
		dcmUS(0x0028, 0x0101, 12),
		dcmUS(0x0028, 0x0102, 11),
		dcmStr(0x0028, 0x1050, "DS", "1000"),
		dcmStr(0x0028, 0x1051, "DS", "2000"),
		dcmStr(0x0028, 0x1052, "DS", "-1024"),
		dcmStr(0x0028, 0x1053, "DS", "2"),
		dcmElem{0x7fe0, 0x0010, "OW", pix, false},
	)
	img, err := Decode(bytes.NewReader(data), int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	g := img.(*image.Gray)
	for i, tt := range tests {
		if got := g.Pix[i]; got != tt.want {
			t.Errorf("raw %#x: got %d, want %d", tt.raw, got, tt.want)
		}
	}
}

// TestDecodeSigned checks signed pixels (two's complement in 12 bits)
// with min-max scaling.
func TestDecodeSigned(t *testing.T) {
	raws := []uint16{0x800, 0xfff, 0x000, 0x7ff} // -2048, -1, 0, 2047
	want := []uint8{0, 127, 128, 255}            // (v+2048)*255/4095 rounded
	var pix []byte
	for _, r := range raws {
		pix = binary.LittleEndian.AppendUint16(pix, r)
	}
	data := dcmFile("1.2.840.10008.1.2.1",
		dcmStr(0x0028, 0x0004, "CS", "MONOCHROME2"),
		dcmUS(0x0028, 0x0010, 2),
		dcmUS(0x0028, 0x0011, 2),
		dcmUS(0x0028, 0x0100, 16),
		dcmUS(0x0028, 0x0101, 12),
		dcmUS(0x0028, 0x0102, 11),
		dcmUS(0x0028, 0x0103, 1),
		dcmElem{0x7fe0, 0x0010, "OW", pix, false},
	)
	img, err := Decode(bytes.NewReader(data), int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.(*image.Gray).Pix; !bytes.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	mono2 := readDICOMFixture(t, "mono2_16bit_64x48_window.dcm")
	garbage := append(append([]byte{}, mono2[:132]...), bytes.Repeat([]byte{0xff, 0x13, 0x77}, 200)...)
	// A header claiming a huge string: the library would allocate 4 GiB.
	hugeString := dcmFile("1.2.840.10008.1.2.1", dcmElem{0x0010, 0x0010, "UT", nil, false})
	binary.LittleEndian.PutUint32(hugeString[len(hugeString)-4:], 0xfffffff0)
	// Rows x Columns = 65535 x 65535 with a matching declared pixel length.
	hugeImage := dcmFile("1.2.840.10008.1.2",
		dcmUS(0x0028, 0x0002, 1), dcmUS(0x0028, 0x0010, 65535), dcmUS(0x0028, 0x0011, 65535),
		dcmUS(0x0028, 0x0100, 8), dcmElem{0x7fe0, 0x0010, "OB", nil, false})
	binary.LittleEndian.PutUint32(hugeImage[len(hugeImage)-4:], 65535*65535)
	// Deeply nested undefined-length sequences: the library recurses.
	var deep bytes.Buffer
	for i := 0; i < 5000; i++ {
		dcmEncode(&deep, binary.LittleEndian, true, dcmElem{0x0008, 0x1140, "SQ", nil, true})
		dcmEncode(&deep, binary.LittleEndian, false, dcmElem{0xfffe, 0xe000, "", nil, true}) // items are always implicit
	}
	nested := append(dcmFile("1.2.840.10008.1.2.1"), deep.Bytes()...)
	rgb := dcmFile("1.2.840.10008.1.2.1", dcmUS(0x0028, 0x0002, 3), dcmStr(0x0028, 0x0004, "CS", "MONOCHROME2"), dcmUS(0x0028, 0x0010, 1),
		dcmUS(0x0028, 0x0011, 1), dcmUS(0x0028, 0x0100, 8), dcmElem{0x7fe0, 0x0010, "OB", []byte{1, 2, 3, 0}, false})
	noPixels := dcmFile("1.2.840.10008.1.2.1", dcmUS(0x0028, 0x0010, 1), dcmUS(0x0028, 0x0011, 1), dcmUS(0x0028, 0x0100, 8))

	tests := []struct {
		name      string
		data      []byte
		maxPixels int
		want      string
	}{
		{"compressed", readDICOMFixture(t, "jpeg_baseline_junk.dcm"), 0, "JPEG Baseline (Process 1)"},
		{"truncated", mono2[:len(mono2)-100], 0, "only"},
		{"truncated header", mono2[:140], 0, "only 0 remain"},
		{"garbage after DICM", garbage, 0, "file meta information"},
		{"too many pixels", mono2, 64*48 - 1, "more than the limit of 3071 pixels"},
		{"huge string length", hugeString, 0, "declares 4294967280 bytes"},
		{"huge image", hugeImage, 0, "declares 4294836225 bytes"},
		{"deep nesting", nested, 0, "nested more than"},
		{"rgb", rgb, 0, "SamplesPerPixel 3"},
		{"no pixel data", noPixels, 0, "no pixel data"},
		{"no magic", append(make([]byte, 132), 1, 2), 0, "DICM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Decode(bytes.NewReader(tt.data), int64(len(tt.data)), tt.maxPixels)
			if err == nil {
				t.Fatalf("decoded %v, want error", img.Bounds())
			}
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "dicom: ") {
				t.Errorf("error %q: want a dicom ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestDecodeSizeLimits(t *testing.T) {
	data := readDICOMFixture(t, "mono2_16bit_64x48_window.dcm")
	if _, err := Decode(bytes.NewReader(data), MaxBytes+1, 0); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized: %v", err)
	}
	if _, err := Decode(bytes.NewReader(data), int64(len(data))+10, 0); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("size beyond data: %v", err)
	}
	if _, err := Decode(nil, 200, 0); err == nil {
		t.Error("nil reader: no error")
	}
}

// FuzzDecode feeds arbitrary bytes after a DICOM preamble and magic
// to Decode. It must never panic and must fail with a dicom
// ErrInvalid or return an image within the pixel limit.
func FuzzDecode(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.dcm"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[132:])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, append(append(make([]byte, 128), "DICM"...), body...))
	})
}
