package xray

import (
	"context"
	"image"
	"image/color"
	"testing"
)

func TestAnalyzeTimings(t *testing.T) {
	a, err := Open("resnet/testdata/resnet18_narrow.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.SetGray(0, 0, color.Gray{Y: 255})
	full, err := a.AnalyzeImage(context.Background(), img, Request{Report: true})
	if err != nil {
		t.Fatal(err)
	}
	if tm := full.Timings; tm.Decode <= 0 || tm.CAM <= 0 || tm.Report <= 0 || tm.Network != 0 {
		t.Errorf("report request: timings %+v, want decode, CAM and report set and network zero (it runs inside the CAM graph)", tm)
	}
	plain, err := a.AnalyzeImage(context.Background(), img, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if tm := plain.Timings; tm.Decode <= 0 || tm.Network <= 0 || tm.CAM != 0 || tm.Report != 0 {
		t.Errorf("classify-only request: timings %+v, want decode and network only", tm)
	}
}
