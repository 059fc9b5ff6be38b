package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/xrayllm/xray/internal/metrics"
)

// ReliabilitySeries is one set of predictions' calibration, with the name
// its legend entry gives it ("model", "after temperature scaling").
type ReliabilitySeries struct {
	Name        string
	Reliability metrics.Reliability
}

var (
	gapColor   = color.RGBA{R: 214, G: 39, B: 40, A: 90}   // translucent red
	afterColor = color.RGBA{R: 255, G: 127, B: 14, A: 255} // orange
)

// Reliability draws a reliability diagram into the PNG file path, as Guo
// et al. (2017) draw it: for each confidence bin of the first series a bar
// as high as the share of its cases predicted right, the gap to the bin's
// mean confidence shaded, and the diagonal a perfectly calibrated model
// would follow; each further series adds its bins' (confidence, accuracy)
// as a line with points. The legend gives each series' ECE.
func Reliability(path string, series ...ReliabilitySeries) error {
	if len(series) == 0 {
		return fmt.Errorf("plots: reliability diagram without data")
	}
	p := unitPlot("Reliability diagram (confidence of the predicted class)", "confidence", "accuracy (share predicted right)")
	first := series[0]
	p.Add(bars(first.Reliability.Bins))
	p.Legend.Add(fmt.Sprintf("%s, ECE = %.3f", first.Name, first.Reliability.ECE), legendBox{bar: curveColor})
	p.Legend.Add("gap to the mean confidence", legendBox{bar: gapColor})
	for _, s := range series[1:] {
		if err := addBinPoints(p, s); err != nil {
			return err
		}
	}
	if err := addChance(p, plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, "perfectly calibrated"); err != nil {
		return err
	}
	p.Legend.Left, p.Legend.Top = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(8)
	return save(p, path)
}

// addBinPoints draws a series' non-empty bins as a line with points.
func addBinPoints(p *plot.Plot, s ReliabilitySeries) error {
	var xys plotter.XYs
	for _, b := range s.Reliability.Bins {
		if b.Count > 0 {
			xys = append(xys, plotter.XY{X: b.Confidence, Y: b.Accuracy})
		}
	}
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	l.Color, l.Width = afterColor, vg.Points(1.5)
	pts.Color, pts.Shape = afterColor, draw.CircleGlyph{}
	p.Add(l, pts)
	p.Legend.Add(fmt.Sprintf("%s, ECE = %.3f", s.Name, s.Reliability.ECE), l, pts)
	return nil
}

// bars is a plotter of a reliability diagram's bins: a bar up to the
// accuracy, and the gap between accuracy and mean confidence shaded.
type bars []metrics.ReliabilityBin

// Plot implements plot.Plotter.
func (bs bars) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	rect := func(x0, x1, y0, y1 float64) []vg.Point {
		return []vg.Point{{X: tx(x0), Y: ty(y0)}, {X: tx(x1), Y: ty(y0)}, {X: tx(x1), Y: ty(y1)}, {X: tx(x0), Y: ty(y1)}, {X: tx(x0), Y: ty(y0)}}
	}
	small := p.Title.TextStyle
	small.Font.Size = vg.Points(8)
	small.XAlign, small.YAlign = draw.XCenter, draw.YBottom
	for _, b := range bs {
		if b.Count == 0 {
			continue
		}
		bar := rect(b.Lo, b.Hi, 0, b.Accuracy)
		c.FillPolygon(curveColor, bar)
		c.StrokeLines(draw.LineStyle{Color: color.White, Width: vg.Points(1)}, bar)
		c.FillPolygon(gapColor, rect(b.Lo, b.Hi, min(b.Accuracy, b.Confidence), max(b.Accuracy, b.Confidence)))
		top := max(b.Accuracy, b.Confidence)
		c.FillText(small, vg.Point{X: tx((b.Lo + b.Hi) / 2), Y: ty(top) + vg.Points(2)}, fmt.Sprintf("n=%d", b.Count))
	}
}

// legendBox is a legend entry's filled square.
type legendBox struct{ bar color.Color }

// Thumbnail implements plot.Thumbnailer.
func (l legendBox) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(l.bar, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}
