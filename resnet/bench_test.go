package resnet

import (
	"context"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
)

// benchModel loads the reference ResNet34 when XRAY_REFERENCE_DIR is set
// (the figures in BENCHMARKS.md), else the narrow fixture.
func benchModel(b *testing.B) *Model {
	b.Helper()
	var m *Model
	var err error
	if dir := reftest.DirIfSet(); dir != "" {
		m, err = Load(reftest.Checkpoint(dir))
	} else {
		b.Log("XRAY_REFERENCE_DIR unset: benchmarking the narrow fixture network")
		m, err = Load("testdata/resnet34_narrow.pth")
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(m.Close)
	return m
}

func benchForward(b *testing.B, n int) {
	m := benchModel(b)
	x := patterns(n)
	ctx := context.Background()
	if _, err := m.Forward(ctx, x); err != nil { // build the graph outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Forward(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*n), "ms/image")
}

func BenchmarkForward1(b *testing.B) { benchForward(b, 1) }
func BenchmarkForward8(b *testing.B) { benchForward(b, 8) }

func BenchmarkLoad(b *testing.B) {
	dir := reftest.DirIfSet()
	path := "testdata/resnet34_narrow.pth"
	if dir != "" {
		path = reftest.Checkpoint(dir)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m, err := Load(path)
		if err != nil {
			b.Fatal(err)
		}
		m.Close()
	}
}
