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
	gapColor   = color.NRGBA{R: 214, G: 39, B: 40, A: 110} // translucent red
	afterColor = color.RGBA{R: 255, G: 127, B: 14, A: 255} // orange
)

// Reliability draws a reliability diagram into the PNG file path, as Guo
// et al. (2017) draw it: for each confidence bin of the first series a bar
// as high as the share of its cases predicted right (with the number of
// cases at its foot), the gap to the bin's mean confidence shaded, and the
// diagonal a perfectly calibrated model would follow; each further series
// adds its bins' (confidence, accuracy) as a line with points. The legend
// gives each series' ECE.
func Reliability(path string, series ...ReliabilitySeries) error {
	if len(series) == 0 {
		return fmt.Errorf("plots: reliability diagram without data")
	}
	p := unitPlot("Reliability diagram (confidence of the predicted class)", "confidence", "accuracy (share predicted right)")
	first := series[0]
	bar, gap, err := addBars(p, first.Reliability.Bins)
	if err != nil {
		return err
	}
	if bar != nil {
		p.Legend.Add(fmt.Sprintf("%s, ECE %.3f", first.Name, first.Reliability.ECE), bar)
	}
	if gap != nil {
		p.Legend.Add("gap to the mean confidence", gap)
	}
	for _, s := range series[1:] {
		if err := addBinPoints(p, s); err != nil {
			return err
		}
	}
	if err := addChance(p, plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, "perfectly calibrated"); err != nil {
		return err
	}
	p.Legend.Left, p.Legend.Top = true, true // above the empty half: confidence is at least 1/classes
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	return save(p, path)
}

// addBars draws the non-empty bins as bars up to their accuracy, the gap
// to their mean confidence shaded over them, and their counts at their
// foot; it returns one bar and one gap for the legend (nil when every
// bin is empty or no bin has a gap).
func addBars(p *plot.Plot, bins []metrics.ReliabilityBin) (bar, gap *plotter.Polygon, err error) {
	var counts plotter.XYLabels
	for _, b := range bins {
		if b.Count == 0 {
			continue
		}
		bp, err := rectangle(b.Lo, b.Hi, 0, b.Accuracy, curveColor, color.White)
		if err != nil {
			return nil, nil, err
		}
		p.Add(bp)
		bar = bp
		if lo, hi := min(b.Accuracy, b.Confidence), max(b.Accuracy, b.Confidence); hi > lo {
			gp, err := rectangle(b.Lo, b.Hi, lo, hi, gapColor, gapColor)
			if err != nil {
				return nil, nil, err
			}
			p.Add(gp)
			gap = gp
		}
		counts.XYs = append(counts.XYs, plotter.XY{X: (b.Lo + b.Hi) / 2, Y: 0.015})
		counts.Labels = append(counts.Labels, fmt.Sprintf("n=%d", b.Count))
	}
	if len(counts.XYs) == 0 {
		return nil, nil, nil
	}
	labels, err := plotter.NewLabels(counts)
	if err != nil {
		return nil, nil, fmt.Errorf("plots: %w", err)
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Color = color.White
		labels.TextStyle[i].XAlign = draw.XCenter
		labels.TextStyle[i].Font.Size = vg.Points(8)
	}
	p.Add(labels)
	return bar, gap, nil
}

// rectangle is a filled rectangle of the plot's coordinates.
func rectangle(x0, x1, y0, y1 float64, fill, edge color.Color) (*plotter.Polygon, error) {
	r, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	if err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	r.Color, r.LineStyle.Color, r.LineStyle.Width = fill, edge, vg.Points(1)
	return r, nil
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
	p.Legend.Add(fmt.Sprintf("%s, ECE %.3f", s.Name, s.Reliability.ECE), l, pts)
	return nil
}
