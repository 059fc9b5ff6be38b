package gradcam

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
)

// pureExpected is the part of the reference's expected.json these tests read.
type pureExpected struct {
	Images []struct {
		File string `json:"file"`
		Pred string `json:"pred"`
		Cams map[string]struct {
			File string      `json:"file"`
			Raw  [][]float32 `json:"raw"`
		} `json:"cams"`
	} `json:"images"`
}

// pureRefDir returns the reference directory or skips the test when
// XRAY_REFERENCE_DIR is unset (see internal/reftest).
func pureRefDir(t testing.TB) string {
	t.Helper()
	return reftest.Dir(t)
}

func loadExpected(t testing.TB, dir string) pureExpected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e pureExpected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Images) == 0 {
		t.Fatal("expected.json has no images")
	}
	return e
}

// readF32 reads n little-endian float32 values from path.
func readF32(t testing.TB, path string, n int) []float32 {
	t.Helper()
	x, err := reftest.ReadF32(path, n)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func flatten(rows [][]float32) []float32 {
	var x []float32
	for _, r := range rows {
		x = append(x, r...)
	}
	return x
}

// TestFinalizeReference runs Finalize on expected.json's raw maps (after
// ReLU, before scaling) and compares with pytorch-grad-cam's 224x224 maps.
func TestFinalizeReference(t *testing.T) {
	dir := pureRefDir(t)
	exp := loadExpected(t, dir)
	worst := map[string]float64{}
	pairs := 0
	for _, im := range exp.Images {
		for key, c := range im.Cams {
			raw := flatten(c.Raw)
			h := len(c.Raw)
			if h == 0 || len(raw)%h != 0 {
				t.Fatalf("%s %s: ragged raw map", im.File, key)
			}
			got, empty, err := Finalize(raw, h, len(raw)/h, 224, 224)
			if err != nil {
				t.Fatal(err)
			}
			want := readF32(t, filepath.Join(dir, "cams", c.File), 224*224)
			diff, _ := maxAbsDiff(t, got, want)
			if diff > 2e-3 {
				t.Errorf("%s %s: max abs diff %g > 2e-3", im.File, key, diff)
			}
			if empty {
				t.Logf("%s %s: empty map", im.File, key)
			}
			worst[key] = math.Max(worst[key], diff)
			pairs++
		}
	}
	keys := make([]string, 0, len(worst))
	for k := range worst {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-24s max abs diff %.3g", k, worst[k])
	}
	if pairs != 13*8 {
		t.Errorf("%d image × method pairs, want 104", pairs)
	}
}

func TestResizeBilinearGolden(t *testing.T) {
	g := loadPureGolden(t)
	for i, r := range g.Resize {
		got := ResizeBilinear(r.Src, r.H, r.W, r.OutH, r.OutW)
		if diff, _ := maxAbsDiff(t, got, r.Dst); diff > 1e-6 {
			t.Errorf("case %d (%dx%d → %dx%d): max abs diff %g vs cv2.resize", i, r.W, r.H, r.OutW, r.OutH, diff)
		}
	}
}

func TestResizeBilinearIdentityAndConstant(t *testing.T) {
	src := []float32{1, 2, 3, 4, 5, 6}
	if got := ResizeBilinear(src, 2, 3, 2, 3); !slices.Equal(got, src) {
		t.Errorf("same-size resize changed the map: %v", got)
	}
	c := []float32{0.25, 0.25, 0.25, 0.25}
	for _, v := range ResizeBilinear(c, 2, 2, 17, 5) {
		if v != 0.25 {
			t.Fatalf("constant map resized to %v", v)
		}
	}
	if ResizeBilinear(src, 2, 2, 4, 4) != nil || ResizeBilinear(src, 2, 3, 0, 4) != nil {
		t.Error("bad sizes did not give nil")
	}
}

func TestFinalize(t *testing.T) {
	raw := []float32{-1, 0, 2, 4}
	cam, empty, err := Finalize(raw, 2, 2, 2, 2)
	if err != nil || empty {
		t.Fatal(err, empty)
	}
	// ReLU → {0,0,2,4}; /(4+1e-7) → {0,0,.5,1}; second scaling keeps it.
	want := []float32{0, 0, 0.5, 1}
	if diff, _ := maxAbsDiff(t, cam, want); diff > 1e-6 {
		t.Errorf("Finalize = %v, want %v", cam, want)
	}
	for _, v := range cam {
		if v < 0 || v > 1 {
			t.Errorf("value %g outside [0,1]", v)
		}
	}
}

func TestFinalizeEmpty(t *testing.T) {
	nan := float32(math.NaN())
	for name, raw := range map[string][]float32{
		"negative": {-1, -2, -3, -0.5},
		"zero":     {0, 0, 0, 0},
		"nan":      {nan, nan, -1, 0},
		"constant": {3, 3, 3, 3},
	} {
		cam, empty, err := Finalize(raw, 2, 2, 5, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !empty || len(cam) != 15 {
			t.Errorf("%s: empty=%v len=%d", name, empty, len(cam))
		}
		for _, v := range cam {
			if v != 0 {
				t.Errorf("%s: value %g, want 0", name, v)
			}
		}
	}
}

func TestFinalizeErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		raw              []float32
		h, w, outH, outW int
	}{
		"short":       {make([]float32, 3), 2, 2, 4, 4},
		"long":        {make([]float32, 5), 2, 2, 4, 4},
		"zero height": {nil, 0, 2, 4, 4},
		"neg output":  {make([]float32, 4), 2, 2, -4, 4},
		"huge output": {make([]float32, 4), 2, 2, 1 << 30, 1 << 30},
	} {
		_, _, err := Finalize(tc.raw, tc.h, tc.w, tc.outH, tc.outW)
		if err == nil || !strings.HasPrefix(err.Error(), "gradcam: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func BenchmarkFinalize7to224(b *testing.B) {
	raw := make([]float32, 49)
	for i := range raw {
		raw[i] = float32(math.Sin(float64(i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Finalize(raw, 7, 7, 224, 224); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzFinalize checks that no input makes Finalize panic or return values
// outside [0, 1].
func FuzzFinalize(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 5, 7)
	f.Fuzz(func(t *testing.T, b []byte, h, w, outH, outW int) {
		if outH > 512 || outW > 512 {
			return
		}
		raw := make([]float32, len(b)/4)
		for i := range raw {
			raw[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		cam, _, err := Finalize(raw, h, w, outH, outW)
		if err != nil {
			return
		}
		for _, v := range cam {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("value %g", v)
			}
		}
	})
}
