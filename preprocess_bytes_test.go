package xray

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"slices"
	"testing"

	"github.com/xrayllm/xray/preprocess"
)

// TestPreprocessIsAnalyzeInput checks that Preprocess makes the input
// Analyze makes, normalisation included, and refuses what Analyze refuses.
func TestPreprocessIsAnalyzeInput(t *testing.T) {
	norm := preprocess.ImageNet()
	a, err := Open("resnet/testdata/resnet18_narrow.pth", &Options{Preprocess: preprocess.Options{Normalize: &norm, MaxPixels: 300 * 300}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	img := image.NewGray(image.Rect(0, 0, 90, 70))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 5 % 256)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	in, err := a.Preprocess(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.AnalyzeBytes(context.Background(), b.Bytes(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in.Tensor, res.Input.Tensor) || in.Format != "png" {
		t.Errorf("Preprocess gives another input than Analyze (format %q)", in.Format)
	}
	big := image.NewGray(image.Rect(0, 0, 400, 400))
	b.Reset()
	if err := png.Encode(&b, big); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Preprocess(b.Bytes()); err == nil {
		t.Error("an image over MaxPixels: no error")
	}
	if _, err := a.Preprocess([]byte("not an image")); !errors.Is(err, preprocess.ErrInvalidImage) {
		t.Errorf("garbage: %v, want ErrInvalidImage", err)
	}
}
