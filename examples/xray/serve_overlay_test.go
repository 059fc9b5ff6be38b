package main

import (
	"image"
	"testing"
)

// TestFullOverlayBase checks that the full-size overlay keeps an upload's
// size up to fullOverlayMaxSide and scales a larger one down to it,
// keeping its aspect.
func TestFullOverlayBase(t *testing.T) {
	for _, c := range []struct{ w, h, wantW, wantH int }{
		{300, 200, 300, 200},
		{fullOverlayMaxSide, 10, fullOverlayMaxSide, 10},
		{4 * fullOverlayMaxSide, fullOverlayMaxSide, fullOverlayMaxSide, fullOverlayMaxSide / 4},
		{1000, 3 * fullOverlayMaxSide, 1000 / 3, fullOverlayMaxSide},
	} {
		got := fullOverlayBase(image.NewGray(image.Rect(0, 0, c.w, c.h))).Bounds()
		if got.Dx() != c.wantW || got.Dy() != c.wantH {
			t.Errorf("%dx%d: base %dx%d, want %dx%d", c.w, c.h, got.Dx(), got.Dy(), c.wantW, c.wantH)
		}
	}
}
