package preprocess

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xrayllm/xray/preprocess/dicom"
)

// readDICOMFixture reads a file of the dicom package's testdata.
func readDICOMFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("dicom", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDecodeRoutesDICOM checks that Decode and Load recognise DICOM.
func TestDecodeRoutesDICOM(t *testing.T) {
	data := readDICOMFixture(t, "mono2_16bit_64x48_window.dcm")
	img, format, err := Decode(bytes.NewReader(data), 0)
	if err != nil || format != "dicom" || img.Bounds().Dx() != 64 {
		t.Fatalf("Decode: %v %q %v", img, format, err)
	}
	in, err := Load(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != "dicom" || in.Width != 224 || in.Height != 224 || len(in.Tensor) != 3*224*224 {
		t.Fatalf("Load: format %q, %dx%d, %d values", in.Format, in.Width, in.Height, len(in.Tensor))
	}
	// Grey is replicated to three equal channels.
	if in.Tensor[1000] != in.Tensor[224*224+1000] || in.Tensor[1000] != in.Tensor[2*224*224+1000] {
		t.Error("channels differ")
	}
	_, format, err = Decode(bytes.NewReader(readDICOMFixture(t, "jpeg_baseline_junk.dcm")), 0)
	if format != "dicom" || !errors.Is(err, ErrInvalidImage) || !strings.Contains(err.Error(), "JPEG Baseline") {
		t.Errorf("compressed via Decode: %q %v", format, err)
	}
	// Short non-DICOM input still goes to the other decoders.
	if _, _, err := Decode(bytes.NewReader([]byte("GIF8")), 0); err == nil || strings.Contains(err.Error(), "dicom") {
		t.Errorf("short input: %v", err)
	}
}

// TestLoadCompressedDICOM checks that the network input of each
// compressed DICOM fixture equals that of the uncompressed file it was
// made from: exactly for the lossless syntaxes, within the JPEG
// baseline's error (a few grey levels) for the lossy one. Equal inputs
// give the model's equal label and probabilities.
func TestLoadCompressedDICOM(t *testing.T) {
	tests := []struct {
		file, source string
		tol          float64 // largest difference of a tensor value
	}{
		{"g12_jpll_sv1.dcm", "g12.dcm", 0},
		{"g12_jpll_sv4.dcm", "g12.dcm", 0},
		{"g12_jpll_sv7.dcm", "g12.dcm", 0},
		{"g12_jpll70.dcm", "g12.dcm", 0},
		{"g12_rle.dcm", "g12.dcm", 0},
		{"g12_deflate.dcm", "g12.dcm", 0},
		{"g12_2frames_rle.dcm", "g12_2frames.dcm", 0},
		{"s16_jpll70.dcm", "s16.dcm", 0},
		{"s16_rle.dcm", "s16.dcm", 0},
		{"g8_mono1_jpll70.dcm", "g8_mono1.dcm", 0},
		{"g8_mono1_rle.dcm", "g8_mono1.dcm", 0},
		{"rgb_jpll70.dcm", "rgb.dcm", 0},
		{"rgb_rle.dcm", "rgb.dcm", 0},
		{"rgb_planar1_rle.dcm", "rgb.dcm", 0},
		// Lossy: a few grey levels, over the smallest channel std 0.224.
		{"g8_mono1_baseline.dcm", "g8_mono1.dcm", 8.0 / 255 / 0.224},
	}
	for _, tt := range tests {
		load := func(name string) *Input {
			in, err := Load(bytes.NewReader(readDICOMFixture(t, name)), nil)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return in
		}
		got, want := load(tt.file), load(tt.source)
		if got.DICOM == nil || got.DICOM.TransferSyntax == want.DICOM.TransferSyntax {
			t.Fatalf("%s: info %+v", tt.file, got.DICOM)
		}
		worst := 0.0
		for i, v := range got.Tensor {
			worst = max(worst, math.Abs(float64(v-want.Tensor[i])))
		}
		if tt.tol > 0 {
			t.Logf("%s: largest tensor difference %g", tt.file, worst)
		}
		if worst > tt.tol {
			t.Errorf("%s: tensor differs from %s's by %g (tolerance %g)", tt.file, tt.source, worst, tt.tol)
		}
	}
	in, err := Load(bytes.NewReader(readDICOMFixture(t, "g8_mono1_jpll70.dcm")), nil)
	if err != nil || !in.DICOM.Has(dicom.NotFrontal) || in.DICOM.ViewPosition != "LATERAL" {
		t.Errorf("lateral: %+v %v", in.DICOM, err)
	}
	png, err := Load(bytes.NewReader(mustReadFile(t, "testdata/gray_37x53.png")), nil)
	if err != nil || png.DICOM != nil {
		t.Errorf("PNG: DICOM info %+v, %v", png.DICOM, err)
	}
}

func mustReadFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
