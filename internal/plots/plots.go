// Package plots draws an evaluation's ROC curve, precision–recall curve and
// confusion matrix as PNG images, with gonum/plot.
package plots

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/xrayllm/xray/internal/metrics"
)

// size is the side of every image: 5 inches, 480 pixels at gonum's PNG
// resolution; margin is the white space around the plot.
const (
	size   = 5 * vg.Inch
	margin = 10 * vg.Millimeter / 2
)

var (
	curveColor  = color.RGBA{R: 31, G: 119, B: 180, A: 255} // blue
	chanceColor = color.Gray{Y: 128}
)

// ROC draws a ROC curve whose area is auc, with the diagonal a classifier
// guessing at random would follow, into the PNG file path. positive names
// the class the rates count.
func ROC(path string, pts []metrics.ROCPoint, auc float64, positive string) error {
	xys := make(plotter.XYs, len(pts))
	for i, p := range pts {
		xys[i] = plotter.XY{X: p.FPR, Y: p.TPR}
	}
	p := unitPlot("ROC curve ("+positive+" positive)", "false positive rate (1 − specificity)", "true positive rate (sensitivity)")
	if err := addCurve(p, xys, fmt.Sprintf("model, AUC = %.3f", auc)); err != nil {
		return err
	}
	if err := addChance(p, plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, "chance, AUC = 0.5"); err != nil {
		return err
	}
	p.Legend.Left, p.Legend.Top = false, false // bottom right, below the curve
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), vg.Points(8)
	return save(p, path)
}

// PR draws a precision–recall curve whose average precision is ap into the
// PNG file path, with the precision of calling every case positive (the
// share of positive cases, prevalence) as the chance line.
func PR(path string, pts []metrics.PRPoint, ap, prevalence float64, positive string) error {
	xys := make(plotter.XYs, 0, len(pts)+1)
	if len(pts) > 0 {
		xys = append(xys, plotter.XY{X: 0, Y: pts[0].Precision}) // recall 0, as scikit-learn draws it
	}
	for _, p := range pts {
		xys = append(xys, plotter.XY{X: p.Recall, Y: p.Precision})
	}
	p := unitPlot("Precision–recall curve ("+positive+" positive)", "recall (sensitivity)", "precision (positive predictive value)")
	if err := addCurve(p, xys, fmt.Sprintf("model, average precision = %.3f", ap)); err != nil {
		return err
	}
	if err := addChance(p, plotter.XYs{{X: 0, Y: prevalence}, {X: 1, Y: prevalence}}, fmt.Sprintf("chance, precision = %.3f", prevalence)); err != nil {
		return err
	}
	p.Legend.Left, p.Legend.Top = true, false // bottom left, below the curve
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(8)
	return save(p, path)
}

// unitPlot is a plot over [0, 1]² with a title and axis labels.
func unitPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.02
	p.Add(plotter.NewGrid())
	return p
}

// addCurve draws the model's curve, with its legend entry.
func addCurve(p *plot.Plot, xys plotter.XYs, legend string) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	l.Color, l.Width = curveColor, vg.Points(2)
	p.Add(l)
	p.Legend.Add(legend, l)
	return nil
}

// addChance draws a chance line, dashed, with its legend entry.
func addChance(p *plot.Plot, xys plotter.XYs, legend string) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	l.Color, l.Dashes = chanceColor, []vg.Length{vg.Points(5), vg.Points(4)}
	p.Add(l)
	p.Legend.Add(legend, l)
	return nil
}

// save writes p as a PNG file, with a white margin around it.
func save(p *plot.Plot, path string) (err error) {
	img := vgimg.New(size, size)
	p.Draw(draw.Crop(draw.New(img), margin, -margin, margin, -margin))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("plots: %w", cerr)
		}
	}()
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	return nil
}

// Confusion draws the confusion matrix into the PNG file path: true classes
// down, predicted classes across, negative first, each cell with its count
// and its share of its true class.
func Confusion(path string, c metrics.Confusion, negative, positive string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Confusion matrix (%d images)", c.TP+c.TN+c.FP+c.FN)
	p.X.Label.Text, p.Y.Label.Text = "predicted class", "true class"
	p.NominalX(negative, positive)
	p.NominalY(positive, negative) // the negative class on top
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, 1.5, -0.5, 1.5
	p.Add(cells{
		{x: 0, y: 1, n: c.TN, of: c.TN + c.FP, name: "true negative"},
		{x: 1, y: 1, n: c.FP, of: c.TN + c.FP, name: "false positive"},
		{x: 0, y: 0, n: c.FN, of: c.TP + c.FN, name: "false negative"},
		{x: 1, y: 0, n: c.TP, of: c.TP + c.FN, name: "true positive"},
	})
	return save(p, path)
}

// cell is one square of a confusion matrix, centred on (x, y): n of the of
// cases of its true class.
type cell struct {
	x, y  float64
	n, of int
	name  string
}

// cells is a plotter of confusion-matrix squares, shaded by their share of
// their row.
type cells []cell

// Plot implements plot.Plotter.
func (cs cells) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	big := p.Title.TextStyle
	big.Font.Size = vg.Points(22)
	big.XAlign, big.YAlign = draw.XCenter, draw.YCenter
	small := big
	small.Font.Size = vg.Points(10)
	for _, k := range cs {
		share := 0.0
		if k.of > 0 {
			share = float64(k.n) / float64(k.of)
		}
		x0, x1, y0, y1 := tx(k.x-0.5), tx(k.x+0.5), ty(k.y-0.5), ty(k.y+0.5)
		square := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}}
		c.FillPolygon(shade(share), square)
		c.StrokeLines(draw.LineStyle{Color: chanceColor, Width: vg.Points(0.5)}, square)
		ink := color.Color(color.Black)
		if share > 0.5 {
			ink = color.White
		}
		big.Color, small.Color = ink, ink
		mid := vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}
		c.FillText(big, mid, fmt.Sprint(k.n))
		c.FillText(small, vg.Point{X: mid.X, Y: mid.Y - vg.Points(22)}, k.name)
		c.FillText(small, vg.Point{X: mid.X, Y: mid.Y - vg.Points(34)}, fmt.Sprintf("%.1f%% of the true class", 100*share))
	}
}

// shade goes from white (share 0) to the curves' blue (share 1).
func shade(share float64) color.Color {
	mix := func(v uint8) uint8 { return uint8(255 - share*(255-float64(v))) }
	return color.RGBA{R: mix(curveColor.R), G: mix(curveColor.G), B: mix(curveColor.B), A: 255}
}
