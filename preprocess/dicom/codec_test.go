package dicom

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures below come from make_fixtures.sh: X_<syntax>.dcm is X.dcm
// compressed by dcmtk, X_<syntax>.dec.dcm dcmtk's decompression of it.

func decodeFixtureFrame(t *testing.T, name string) *frame {
	t.Helper()
	f, err := decodeFrame(readDICOMFixture(t, name), 0)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func decodeFixture(t *testing.T, name string) (image.Image, *Info) {
	t.Helper()
	data := readDICOMFixture(t, name)
	img, info, err := DecodeInfo(bytes.NewReader(data), int64(len(data)), 0)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img, info
}

// compressedFixtures maps each compressed fixture to the uncompressed
// file it was made from and its syntax.
var compressedFixtures = []struct {
	file, source, ts string
	lossless         bool // decodes to the source's pixels
}{
	{"g12_jpll_sv1.dcm", "g12.dcm", "1.2.840.10008.1.2.4.57", true},
	{"g12_jpll_sv2.dcm", "g12.dcm", "1.2.840.10008.1.2.4.57", true},
	{"g12_jpll_sv3.dcm", "g12.dcm", "1.2.840.10008.1.2.4.57", true},
	{"g12_jpll_sv4.dcm", "g12.dcm", "1.2.840.10008.1.2.4.57", true},
	{"g12_jpll_sv5.dcm", "g12.dcm", "1.2.840.10008.1.2.4.57", true},
	{"g12_jpll_sv6.dcm", "g12.dcm", "1.2.840.10008.1.2.4.57", true},
	{"g12_jpll_sv7.dcm", "g12.dcm", "1.2.840.10008.1.2.4.57", true},
	{"g12_jpll_pt2.dcm", "g12.dcm", "1.2.840.10008.1.2.4.57", false},
	{"g12_jpll70.dcm", "g12.dcm", "1.2.840.10008.1.2.4.70", true},
	{"g12_2frames_jpll70.dcm", "g12_2frames.dcm", "1.2.840.10008.1.2.4.70", true},
	{"g8_mono1_jpll70.dcm", "g8_mono1.dcm", "1.2.840.10008.1.2.4.70", true},
	{"s16_jpll70.dcm", "s16.dcm", "1.2.840.10008.1.2.4.70", true},
	{"rgb_jpll70.dcm", "rgb.dcm", "1.2.840.10008.1.2.4.70", true},
	{"g12_rle.dcm", "g12.dcm", "1.2.840.10008.1.2.5", true},
	{"g12_2frames_rle.dcm", "g12_2frames.dcm", "1.2.840.10008.1.2.5", true},
	{"g8_mono1_rle.dcm", "g8_mono1.dcm", "1.2.840.10008.1.2.5", true},
	{"s16_rle.dcm", "s16.dcm", "1.2.840.10008.1.2.5", true},
	{"rgb_rle.dcm", "rgb.dcm", "1.2.840.10008.1.2.5", true},
	{"rgb_planar1_rle.dcm", "rgb_planar1.dcm", "1.2.840.10008.1.2.5", true},
	{"g12_deflate.dcm", "g12.dcm", "1.2.840.10008.1.2.1.99", true},
	{"g12_jls.dcm", "g12.dcm", "1.2.840.10008.1.2.4.80", true},
	{"g8_mono1_jls.dcm", "g8_mono1.dcm", "1.2.840.10008.1.2.4.80", true},
	{"s16_jls.dcm", "s16.dcm", "1.2.840.10008.1.2.4.80", true},
	{"rgb_jls.dcm", "rgb.dcm", "1.2.840.10008.1.2.4.80", true},
	{"g12_jlsnear.dcm", "g12.dcm", "1.2.840.10008.1.2.4.81", false},
	{"g8_mono1_baseline.dcm", "g8_mono1.dcm", "1.2.840.10008.1.2.4.50", false},
	{"rgb_baseline.dcm", "rgb.dcm", "1.2.840.10008.1.2.4.50", false},
}

// TestCompressedMatchesDcmtk checks that each compressed fixture decodes
// to the samples dcmtk decompressed it to: exactly for the lossless
// syntaxes; for JPEG baseline within 1 for greyscale (Go's IDCT differs
// from libjpeg's by 1) and within 2 for colour (that difference in Cb or
// Cr is multiplied by up to 1.772 in the conversion to RGB).
func TestCompressedMatchesDcmtk(t *testing.T) {
	exact := 0
	for _, tt := range compressedFixtures {
		dec := strings.TrimSuffix(tt.file, ".dcm") + ".dec.dcm"
		if _, err := os.Stat(filepath.Join("testdata", dec)); err != nil {
			dec = tt.source // dcmtk's RLE decoder refuses these; compare with the source
		}
		t.Run(tt.file, func(t *testing.T) {
			got, want := decodeFixtureFrame(t, tt.file), decodeFixtureFrame(t, dec)
			if got.info.TransferSyntax != tt.ts {
				t.Errorf("transfer syntax %s, want %s", got.info.TransferSyntax, tt.ts)
			}
			if len(got.samples) != len(want.samples) {
				t.Fatalf("%d samples, want %d", len(got.samples), len(want.samples))
			}
			tol := int32(0)
			if strings.Contains(tt.file, "baseline") {
				tol = 1
				if got.attrs.spp == 3 {
					tol = 2
				}
			}
			if got.photometric != want.photometric {
				t.Fatalf("photometric %s, want %s", got.photometric, want.photometric)
			}
			bad := 0
			for i, v := range got.samples {
				// Compare stored values: native words may carry bits above BitsStored.
				g, w := v&(1<<uint(got.attrs.bitsStored)-1), want.samples[i]&(1<<uint(want.attrs.bitsStored)-1)
				if d := g - w; (d > tol || d < -tol) && bad < 5 {
					t.Errorf("sample %d = %d, dcmtk %d", i, g, w)
					bad++
				}
			}
			if bad == 0 && tol == 0 {
				exact++
			}
		})
	}
	t.Logf("%d fixtures equal dcmtk's decompression exactly", exact)
}

// TestCompressedMatchesSource checks that each lossless fixture renders
// to the same image as the uncompressed file it was made from.
func TestCompressedMatchesSource(t *testing.T) {
	for _, tt := range compressedFixtures {
		if !tt.lossless {
			continue
		}
		t.Run(tt.file, func(t *testing.T) {
			got, _ := decodeFixture(t, tt.file)
			want, _ := decodeFixture(t, tt.source)
			if !sameImage(got, want) {
				t.Error("image differs from the uncompressed source's")
			}
		})
	}
}

func sameImage(a, b image.Image) bool {
	switch a := a.(type) {
	case *image.Gray:
		b, ok := b.(*image.Gray)
		return ok && a.Rect == b.Rect && bytes.Equal(a.Pix, b.Pix)
	case *image.RGBA:
		b, ok := b.(*image.RGBA)
		return ok && a.Rect == b.Rect && bytes.Equal(a.Pix, b.Pix)
	}
	return false
}

// TestColourModels checks planar configuration 1 and the YBR models
// against the RGB source they were computed from.
func TestColourModels(t *testing.T) {
	want, _ := decodeFixture(t, "rgb.dcm")
	for _, name := range []string{"rgb_planar1.dcm", "ybr_full.dcm", "ybr_full_422.dcm", "rgb_baseline.dcm"} {
		img, info := decodeFixture(t, name)
		got, ok := img.(*image.RGBA)
		if !ok {
			t.Fatalf("%s: %T, want *image.RGBA", name, img)
		}
		tol := 1 // YBR rounding
		if name == "rgb_baseline.dcm" {
			tol = 6 // lossy
		}
		worst := 0
		for i, v := range got.Pix {
			d := int(v) - int(want.(*image.RGBA).Pix[i])
			worst = max(worst, d, -d)
		}
		if worst > tol {
			t.Errorf("%s (%s): differs from rgb.dcm by up to %d", name, info.Photometric, worst)
		}
	}
}

// TestGreyFeatures checks the padding value, signed pixels and
// MONOCHROME1 on the fixtures.
func TestGreyFeatures(t *testing.T) {
	f := decodeFixtureFrame(t, "s16.dcm")
	if !f.attrs.signed || !f.attrs.hasPadding || f.attrs.padding != -32768 {
		t.Fatalf("attrs %+v", f.attrs)
	}
	img, _ := decodeFixture(t, "s16.dcm")
	g := img.(*image.Gray)
	lo, hi := 255, 0
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			v := int(g.GrayAt(x, y).Y)
			if y < 3 || x < 2 {
				if v != 0 {
					t.Fatalf("padding pixel (%d,%d) = %d, want 0", x, y, v)
				}
				continue
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	// The padding is left out of the min-max range: the image proper
	// spans 0..255.
	if lo != 0 || hi != 255 {
		t.Errorf("image proper spans %d..%d, want 0..255", lo, hi)
	}
	// MONOCHROME1: the lowest stored value is white.
	m := decodeFixtureFrame(t, "g8_mono1.dcm")
	img, _ = decodeFixture(t, "g8_mono1.dcm")
	minAt := 0
	for i, v := range m.samples {
		if v < m.samples[minAt] {
			minAt = i
		}
	}
	if v := img.(*image.Gray).Pix[minAt]; v != 255 {
		t.Errorf("MONOCHROME1 minimum renders as %d, want 255", v)
	}
}

// TestInfo checks the metadata and the warnings.
func TestInfo(t *testing.T) {
	tests := []struct {
		file, view, part string
		frames           int
		warnings         []Warning
	}{
		{"g12_jpll70.dcm", "PA", "CHEST", 1, nil},
		{"g8_mono1_rle.dcm", "LATERAL", "CHEST", 1, []Warning{NotFrontal}},
		{"s16_jpll70.dcm", "AP", "ABDOMEN", 1, []Warning{NotChest}},
		{"g12_2frames_rle.dcm", "PA", "CHEST", 2, []Warning{MoreFrames}},
		{"rgb.dcm", "", "", 1, nil},
	}
	for _, tt := range tests {
		_, info := decodeFixture(t, tt.file)
		if info.ViewPosition != tt.view || info.BodyPartExamined != tt.part || info.Frames != tt.frames {
			t.Errorf("%s: %+v", tt.file, info)
		}
		if len(info.Warnings) != len(tt.warnings) {
			t.Errorf("%s: warnings %v, want %v", tt.file, info.Warnings, tt.warnings)
		}
		for _, w := range tt.warnings {
			if !info.Has(w) {
				t.Errorf("%s: no %v warning", tt.file, w)
			}
		}
	}
	_, info := decodeFixture(t, "g12_jpll_sv1.dcm")
	if info.Modality != "DX" || info.Width != 64 || info.Height != 48 || info.BitsStored != 12 ||
		info.TransferSyntaxName != "JPEG Lossless, Non-Hierarchical (Process 14)" {
		t.Errorf("info %+v", info)
	}
}

// TestNoPatientData decodes a file that carries a patient's name, ID,
// birth date, accession number, institution and referring physician,
// in three syntaxes and damaged, and checks that none of them appears in
// the Info or in an error.
func TestNoPatientData(t *testing.T) {
	secrets := []string{"Testpatient", "Zelda", "PID-7731-XQ", "19230517", "ACC99881234", "Nirgendwo", "Klinikum", "Quirin"}
	check := func(what, s string) {
		for _, x := range secrets {
			if strings.Contains(strings.ToLower(s), strings.ToLower(x)) {
				t.Errorf("%s mentions %q: %s", what, x, s)
			}
		}
	}
	var logged bytes.Buffer
	log.SetOutput(&logged) // the parser library logs with package log
	defer log.SetOutput(os.Stderr)
	for _, name := range []string{"patient.dcm", "patient_deflate.dcm", "patient_baseline.dcm"} {
		data := readDICOMFixture(t, name)
		if !bytes.Contains(data, []byte("PID-7731-XQ")) && !strings.Contains(name, "deflate") {
			t.Fatalf("%s does not hold the patient ID", name)
		}
		_, info, err := DecodeInfo(bytes.NewReader(data), int64(len(data)), 0)
		if err != nil {
			t.Fatal(err)
		}
		check(name+" info", fmt.Sprintf("%#v", info))
		// Damage the file in many places: no error may quote the data set.
		for cut := 140; cut < len(data); cut += 7 {
			_, _, err := DecodeInfo(bytes.NewReader(data[:cut]), int64(cut), 0)
			if err == nil {
				continue
			}
			check(name+" error", err.Error())
			bad := append([]byte(nil), data...)
			bad[cut] ^= 0x5a
			if _, _, err := DecodeInfo(bytes.NewReader(bad), int64(len(bad)), 0); err != nil {
				check(name+" error", err.Error())
			}
		}
	}
	check("log", logged.String())
}

// TestUnsupportedSyntaxes checks that JPEG 2000 and JPEG extended fail
// with an error that names the syntax and says how to convert the file.
func TestUnsupportedSyntaxes(t *testing.T) {
	for ts, name := range map[string]string{
		"1.2.840.10008.1.2.4.51": "JPEG Extended",
		"1.2.840.10008.1.2.4.90": "JPEG 2000 Image Compression (Lossless Only)",
		"1.2.840.10008.1.2.4.91": "JPEG 2000 Image Compression",
	} {
		data := encapsulatedFile(ts, []byte("\xff\x4f\xff\x51junk"))
		_, err := Decode(bytes.NewReader(data), int64(len(data)), 0)
		if err == nil || !errors.Is(err, ErrInvalid) {
			t.Fatalf("%s: %v", ts, err)
		}
		for _, want := range []string{ts, name, "dcmdjpeg", "gdcmconv --raw"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not mention %q", ts, err, want)
			}
		}
	}
}
