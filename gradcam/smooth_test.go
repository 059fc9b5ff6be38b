package gradcam

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/xrayllm/xray/internal/fixtures"
	"github.com/xrayllm/xray/resnet"
)

// mirror flips a CHW tensor (or a single h×w map) left-right.
func mirror(x []float32, h, w int) []float32 { return augment{flip: true, factor: 1}.apply(x, h, w) }

func TestAugmentsFollowTTach(t *testing.T) {
	as, plain := augments(true)
	want := []augment{{false, 0.9}, {false, 1}, {false, 1.1}, {true, 0.9}, {true, 1}, {true, 1.1}}
	if !slices.Equal(as, want) || as[plain] != (augment{factor: 1}) {
		t.Fatalf("augments %v (plain %d), want %v with the unaltered copy marked", as, plain, want)
	}
	x := []float32{1, 2, 3, 4, 5, 6} // 1 plane of 2×3
	if got := (augment{flip: true, factor: 0.5}).apply(x, 2, 3); !slices.Equal(got, []float32{1.5, 1, 0.5, 3, 2.5, 2}) {
		t.Errorf("flip ×0.5 = %v", got)
	}
	for _, a := range as {
		if got := a.undo(a.apply(x, 2, 3), 2, 3); a.factor == 1 && !slices.Equal(got, x) {
			t.Errorf("%v: undo(apply(x)) = %v, want x", a, got)
		}
	}
}

func TestFuseLayersAndMean(t *testing.T) {
	if got := meanMaps([][]float32{{0, 3}, {3, 3}}); !slices.Equal(got, []float32{1.5, 3}) {
		t.Errorf("mean %v", got)
	}
	// ReLU before the mean, min-max after: (0+1)/2, (-1→0 + 0)/2, (1+1)/2.
	got := fuseLayers([][]float32{{0, 0, 1}, {1, -1, 1}})
	want := []float32{0.5, 0, 1}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("fused %v, want %v", got, want)
		}
	}
}

