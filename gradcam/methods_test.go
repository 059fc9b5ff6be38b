package gradcam

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pureGolden is testdata/methods_golden.json, written by make_fixtures.py.
type pureGolden struct {
	Layers []struct {
		C, H, W int
		Acts    []float32            `json:"acts"`
		Grads   []float32            `json:"grads"`
		Scores  []float32            `json:"scores"`
		Maps    map[string][]float32 `json:"maps"`
		Weights map[string][]float32 `json:"weights"`
	} `json:"layers"`
	Masks []struct {
		C, H, W int
		OutH    int       `json:"out_h"`
		OutW    int       `json:"out_w"`
		Acts    []float32 `json:"acts"`
		Masks   []float32 `json:"masks"`
	} `json:"masks"`
	Resize []struct {
		H, W int
		OutH int       `json:"out_h"`
		OutW int       `json:"out_w"`
		Src  []float32 `json:"src"`
		Dst  []float32 `json:"dst"`
	} `json:"resize"`
	Eigen []struct {
		C, H, W int
		Acts    []float32 `json:"acts"`
		Map     []float32 `json:"map"`
	} `json:"eigen"`
}

func loadPureGolden(t testing.TB) pureGolden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "methods_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g pureGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// maxAbsDiff returns max |a-b| and max |b|; it fails t on a length mismatch.
func maxAbsDiff(t testing.TB, a, b []float32) (diff, scale float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("length %d, want %d", len(a), len(b))
	}
	for i := range a {
		diff = math.Max(diff, math.Abs(float64(a[i])-float64(b[i])))
		scale = math.Max(scale, math.Abs(float64(b[i])))
	}
	return diff, scale
}

func TestMethodsGolden(t *testing.T) {
	g := loadPureGolden(t)
	for li, l := range g.Layers {
		d := LayerData{C: l.C, H: l.H, W: l.W, Acts: l.Acts, Grads: l.Grads}
		for _, name := range MethodNames() {
			m, err := MethodByName(name)
			if err != nil {
				t.Fatal(err)
			}
			m = withScores(m, l.Scores)
			got, err := m.Map(d)
			if err != nil {
				t.Fatalf("layer %d %s: %v", li, name, err)
			}
			want, ok := l.Maps[name]
			if !ok {
				t.Fatalf("no golden map for %s", name)
			}
			if name == "eigencam" {
				got = matchSign(got, want) // see TestEigenCAMSign
			}
			diff, scale := maxAbsDiff(t, got, want)
			if diff > 1e-5*math.Max(scale, 1e-3) {
				t.Errorf("layer %d %s: map max abs diff %g (scale %g)", li, name, diff, scale)
			}
			wm, ok := m.(WeightedMethod)
			if wantW, has := l.Weights[name]; has != ok {
				t.Errorf("%s: WeightedMethod %v, golden weights %v", name, ok, has)
			} else if ok {
				w, err := wm.Weights(d)
				if err != nil {
					t.Fatal(err)
				}
				diff, scale := maxAbsDiff(t, w, wantW)
				if diff > 1e-5*math.Max(scale, 1e-6) {
					t.Errorf("layer %d %s: weights max abs diff %g (scale %g)", li, name, diff, scale)
				}
			}
		}
	}
}

// TestGradCAMOracle checks the identity the graph-level test relies on: at
// layer4 with the logit target the gradient is fc.weight[c]/49 at every
// position, so the Grad-CAM weights are exactly those values.
func TestGradCAMOracle(t *testing.T) {
	const c, h, w = 512, 7, 7
	fc := make([]float32, c)
	d := LayerData{C: c, H: h, W: w, Acts: make([]float32, c*h*w), Grads: make([]float32, c*h*w)}
	for k := range fc {
		fc[k] = float32(math.Sin(float64(k)*0.7)) * 0.05
		for i := 0; i < h*w; i++ {
			d.Grads[k*h*w+i] = fc[k] / (h * w)
			d.Acts[k*h*w+i] = float32((k*31+i*7)%13) * 0.1
		}
	}
	wts, err := GradCAM().(WeightedMethod).Weights(d)
	if err != nil {
		t.Fatal(err)
	}
	for k := range fc {
		if want := fc[k] / (h * w); math.Abs(float64(wts[k]-want)) > 1e-9 {
			t.Fatalf("weight[%d] = %g, want fc.weight/49 = %g", k, wts[k], want)
		}
	}
	// The map is then the CAM: sum_c fc[c]/49 * A[c].
	m, err := GradCAM().Map(d)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < h*w; i++ {
		want := 0.0
		for k := 0; k < c; k++ {
			want += float64(fc[k]) / 49 * float64(d.Acts[k*h*w+i])
		}
		if math.Abs(float64(m[i])-want) > 1e-5 {
			t.Fatalf("map[%d] = %g, want %g", i, m[i], want)
		}
	}
}

// matchSign returns got, negated if that brings it closer to want.
func matchSign(got, want []float32) []float32 {
	dot := 0.0
	for i := range got {
		if i < len(want) {
			dot += float64(got[i]) * float64(want[i])
		}
	}
	if dot >= 0 {
		return got
	}
	neg := make([]float32, len(got))
	for i, v := range got {
		neg[i] = -v
	}
	return neg
}

