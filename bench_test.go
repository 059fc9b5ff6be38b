package xray

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/internal/reftest"
)

// benchInput returns the checkpoint and an image: the reference model and
// one of its X-rays when XRAY_REFERENCE_DIR is set (the BENCHMARKS.md
// figures), else the narrow fixture and a generated image.
func benchInput(b *testing.B) (string, []byte) {
	b.Helper()
	if dir := reftest.DirIfSet(); dir != "" {
		data, err := os.ReadFile(filepath.Join(dir, "images", "medrax__pneumonia2.jpg"))
		if err != nil {
			b.Fatal(err)
		}
		return reftest.Checkpoint(dir), data
	}
	b.Log("XRAY_REFERENCE_DIR unset: benchmarking the narrow fixture network on a generated image")
	img := image.NewGray(image.Rect(0, 0, 1024, 1024))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 % 253)
	}
	img.SetGray(0, 0, color.Gray{Y: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	return "resnet/testdata/resnet34_narrow.pth", buf.Bytes()
}

// BenchmarkAnalyze is what torch_bench.py times as "total": decode and
// preprocess, classify, Grad-CAM at layer4 and the 224x224 overlay.
func BenchmarkAnalyze(b *testing.B) {
	path, data := benchInput(b)
	a, err := Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	req := Request{CAM: &gradcam.Options{}}
	run := func() {
		res, err := a.AnalyzeBytes(ctx, data, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := gradcam.Overlay(res.Input.Resized, res.CAM.Map, nil); err != nil {
			b.Fatal(err)
		}
	}
	run() // build the graphs outside the timing
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
}
