package plots

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/xrayllm/xray/internal/metrics"
)

func TestPlotsArePNGs(t *testing.T) {
	scores := []float64{0.1, 0.4, 0.35, 0.8, 0.7, 0.9}
	labels := []bool{false, false, true, true, false, true}
	roc, err := metrics.ROC(scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := metrics.PR(scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]func(string) error{
		"roc.png": func(p string) error { return ROC(p, roc, metrics.AreaUnderROC(roc), "PNEUMONIA") },
		"pr.png":  func(p string) error { return PR(p, pr, metrics.AveragePrecision(pr), 0.5, "PNEUMONIA") },
		"confusion.png": func(p string) error {
			return Confusion(p, metrics.Confusion{TP: 2, TN: 2, FP: 1, FN: 1}, "NORMAL", "PNEUMONIA")
		},
	}
	for name, write := range files {
		path := filepath.Join(dir, name)
		if err := write(path); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img := decodePNG(t, path)
		if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 400 {
			t.Errorf("%s is %v, too small to read", name, b)
		}
		if uniform(img) {
			t.Errorf("%s is blank", name)
		}
	}
	if err := ROC(filepath.Join(dir, "missing", "roc.png"), roc, 0.5, "P"); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err == nil {
		var img image.Image
		if img, err = png.Decode(bytes.NewReader(data)); err == nil {
			return img
		}
	}
	t.Fatalf("%s: %v", path, err)
	return nil
}

// uniform reports whether every pixel of img has the same colour.
func uniform(img image.Image) bool {
	b := img.Bounds()
	r0, g0, b0, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r != r0 || g != g0 || bl != b0 {
				return false
			}
		}
	}
	return true
}

func TestReliabilityDiagram(t *testing.T) {
	probs := [][]float64{{0.25, 0.75}, {0.75, 0.25}, {0.05, 0.95}, {0.45, 0.55}, {0.1, 0.9}}
	labels := []int{1, 1, 1, 0, 1}
	before, err := metrics.Calibrate(probs, labels, metrics.ECEBins)
	if err != nil {
		t.Fatal(err)
	}
	after := before
	after.ECE /= 2
	path := filepath.Join(t.TempDir(), "reliability.png")
	if err := Reliability(path, ReliabilitySeries{"model", before}, ReliabilitySeries{"after temperature scaling", after}); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path)
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 400 || uniform(img) {
		t.Errorf("reliability.png is %v, or blank", b)
	}
	if err := Reliability(path); err == nil {
		t.Error("no series: no error")
	}
}
