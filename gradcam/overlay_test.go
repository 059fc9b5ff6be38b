package gradcam

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readPNG(t testing.TB, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rgba := image.NewRGBA(m.Bounds())
	draw.Draw(rgba, rgba.Bounds(), m, m.Bounds().Min, draw.Src)
	return rgba
}

// TestOverlayReference compares with pytorch-grad-cam's show_cam_on_image
// output for every reference image.
func TestOverlayReference(t *testing.T) {
	dir := pureRefDir(t)
	exp := loadExpected(t, dir)
	worst, off := 0, 0
	for _, im := range exp.Images {
		img := readPNG(t, filepath.Join(dir, "resized", im.File+".png"))
		cam := readF32(t, filepath.Join(dir, "cams", im.File+".gradcam@layer4.f32"), 224*224)
		got, err := Overlay(img, cam, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := readPNG(t, filepath.Join(dir, "overlays", im.File+".gradcam.png"))
		d, n := 0, 0
		for i := range want.Pix {
			if i%4 == 3 {
				continue
			}
			if x := absInt(int(got.Pix[i]) - int(want.Pix[i])); x > 0 {
				n++
				d = max(d, x)
			}
		}
		if d > 1 {
			t.Errorf("%s: overlay differs by up to %d", im.File, d)
		}
		worst, off = max(worst, d), off+n
	}
	t.Logf("overlay vs show_cam_on_image: max diff %d, %d channel values differ over %d images", worst, off, len(exp.Images))
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestOverlayFormula checks two pixels by hand: black under a cam of 1
// (Jet's top colour, (128,0,0)) and white under a cam of 0 (Jet's bottom
// colour, (0,0,128)), whose blue channel is the blend's maximum.
func TestOverlayFormula(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.Set(1, 0, color.RGBA{255, 255, 255, 255})
	got, err := Overlay(img, []float32{1, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Pixel 0: 0.5*(128,0,0)/255. Pixel 1: 0.5*(0,0,128)/255 + 0.5 → the
	// maximum is 0.5 + 0.5*128/255 (blue of pixel 1).
	peak := float32(0.5)*float32(float32(128)/255) + float32(0.5)*float32(float32(255)/255)
	want := [2][3]uint8{
		{uint8(float32(255 * (float32(0.5) * float32(float32(128)/255) / peak))), 0, 0},
		{uint8(float32(255 * (0.5 / peak))), uint8(float32(255 * (0.5 / peak))), 255},
	}
	for x := 0; x < 2; x++ {
		p := got.Pix[4*x : 4*x+4]
		if [3]uint8{p[0], p[1], p[2]} != want[x] || p[3] != 255 {
			t.Errorf("pixel %d = %v, want %v", x, p, want[x])
		}
	}
}

func TestOverlayOptions(t *testing.T) {
	img := image.NewRGBA(image.Rect(3, 4, 7, 6)) // non-zero origin, 4x2
	cam := []float32{0, 0.2, 0.4, 0.6, 0.8, 1, float32(math.NaN()), 2}
	vir, err := Overlay(img, cam, &OverlayOptions{Colormap: Viridis(), ImageWeight: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	if vir.Bounds() != img.Bounds() {
		t.Errorf("bounds %v, want %v", vir.Bounds(), img.Bounds())
	}
	jet, err := Overlay(img, cam, &OverlayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(vir.Pix) == string(jet.Pix) {
		t.Error("colormap option ignored")
	}
	// A black image with weight 1 blends to all zeros: the maximum is 0,
	// which must give black, not NaN garbage.
	black, err := Overlay(img, cam, &OverlayOptions{ImageWeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range black.Pix {
		if want := uint8(0); i%4 == 3 {
			want = 255
			if v != want {
				t.Fatalf("alpha %d", v)
			}
		} else if v != want {
			t.Fatalf("black image, weight 1: value %d", v)
		}
	}
	for _, w := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := Overlay(img, cam, &OverlayOptions{ImageWeight: w}); err == nil {
			t.Errorf("weight %g accepted", w)
		}
	}
}

func TestOverlayErrors(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for name, tc := range map[string]struct {
		img *image.RGBA
		cam []float32
	}{
		"nil image": {nil, make([]float32, 16)},
		"short cam": {img, make([]float32, 15)},
		"empty":     {image.NewRGBA(image.Rect(0, 0, 0, 0)), nil},
	} {
		if _, err := Overlay(tc.img, tc.cam, nil); err == nil || !strings.HasPrefix(err.Error(), "gradcam: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func benchOverlay(b *testing.B, n int) {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	cam := make([]float32, n*n)
	for i := range cam {
		cam[i] = float32(i%1000) / 999
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Overlay(img, cam, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOverlay224(b *testing.B)  { benchOverlay(b, 224) }
func BenchmarkOverlay2000(b *testing.B) { benchOverlay(b, 2000) }
