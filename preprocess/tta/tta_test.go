package tta

import (
	"math"
	"slices"
	"testing"
)

// ramp is a 3×side×side input whose values differ at every pixel.
func ramp(side int) []float32 {
	x := make([]float32, 3*side*side)
	for i := range x {
		x[i] = float32(i%97) / 96
	}
	return x
}

func TestIdentityCopiesExactly(t *testing.T) {
	x := ramp(9)
	for _, v := range []Variant{{}, {Name: "ones", Scale: 1, Gain: 1}} {
		if !v.IsIdentity() {
			t.Errorf("%+v is not the identity", v)
		}
		got, err := Batch(x, 9, []Variant{v}, &Normalization{Mean: [3]float32{0.5, 0.4, 0.3}, Std: [3]float32{0.2, 0.3, 0.4}})
		if err != nil || !slices.Equal(got, x) {
			t.Errorf("identity changed the input: %v", err)
		}
	}
}

func TestShiftMovesWholePixelsAndRepeatsTheEdge(t *testing.T) {
	const side = 8
	x := ramp(side)
	got, err := Batch(x, side, []Variant{{DX: 2, DY: -1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(v []float32, c, y, x int) float32 { return v[c*side*side+y*side+x] }
	for c := range 3 {
		for y := range side {
			for xx := range side {
				sy, sx := min(y+1, side-1), max(xx-2, 0) // content moved right 2, up 1; edges repeat
				if g, w := at(got, c, y, xx), at(x, c, sy, sx); g != w {
					t.Fatalf("channel %d (%d,%d): %v, want %v", c, xx, y, g, w)
				}
			}
		}
	}
}

func TestScaleKeepsTheCentreAndZooms(t *testing.T) {
	const side = 9 // odd: pixel 4 is the centre
	x := make([]float32, 3*side*side)
	for y := range side {
		for xx := range side {
			x[y*side+xx] = float32(xx) // channel 0: a horizontal ramp, 0..8
		}
	}
	for _, s := range []float64{0.95, 1.05, 2} {
		got, _ := Batch(x, side, []Variant{{Scale: s}}, nil)
		for xx := range side {
			want := math.Max(0, math.Min(8, (float64(xx)-4)/s+4)) // the source column, clamped at the edge
			if g := float64(got[4*side+xx]); math.Abs(g-want) > 1e-5 {
				t.Errorf("scale %v, column %d: %v, want %v", s, xx, g, want)
			}
		}
	}
}

func TestGainActsOnPixelsAndClips(t *testing.T) {
	norm := &Normalization{Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}}
	// pixels 0.2, 0.6 and 0.95 normalised: (p-0.5)/0.25
	x := make([]float32, 3)
	for i, p := range []float64{0.2, 0.6, 0.95} {
		x[i] = float32((p - 0.5) / 0.25)
	}
	got, err := Batch(x, 1, []Variant{{Gain: 1.1}}, norm)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []float64{0.22, 0.66, 1} { // 0.95×1.1 clips to 1
		if w := (p - 0.5) / 0.25; math.Abs(float64(got[i])-w) > 1e-5 {
			t.Errorf("value %d: %v, want %v", i, got[i], w)
		}
	}
	if _, err := Batch(x, 1, []Variant{{Gain: -1}}, nil); err == nil {
		t.Error("a negative gain: no error")
	}
	if _, err := Batch(x, 1, []Variant{{}}, &Normalization{}); err == nil {
		t.Error("a zero std: no error")
	}
	if _, err := Batch(x[:2], 1, Default(), nil); err == nil {
		t.Error("a short input: no error")
	}
}

func TestDefaultKeepsTheAnatomy(t *testing.T) {
	vs := Default()
	if !vs[0].IsIdentity() {
		t.Errorf("the first default variant %+v is not the identity", vs[0])
	}
	names := map[string]bool{}
	for _, v := range vs {
		if v.scale() < 0.9 || v.scale() > 1.1 || abs(v.DX) > 8 || abs(v.DY) > 8 || v.gain() < 0.85 || v.gain() > 1.15 {
			t.Errorf("variant %+v is not a small change", v)
		}
		if names[v.Name] || v.Name == "" {
			t.Errorf("variant name %q empty or repeated", v.Name)
		}
		names[v.Name] = true
	}
}

func abs(i int) int { return max(i, -i) }

func TestSummarise(t *testing.T) {
	classes := []string{"NORMAL", "PNEUMONIA"}
	outs := []Outcome{
		{Index: 1, Label: "PNEUMONIA", Probs: []float64{0.2, 0.8}},
		{Index: 1, Label: "PNEUMONIA", Probs: []float64{0.4, 0.6}},
		{Index: 0, Label: "NORMAL", Probs: []float64{0.6, 0.4}},
	}
	r, err := Summarise(classes, outs)
	if err != nil {
		t.Fatal(err)
	}
	wantMean := []float64{0.4, 0.6}
	for c := range classes {
		if math.Abs(r.Mean[c]-wantMean[c]) > 1e-12 || r.Min[c] > r.Mean[c] || r.Mean[c] > r.Max[c] {
			t.Errorf("class %d: min %v mean %v max %v, want mean %v", c, r.Min[c], r.Mean[c], r.Max[c], wantMean[c])
		}
	}
	if r.Min[1] != 0.4 || r.Max[1] != 0.8 || r.Label != "PNEUMONIA" || r.Index != 1 {
		t.Errorf("result %+v", r)
	}
	if r.Agree || r.Dissent() != 1 {
		t.Errorf("agree %v, dissent %d; want false, 1", r.Agree, r.Dissent())
	}
	outs[0].Probs[0] = 0.9 // the result holds copies
	if r.Variants[0].Probs[0] != 0.2 {
		t.Error("the result shares the outcome's probabilities")
	}
	r2, _ := Summarise(classes, outs[:2])
	if !r2.Agree || r2.Dissent() != 0 {
		t.Errorf("two PNEUMONIA outcomes: agree %v, dissent %d", r2.Agree, r2.Dissent())
	}
	c := r.Clone()
	c.Variants[0].Probs[0], c.Mean[0] = 7, 7
	if r.Variants[0].Probs[0] == 7 || r.Mean[0] == 7 {
		t.Error("Clone shares slices")
	}
	if _, err := Summarise(classes, []Outcome{{Index: 2, Probs: []float64{1, 0}}}); err == nil {
		t.Error("an out-of-range class: no error")
	}
	if _, err := Summarise(classes, nil); err == nil {
		t.Error("no outcomes: no error")
	}
}
