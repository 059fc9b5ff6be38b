package gradcam

import (
	"context"
	"testing"

	"github.com/xrayllm/xray/internal/fixtures"
	"github.com/xrayllm/xray/internal/reftest"
	"github.com/xrayllm/xray/resnet"
)

// benchExplain times forward + backward + post-processing for one image
// on the reference ResNet34 when XRAY_REFERENCE_DIR is set (the figures in
// BENCHMARKS.md), else on the narrow fixture.
func benchExplain(b *testing.B, opts *Options) {
	path := "../resnet/testdata/resnet34_narrow.pth"
	if dir := reftest.DirIfSet(); dir != "" {
		path = reftest.Checkpoint(dir)
	} else {
		b.Log("XRAY_REFERENCE_DIR unset: benchmarking the narrow fixture network")
	}
	m, err := resnet.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	e := NewExplainer(m, 1)
	b.Cleanup(func() { e.Close(); m.Close() })
	x := fixtures.Pattern(0)
	ctx := context.Background()
	if _, err := e.Explain(ctx, x, opts); err != nil { // build the graph outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Explain(ctx, x, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGradCAMLayer4(b *testing.B) { benchExplain(b, &Options{}) }
func BenchmarkGradCAMLayer3(b *testing.B) { benchExplain(b, &Options{Layer: "layer3"}) }
func BenchmarkEigenCAM(b *testing.B)      { benchExplain(b, &Options{Method: EigenCAM()}) }

// The explanation features, to compare with BenchmarkGradCAMLayer4: aug
// smoothing runs six copies as one batch of the gradient graph; the
// fused layers differentiate at three layers in one backward pass; the
// occlusion check adds one forward batch of four inputs.
func BenchmarkGradCAMAugSmooth(b *testing.B)   { benchExplain(b, &Options{AugSmooth: true}) }
func BenchmarkGradCAMEigenSmooth(b *testing.B) { benchExplain(b, &Options{EigenSmooth: true}) }
func BenchmarkGradCAMLayers234(b *testing.B) {
	benchExplain(b, &Options{Layers: []string{"layer2", "layer3", "layer4"}})
}
func BenchmarkGradCAMOcclusion(b *testing.B) { benchExplain(b, &Options{Occlusion: true}) }
