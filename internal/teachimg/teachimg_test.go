package teachimg

import (
	"context"
	"image"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/internal/fixtures"
	"github.com/xrayllm/xray/resnet"
)

// fixtureModel loads the narrow ResNet34 of resnet/testdata.
func fixtureModel(t *testing.T) *resnet.Model {
	t.Helper()
	m, err := resnet.Load(filepath.Join("..", "..", "resnet", "testdata", "resnet34_narrow.pth"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// TestGridShowsModelActivations checks that the channels the grid draws
// carry Model.Activations' values: their statistics, their rank, and each
// tile's pixels, the channel's values scaled to its range.
func TestGridShowsModelActivations(t *testing.T) {
	m := fixtureModel(t)
	const layer = "layer2.1"
	acts, err := m.Activations(context.Background(), fixtures.Pattern(0), layer)
	if err != nil {
		t.Fatal(err)
	}
	s := acts[layer].Shape
	a := Activation{C: s[1], H: s[2], W: s[3], Data: acts[layer].Data}
	chans, err := Top(a, 6, RankMean, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := a.H * a.W
	for i, c := range chans {
		v := acts[layer].Data[c.Index*n : (c.Index+1)*n]
		lo, hi, sum := v[0], v[0], 0.0
		for _, x := range v {
			lo, hi, sum = min(lo, x), max(hi, x), sum+float64(x)
		}
		if c.Min != lo || c.Max != hi || math.Abs(float64(c.Mean)-sum/float64(n)) > 1e-6*math.Abs(sum/float64(n)) {
			t.Errorf("channel %d: %v..%v mean %v, activation %v..%v mean %v", c.Index, c.Min, c.Max, c.Mean, lo, hi, sum/float64(n))
		}
		if i > 0 && c.Mean > chans[i-1].Mean {
			t.Errorf("channel %d (mean %v) ranked after %d (mean %v)", c.Index, c.Mean, chans[i-1].Index, chans[i-1].Mean)
		}
	}
	size := 2 * a.W // two pixels per value
	img, err := Grid(a, chans, layer, size)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := newGrid(len(chans), size, size, 2, layer)
	for i, c := range chans {
		r := g.rect(i)
		v := acts[layer].Data[c.Index*n : (c.Index+1)*n]
		for y := 0; y < a.H; y++ {
			for x := 0; x < a.W; x++ {
				want := Level(v[y*a.W+x], c.Min, c.Max)
				px := img.RGBAAt(r.Min.X+2*x+1, r.Min.Y+2*y+1)
				if px.R != want || px.G != want || px.B != want {
					t.Fatalf("channel %d at (%d,%d): pixel %v, activation level %d", c.Index, x, y, px, want)
				}
			}
		}
	}
	if _, err := Top(a, 4, RankAlpha, nil); err == nil {
		t.Error("ranking by α without α: no error")
	}
}

// TestTopByAlpha checks the α ranks on the Steps of the same layer.
func TestTopByAlpha(t *testing.T) {
	m := fixtureModel(t)
	e := gradcam.NewExplainer(m, 1)
	defer e.Close()
	res, err := e.Explain(context.Background(), fixtures.Pattern(1), &gradcam.Options{Layer: "layer3", Steps: true})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Steps
	a := Activation{C: s.Channels, H: s.Height, W: s.Width, Data: s.Activations}
	for _, rank := range []Rank{RankAlpha, RankAbsAlpha} {
		chans, err := Top(a, s.Channels, rank, s.Alpha)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range chans {
			if !c.HasAlpha || c.Alpha != s.Alpha[c.Index] {
				t.Fatalf("%s: channel %d has α %v, steps %v", rank, c.Index, c.Alpha, s.Alpha[c.Index])
			}
			key := func(c Channel) float64 {
				if rank == RankAbsAlpha {
					return math.Abs(float64(c.Alpha))
				}
				return float64(c.Alpha)
			}
			if i > 0 && key(c) > key(chans[i-1]) {
				t.Errorf("%s: %v ranked after %v", rank, c.Alpha, chans[i-1].Alpha)
			}
		}
	}
}

// TestSignedIsWhiteAtZero checks the diverging picture's colours: white
// at zero, red for the largest positive and blue for the largest negative
// value, and the scale it returns.
func TestSignedIsWhiteAtZero(t *testing.T) {
	img, scale, err := Signed([]float32{-2, 0, 1, 0}, 2, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if scale != 2 {
		t.Errorf("scale %v, want 2", scale)
	}
	neg, zero, pos := img.RGBAAt(0, 0), img.RGBAAt(1, 0), img.RGBAAt(0, 1)
	if zero.R < 240 || zero.G < 240 || zero.B < 240 {
		t.Errorf("zero drawn as %v, want white", zero)
	}
	if neg.B <= neg.R || pos.R <= pos.B {
		t.Errorf("negative %v should be blue, positive %v red", neg, pos)
	}
	if _, _, err := Signed([]float32{1, 2}, 2, 2, 8); err == nil {
		t.Error("2 values for a 2x2 map: no error")
	}
}

// TestMethodsGrid checks that every overlay is drawn where its cell is.
func TestMethodsGrid(t *testing.T) {
	var tiles []MethodTile
	for i := range 5 {
		o := image.NewRGBA(image.Rect(0, 0, 20, 20))
		for p := range o.Pix {
			o.Pix[p] = uint8(40 * (i + 1))
		}
		tiles = append(tiles, MethodTile{Name: "m", Overlay: o, Elapsed: time.Millisecond, Drop: 0.5, HasDrop: i%2 == 0})
	}
	img, err := MethodsGrid(tiles, "methods")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := newGrid(len(tiles), 20, 20, 3, "")
	for i := range tiles {
		r := g.rect(i)
		if px := img.RGBAAt(r.Min.X+10, r.Min.Y+10); px.R != uint8(40*(i+1)) {
			t.Errorf("cell %d: pixel %v", i, px)
		}
	}
	if _, err := MethodsGrid(nil, ""); err == nil {
		t.Error("no tiles: no error")
	}
}

// TestExtremesAndBars checks the α extremes and that each bar points the
// way of its weight's sign.
func TestExtremesAndBars(t *testing.T) {
	w := []float32{0.5, -2, 3, 0, -1, 2}
	top, bottom := Extremes(w, 2)
	if len(top) != 2 || top[0] != (Weight{2, 3}) || top[1] != (Weight{5, 2}) {
		t.Errorf("top %v", top)
	}
	if len(bottom) != 2 || bottom[0] != (Weight{1, -2}) || bottom[1] != (Weight{4, -1}) {
		t.Errorf("bottom %v", bottom)
	}
	if top, bottom := Extremes(w, 4); len(top)+len(bottom) != len(w) {
		t.Errorf("Extremes(4) of 6 weights: %d + %d", len(top), len(bottom))
	}
	img, err := Bars(w, 2, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	// Bar rows follow the title; the zero line is in the middle of the bar
	// area. Row 0 (α = 3) extends right, row 2 (α = -2) left.
	const labelW, barW = 20 * charWidth, 360
	zero := pad + labelW + barW/2
	rowY := func(i int) int { return pad + lineHeight + pad + i*(lineHeight+2) + lineHeight/2 }
	if px := img.RGBAAt(zero+barW/4, rowY(0)); px.R < 150 || px.B > 100 {
		t.Errorf("positive bar at the right: %v", px)
	}
	if px := img.RGBAAt(zero-barW/8, rowY(2)); px.B < 150 || px.R > 100 {
		t.Errorf("negative bar at the left: %v", px)
	}
	if px := img.RGBAAt(zero-barW/8, rowY(0)); px != background() {
		t.Errorf("positive bar reaches left of zero: %v", px)
	}
}

// TestSignedGridFlatChannel checks that a channel with one value
// everywhere is one flat colour of its sign.
func TestSignedGridFlatChannel(t *testing.T) {
	a := Activation{C: 2, H: 2, W: 2, Data: []float32{0.1, 0.1, 0.1, 0.1, -1, 0, 1, 0}}
	chans := []Channel{a.Stats(0), a.Stats(1)}
	img, err := SignedGrid(a, chans, "", 4)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := newGrid(2, 4, 4, 2, "")
	r := g.rect(0)
	if px := img.RGBAAt(r.Min.X, r.Min.Y); px != img.RGBAAt(r.Max.X-1, r.Max.Y-1) || px.R <= px.B {
		t.Errorf("flat positive channel drawn %v and %v", px, img.RGBAAt(r.Max.X-1, r.Max.Y-1))
	}
	r = g.rect(1)
	if neg, pos := img.RGBAAt(r.Min.X, r.Min.Y), img.RGBAAt(r.Min.X, r.Max.Y-1); neg.B <= neg.R || pos.R <= pos.B {
		t.Errorf("signed channel: negative %v, positive %v", neg, pos)
	}
}

// TestShortLabels checks the label numbers stay short and readable.
func TestShortLabels(t *testing.T) {
	for v, want := range map[float32]string{0: "0", 1.5: "1.500", -12.34: "-12.3", 0.00014: "1.4e-4", -2.5e-5: "-2.5e-5", 12345: "1.2e4"} {
		if got := short(v); got != want {
			t.Errorf("short(%v) = %q, want %q", v, got, want)
		}
	}
}
