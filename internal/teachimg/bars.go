package teachimg

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"

	"github.com/xrayllm/xray/gradcam"
)

// Weight is one channel's weight, as Extremes picks them.
type Weight struct {
	Index int     `json:"index"`
	Value float32 `json:"value"`
}

// Extremes returns the n largest weights, largest first, and the n
// smallest, smallest first (fewer when there are fewer than 2n channels:
// a channel appears once).
func Extremes(w []float32, n int) (top, bottom []Weight) {
	all := make([]Weight, len(w))
	for i, v := range w {
		all[i] = Weight{Index: i, Value: v}
	}
	slices.SortStableFunc(all, func(a, b Weight) int { return cmp.Compare(b.Value, a.Value) })
	k := min(max(n, 0), len(all))
	top = slices.Clone(all[:k])
	rest := all[k:]
	for i := len(rest) - 1; i >= 0 && len(bottom) < n; i-- {
		bottom = append(bottom, rest[i])
	}
	return top, bottom
}

// Bars draws the n largest and n smallest of the channel weights w as
// horizontal bars from a common zero, red to the right for positive and
// blue to the left for negative, each labelled with its channel and value,
// under a title line.
func Bars(w []float32, n int, title string) (*image.RGBA, error) {
	if len(w) == 0 || n < 1 || n > maxCells {
		return nil, fmt.Errorf("teachimg: bars of %d of %d weights", n, len(w))
	}
	top, bottom := Extremes(w, n)
	rows := append(top, bottom...)
	peak := 0.0
	for _, r := range rows {
		peak = math.Max(peak, math.Abs(float64(r.Value)))
	}
	const labelW, barW, barH = 20 * charWidth, 360, lineHeight
	width := 2*pad + labelW + barW
	height := 2*pad + lineHeight + pad + len(rows)*(barH+2)
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(background()), image.Point{}, draw.Src)
	g := &grid{img: img}
	g.text(pad, pad, clip(title, (width-2*pad)/charWidth))
	zero := pad + labelW + barW/2
	cm := gradcam.Diverging()
	for i, r := range rows {
		y := pad + lineHeight + pad + i*(barH+2)
		g.text(pad, y, clip(fmt.Sprintf("#%d %s", r.Index, short(r.Value)), labelW/charWidth))
		length := 0
		if peak > 0 {
			length = int(math.Round(float64(r.Value) / peak * barW / 2))
		}
		x0, x1, c := zero, zero+length, cm[230]
		if length < 0 {
			x0, x1, c = zero+length, zero, cm[25]
		}
		draw.Draw(img, image.Rect(x0, y+2, x1, y+barH-1), image.NewUniform(color.RGBA{c[0], c[1], c[2], 255}), image.Point{}, draw.Src)
	}
	draw.Draw(img, image.Rect(zero, pad+lineHeight+pad, zero+1, height-pad), image.NewUniform(ink()), image.Point{}, draw.Src)
	return img, nil
}
