package occlusion

import (
	"math"
	"testing"
)

func TestMasks(t *testing.T) {
	if got := BorderPixels(224, DefaultBorderBand); got != 22 {
		t.Errorf("border band %d px, want 22", got)
	}
	b := BorderMask(224, 224, 22)
	if got, want := HiddenFraction(b), 1-180.0*180/(224*224); math.Abs(got-want) > 1e-12 {
		t.Errorf("border hides %v, want %v", got, want)
	}
	if b[22*224+22] != 1 || b[21*224+100] != 0 || b[100*224+202] != 0 || b[100*224+201] != 1 {
		t.Error("border mask edges wrong")
	}
	box := LungBox(224, 224)
	if box != (Rect{X0: 34, Y0: 34, X1: 190, Y1: 179}) {
		t.Errorf("lung box %+v", box)
	}
	l := LungMask(224, 224)
	if got, want := HiddenFraction(l), 1-156.0*145/(224*224); math.Abs(got-want) > 1e-12 {
		t.Errorf("outside-lungs hides %v, want %v", got, want)
	}
}

func TestTopMask(t *testing.T) {
	cam := []float32{0.9, 0.1, 0.5, 0, 0.7, 0.2, 0.3, 0.4, 0.8, 0.6}
	top, err := TopMask(cam, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range top {
		hidden := cam[i] >= 0.8
		if (v == 0) != hidden {
			t.Errorf("pixel %d (%.1f): mask %v", i, cam[i], v)
		}
	}
	keep, _ := KeepTop(cam, 0.2)
	for i := range keep {
		if keep[i]+top[i] != 1 {
			t.Errorf("KeepTop and TopMask are not complements at %d", i)
		}
	}
	// Zeros are never the top, even when the map has few positive values.
	if m, _ := TopMask(make([]float32, 10), 0.5); HiddenFraction(m) != 0 {
		t.Error("an all-zero map hides pixels")
	}
	for _, f := range []float64{0, -1, 1.5, math.NaN()} {
		if _, err := TopMask(cam, f); err == nil {
			t.Errorf("fraction %v: no error", f)
		}
	}
	if _, err := KeepTop(nil, 0.2); err == nil {
		t.Error("empty map: no error")
	}
}

func TestResultCheck(t *testing.T) {
	r := &Result{Before: 0.9, Checks: []Check{{Region: Border, After: 0.2}}}
	c, ok := r.Check(Border)
	if !ok || math.Abs(c.Change(r.Before)+0.7) > 1e-12 {
		t.Errorf("border check %+v %v", c, ok)
	}
	if _, ok := r.Check(CAMTop); ok {
		t.Error("found a check that is not there")
	}
	if _, ok := (*Result)(nil).Check(Border); ok {
		t.Error("nil result has a check")
	}
}
