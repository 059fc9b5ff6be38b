package preprocess

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
)

// noiseRGBA returns a deterministic, random-looking w x h image.
func noiseRGBA(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	s := uint32(12345)
	for i := range img.Pix {
		s = s*1664525 + 1013904223
		img.Pix[i] = uint8(s>>24)/2 + uint8(i/4%w*127/w) // texture plus a gradient
	}
	return img
}

// benchJPEG returns the largest reference JPEG when XRAY_REFERENCE_DIR is
// set, else a generated 2000x2000 one.
func benchJPEG(b *testing.B) (data []byte, name string) {
	b.Helper()
	if dir := reftest.DirIfSet(); dir != "" {
		p := filepath.Join(dir, "images", "aruna6702__IM-0101-0001.jpeg")
		if data, err := os.ReadFile(p); err == nil {
			return data, filepath.Base(p)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, noiseRGBA(2000, 2000), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), "generated 2000x2000"
}

func BenchmarkLoad(b *testing.B) {
	data, name := benchJPEG(b)
	b.Logf("image: %s, %d bytes", name, len(data))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Load(bytes.NewReader(data), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResize(b *testing.B) {
	img := noiseRGBA(2048, 2048)
	b.ReportAllocs()
	for b.Loop() {
		Resize(img, Size, Size)
	}
}

func BenchmarkRGB(b *testing.B) {
	img := image.NewGray(image.Rect(0, 0, 2048, 2048))
	b.ReportAllocs()
	for b.Loop() {
		RGB(img)
	}
}

func BenchmarkToTensor(b *testing.B) {
	img := noiseRGBA(Size, Size)
	dst := make([]float32, 3*Size*Size)
	b.ReportAllocs()
	for b.Loop() {
		dst = ToTensor(img, dst, nil)
	}
}
