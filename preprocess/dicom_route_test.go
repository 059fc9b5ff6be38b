package preprocess

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
