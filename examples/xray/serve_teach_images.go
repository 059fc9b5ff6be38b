package main

import (
	"fmt"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/internal/teachimg"
)

// The teaching view's pictures are drawn by package teachimg at the maps'
// own size (7×7 at layer4); the page enlarges them without smoothing, so
// every value stays one visible square.

// channelTiles summarises and draws the chosen channels of values (the
// layer's activations or its gradients, C×h×w as st), in grey, lowest
// black and highest white, or, for signed values, in the diverging
// colormap.
func channelTiles(values []float32, st *gradcam.Steps, chosen []teachimg.Channel, signed bool) ([]teachChannelJSON, error) {
	a := teachimg.Activation{C: st.Channels, H: st.Height, W: st.Width, Data: values}
	out := make([]teachChannelJSON, 0, len(chosen))
	for _, c := range chosen {
		if c.Index < 0 || c.Index >= a.C || len(values) != a.C*a.H*a.W {
			return nil, fmt.Errorf("serve: channel %d of a %d×%d×%d map of %d values", c.Index, a.C, a.H, a.W, len(values))
		}
		stats := a.Stats(c.Index)
		stats.Alpha, stats.HasAlpha = c.Alpha, c.HasAlpha
		var png string
		var err error
		if signed {
			png, _, err = signedPNG(a.Channel(c.Index), a.H, a.W)
		} else {
			png, err = grayPNG(a.Channel(c.Index), a.H, a.W)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, teachChannelJSON{Channel: stats, PNG: png})
	}
	return out, nil
}

// grayPNG draws an h×w map in grey at its own size.
func grayPNG(v []float32, h, w int) (string, error) {
	img, err := teachimg.Tile(v, h, w, max(h, w))
	if err != nil {
		return "", err
	}
	return pngDataURL(img)
}

// signedPNG draws a signed h×w map in the diverging colormap, white at
// zero, and returns the largest magnitude, the colormap's ends.
func signedPNG(v []float32, h, w int) (string, float32, error) {
	img, m, err := teachimg.Signed(v, h, w, max(h, w))
	if err != nil {
		return "", 0, err
	}
	png, err := pngDataURL(img)
	return png, m, err
}

// heatPNG draws an h×w map in cmap, from its minimum to its maximum.
func heatPNG(v []float32, h, w int, cmap gradcam.Table) (string, error) {
	img, err := teachimg.Heat(v, h, w, max(h, w), cmap)
	if err != nil {
		return "", err
	}
	return pngDataURL(img)
}