// TestEigenCAMRandom checks EigenCAM against NumPy's projection up to the
// singular vector's sign, which LAPACK chooses by no stateable rule on
// random data; it logs how often the sign agrees.
func TestEigenCAMRandom(t *testing.T) {
	g := loadPureGolden(t)
	same := 0
	for i, e := range g.Eigen {
		got, err := EigenCAM().Map(LayerData{C: e.C, H: e.H, W: e.W, Acts: e.Acts})
		if err != nil {
			t.Fatal(err)
		}
		m := matchSign(got, e.Map)
		if &m[0] == &got[0] {
			same++
		}
		diff, scale := maxAbsDiff(t, m, e.Map)
		if diff > 1e-4*math.Max(scale, 1e-3) {
			t.Errorf("case %d (%dx%dx%d): max abs diff %g (scale %g)", i, e.C, e.H, e.W, diff, scale)
		}
	}
	t.Logf("EigenCAM: sign agrees with NumPy on %d of %d random cases", same, len(g.Eigen))
}

// TestEigenCAMSignRule checks the sign rule where the answer is known:
// every channel is active on a blob, so the map must be high there.
func TestEigenCAMSignRule(t *testing.T) {
	const c, h, w = 16, 6, 6
	d := LayerData{C: c, H: h, W: w, Acts: make([]float32, c*h*w)}
	for k := 0; k < c; k++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := 0.1 * float64((k*7+y*3+x)%5)
				if y >= 3 && x < 2 {
					v += 3 + 0.2*float64(k%3)
				}
				d.Acts[k*h*w+y*w+x] = float32(v)
			}
		}
	}
	m, err := EigenCAM().Map(d)
	if err != nil {
		t.Fatal(err)
	}
	if m[4*w+0] <= 0 || m[0*w+5] >= 0 {
		t.Errorf("EigenCAM sign: blob %g (want > 0), background %g (want < 0)", m[4*w], m[5])
	}
}

func TestScoreCAMMasks(t *testing.T) {
	g := loadPureGolden(t)
	for i, m := range g.Masks {
		got, err := ScoreCAMMasks(LayerData{C: m.C, H: m.H, W: m.W, Acts: m.Acts}, m.OutH, m.OutW)
		if err != nil {
			t.Fatal(err)
		}
		if diff, _ := maxAbsDiff(t, got, m.Masks); diff > 1e-6 {
			t.Errorf("case %d: masks max abs diff %g", i, diff)
		}
	}
}

func TestMethodByName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"gradcam", "gradcam"}, {"Grad-CAM", "gradcam"}, {"GradCAM++", "gradcamplusplus"},
		{"grad_cam_plusplus", "gradcamplusplus"}, {"HiResCAM", "hirescam"}, {"XGradCAM", "xgradcam"},
		{"layercam", "layercam"}, {"EigenCAM", "eigencam"}, {"Score-CAM", "scorecam"},
	} {
		m, err := MethodByName(tc.in)
		if err != nil || m.Name() != tc.want {
			t.Errorf("MethodByName(%q) = %v, %v; want %s", tc.in, m, err, tc.want)
		}
	}
	_, err := MethodByName("fullgrad")
	if err == nil || !strings.Contains(err.Error(), "gradcamplusplus") || !strings.Contains(err.Error(), "scorecam") {
		t.Errorf("unknown method error %v does not list valid names", err)
	}
	if n := len(MethodNames()); n != 7 {
		t.Errorf("%d methods, want 7", n)
	}
	for _, m := range allMethods() {
		want := m.Name() != "eigencam" && m.Name() != "scorecam"
		if m.NeedsGradient() != want {
			t.Errorf("%s.NeedsGradient() = %v", m.Name(), !want)
		}
	}
}

func TestMethodsBadInput(t *testing.T) {
	ok := LayerData{C: 2, H: 2, W: 2, Acts: make([]float32, 8), Grads: make([]float32, 8)}
	bad := map[string]LayerData{
		"zero size":   {C: 0, H: 2, W: 2},
		"negative":    {C: 2, H: -2, W: 2, Acts: make([]float32, 8)},
		"short acts":  {C: 2, H: 2, W: 2, Acts: make([]float32, 7), Grads: make([]float32, 8)},
		"short grads": {C: 2, H: 2, W: 2, Acts: make([]float32, 8), Grads: make([]float32, 3)},
		"huge":        {C: 1 << 20, H: 1 << 20, W: 1 << 20},
	}
	for _, m := range allMethods() {
		m = withScores(m, make([]float32, 2))
		if _, err := m.Map(ok); err != nil {
			t.Errorf("%s: %v", m.Name(), err)
		}
		for name, d := range bad {
			if name == "short grads" && !m.NeedsGradient() {
				continue
			}
			if _, err := m.Map(d); err == nil || !strings.HasPrefix(err.Error(), "gradcam: ") {
				t.Errorf("%s on %s: error %v", m.Name(), name, err)
			}
		}
	}
	noGrad := ok
	noGrad.Grads = nil
	if _, err := GradCAM().Map(noGrad); err == nil || !strings.Contains(err.Error(), "gradient") {
		t.Errorf("GradCAM without gradient: %v", err)
	}
	if _, err := ScoreCAM().Map(ok); err == nil {
		t.Error("ScoreCAM without scores: no error")
	}
	nan := LayerData{C: 2, H: 1, W: 2, Acts: []float32{float32(math.NaN()), 1, 2, 3}}
	if m, err := EigenCAM().Map(nan); err != nil || math.IsNaN(float64(m[0])) {
		t.Errorf("EigenCAM with NaN: %v, %v", m, err)
	}
	inf := LayerData{C: 2, H: 1, W: 2, Acts: []float32{float32(math.Inf(1)), 1, 2, 3}}
	if _, err := EigenCAM().Map(inf); err == nil {
		t.Error("EigenCAM with Inf: no error")
	}
}

// withScores binds a MaskedMethod to scores, as the Explainer does after
// the masked passes; other methods are returned as they are.
func withScores(m Method, scores []float32) Method {
	if mm, ok := m.(MaskedMethod); ok {
		return mm.WithScores(scores)
	}
	return m
}