// TestEigenSmoothRankOne: when every channel of the weighted activations
// is one spatial pattern p scaled, the first principal component is p
// itself: the smoothed map is ±(p - mean p).
func TestEigenSmoothRankOne(t *testing.T) {
	const c, h, w = 4, 2, 3
	p := []float32{0, 1, 4, 2, 0, 5}
	d := LayerData{C: c, H: h, W: w, Acts: make([]float32, c*h*w), Grads: make([]float32, c*h*w)}
	for k := 0; k < c; k++ {
		for i, v := range p {
			d.Acts[k*h*w+i] = v * float32(k+1)
			d.Grads[k*h*w+i] = float32(k%2*2 - 1) // weights -1, 1, -1, 1
		}
	}
	for _, m := range []Method{GradCAM(), HiResCAM(), LayerCAM(), XGradCAM()} {
		sm, err := eigenSmooth(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sm.Map(d)
		if err != nil {
			t.Fatal(err)
		}
		if r := correlation(got, p); math.Abs(math.Abs(r)-1) > 1e-5 {
			t.Errorf("%s: smoothed map %v correlates %.6f with the pattern, want ±1", m.Name(), got, r)
		}
	}
	plain, _ := EigenCAM().Map(d)
	sm, _ := eigenSmooth(EigenCAM())
	if got, _ := sm.Map(d); !slices.Equal(got, plain) {
		t.Errorf("eigen-smoothed EigenCAM %v, want EigenCAM's own %v", got, plain)
	}
	if _, err := eigenSmooth(keepAndBlank{}); err == nil {
		t.Error("eigen smoothing a method without weighted activations: no error")
	}
}

// correlation is Pearson's r of a and b.
func correlation(a, b []float32) float64 {
	var ma, mb float64
	for i := range a {
		ma += float64(a[i]) / float64(len(a))
		mb += float64(b[i]) / float64(len(b))
	}
	var sab, saa, sbb float64
	for i := range a {
		x, y := float64(a[i])-ma, float64(b[i])-mb
		sab, saa, sbb = sab+x*y, saa+x*x, sbb+y*y
	}
	return sab / math.Sqrt(saa*sbb)
}

// TestAugSmoothMirrors: the six copies of a mirrored image are the six
// copies of the image, mirrored, so the aug-smoothed map of the mirrored
// image is the mirrored map; the unaltered copy's answer is the
// prediction.
func TestAugSmoothMirrors(t *testing.T) {
	e, _, _ := fixtureExplainer(t, "resnet18_narrow")
	ctx := context.Background()
	x := fixtures.Pattern(2)
	n := resnet.InputSize
	for _, m := range []Method{GradCAM(), EigenCAM()} {
		opts := &Options{AugSmooth: true}
		a, err := e.ExplainMethods(ctx, x, []Method{m}, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.ExplainMethods(ctx, mirror(x, n, n), []Method{m}, opts)
		if err != nil {
			t.Fatal(err)
		}
		r, mb := a[0], mirror(b[0].Map, n, n)
		for i := range r.Map {
			if math.Abs(float64(r.Map[i]-mb[i])) > 1e-4 {
				t.Fatalf("%s: map[%d] = %v, mirrored map of the mirrored image %v", m.Name(), i, r.Map[i], mb[i])
			}
		}
		if len(r.Variants) != 6 || !r.AugSmooth || r.Variants[1].Factor != 1 || r.Variants[1].Flipped {
			t.Fatalf("%s: variants %+v", m.Name(), r.Variants)
		}
		if v := r.Variants[1]; v.Target != r.Target || math.Abs(v.Probability-r.Prediction.Probs[r.TargetIndex]) > 1e-9 {
			t.Errorf("%s: unaltered copy %+v, prediction %v", m.Name(), v, r.Prediction.Probs)
		}
		plain, err := e.ExplainMethods(ctx, x, []Method{m}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(plain[0].Map, r.Map) {
			t.Errorf("%s: aug smoothing left the map as it was", m.Name())
		}
		for i, row := range plain[0].Raw { // the raw map is the unaltered copy's, batched or not
			for j, v := range row {
				if math.Abs(float64(v-r.Raw[i][j])) > 1e-5*(1+math.Abs(float64(v))) {
					t.Fatalf("%s: raw[%d][%d] = %v, the plain run's %v", m.Name(), i, j, r.Raw[i][j], v)
				}
			}
		}
	}
}

// TestLayersFuse: one layer listed in Layers is the plain CAM at that
// layer; several give one fused map, and the same per-layer maps as
// separate runs, from one graph.
func TestLayersFuse(t *testing.T) {
	e, _, _ := fixtureExplainer(t, "resnet18_narrow")
	ctx := context.Background()
	x := fixtures.Pattern(3)
	plain, err := e.Explain(ctx, x, &Options{Layer: "layer3"})
	if err != nil {
		t.Fatal(err)
	}
	one, err := e.Explain(ctx, x, &Options{Layers: []string{"layer3"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plain.Map, one.Map) || one.Layers != nil || one.Layer != "layer3" {
		t.Errorf("Layers [layer3]: layer %q layers %v, map equal %v", one.Layer, one.Layers, slices.Equal(plain.Map, one.Map))
	}
	layers := []string{"layer2", "layer3", "layer4"}
	fused, err := e.Explain(ctx, x, &Options{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	var per [][]float32
	for _, l := range layers {
		r, err := e.Explain(ctx, x, &Options{Layer: l})
		if err != nil {
			t.Fatal(err)
		}
		flat := slices.Concat(r.Raw...)
		m, err := scaleToSize(flat, len(r.Raw), len(r.Raw[0]), resnet.InputSize, resnet.InputSize)
		if err != nil {
			t.Fatal(err)
		}
		per = append(per, m)
	}
	want := fuseLayers(per)
	for i := range want {
		if math.Abs(float64(fused.Map[i]-want[i])) > 1e-5 {
			t.Fatalf("fused map[%d] = %v, fusion of separate runs %v", i, fused.Map[i], want[i])
		}
	}
	if fused.Layer != "layer2+layer3+layer4" || !slices.Equal(fused.Layers, layers) || len(fused.Raw) != 7 {
		t.Errorf("fused: layer %q, layers %v, raw %d rows (want layer4's 7)", fused.Layer, fused.Layers, len(fused.Raw))
	}
	at, err := fused.MapAt(112, 112)
	if err != nil || len(at) != 112*112 {
		t.Errorf("MapAt of a fused map: %d values, %v", len(at), err)
	}
	for _, bad := range [][]string{{"layer3", "layer3"}, {"layer3", "nope"}} {
		if _, err := e.Explain(ctx, x, &Options{Layers: bad}); err == nil {
			t.Errorf("layers %v: no error", bad)
		}
	}
}
