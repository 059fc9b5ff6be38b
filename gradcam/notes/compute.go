package notes

import (
	"fmt"
	"math"
)

// Options configure Compute; the zero value, like a nil pointer, gives the
// defaults.
type Options struct {
	// BorderBand is the width of the outer band on every side, as a
	// fraction of the map's width (left and right) and height (top and
	// bottom), in (0, 0.5); 0 means DefaultBorderBand.
	BorderBand float64
	// BorderThreshold is the share of the map's mass in the band above
	// which BorderAttention is set, in (0, 1]; 0 means
	// DefaultBorderThreshold.
	BorderThreshold float64
}

// Default options.
const (
	DefaultBorderBand      = 0.10
	DefaultBorderThreshold = 0.35
)

// maxPixels bounds the size of a map, as in gradcam.
const maxPixels = 1 << 28

// ZoneAt returns the zone of the point (x, y) in a w×h map: the image's
// left half is the patient's right, rows are thirds of the height. Points
// outside the map belong to the nearest row.
func ZoneAt(x, y float64, w, h int) Zone {
	row := 0
	if h > 0 {
		row = int(math.Floor(3 * y / float64(h)))
	}
	row = min(max(row, 0), 2)
	if x < float64(w)/2 {
		return [3]Zone{RightUpper, RightMiddle, RightLower}[row]
	}
	return [3]Zone{LeftUpper, LeftMiddle, LeftLower}[row]
}

// Compute describes a final CAM map (w×h values in [0, 1], row-major, as
// gradcam.Finalize returns it): where its peak and centre of mass are, how
// its mass splits over the six zones, how much of it is above 0.5, and how
// much lies in the outer band of the image, the failure mode where a
// network looks at side markers, labels or the image edge.
//
// Pixel (i, j) covers [i, i+1)×[j, j+1) and belongs to the zone, and to the
// band, of its centre (i+0.5, j+0.5); Peak is the centre of the first
// maximal pixel in row-major order. Negative and NaN values count as 0. An
// all-zero map gives Notes with Empty set and only Width, Height and
// BorderBand filled in.
func Compute(cam []float32, w, h int, opts *Options) (Notes, error) {
	if err := checkSize(len(cam), w, h); err != nil {
		return Notes{}, err
	}
	o, err := withDefaults(opts)
	if err != nil {
		return Notes{}, err
	}
	n := Notes{Width: w, Height: h, BorderBand: o.BorderBand}
	bx, by := o.BorderBand*float64(w), o.BorderBand*float64(h)
	share := make(map[Zone]float64, 6)
	var total, sx, sy, border float64
	peak, peakAt, above := 0.0, -1, 0
	for j := 0; j < h; j++ {
		cy := float64(j) + 0.5
		for i := 0; i < w; i++ {
			v := float64(cam[j*w+i])
			if !(v > 0) {
				continue
			}
			cx := float64(i) + 0.5
			if v > 0.5 {
				above++
			}
			if v > peak {
				peak, peakAt = v, j*w+i
			}
			total += v
			sx += v * cx
			sy += v * cy
			share[ZoneAt(cx, cy, w, h)] += v
			if inBand(cx, cy, bx, by, w, h) {
				border += v
			}
		}
	}
	if total == 0 || math.IsInf(total, 0) {
		n.Empty = true
		return n, nil
	}
	for _, z := range Zones() {
		share[z] /= total
	}
	n.ZoneShare = share
	n.Peak = Point{X: float64(peakAt%w) + 0.5, Y: float64(peakAt/w) + 0.5}
	n.PeakZone = ZoneAt(n.Peak.X, n.Peak.Y, w, h)
	n.Centroid = Point{X: sx / total, Y: sy / total}
	n.CentroidZone = ZoneAt(n.Centroid.X, n.Centroid.Y, w, h)
	n.Spread = float64(above) / float64(w*h)
	n.BorderShare = border / total
	n.PeakInBorder = inBand(n.Peak.X, n.Peak.Y, bx, by, w, h)
	n.BorderAttention = n.BorderShare > o.BorderThreshold || n.PeakInBorder
	return n, nil
}

// checkSize checks that n values make a w×h map of a sane size.
func checkSize(n, w, h int) error {
	if h <= 0 || w <= 0 {
		return fmt.Errorf("gradcam: notes: size %dx%d must be positive", w, h)
	}
	if h > maxPixels/w {
		return fmt.Errorf("gradcam: notes: size %dx%d too large", w, h)
	}
	if n != h*w {
		return fmt.Errorf("gradcam: notes: %d values for a %dx%d map", n, w, h)
	}
	return nil
}

// withDefaults fills in and checks the options.
func withDefaults(opts *Options) (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.BorderBand == 0 {
		o.BorderBand = DefaultBorderBand
	}
	if o.BorderThreshold == 0 {
		o.BorderThreshold = DefaultBorderThreshold
	}
	if !(o.BorderBand > 0 && o.BorderBand < 0.5) {
		return o, fmt.Errorf("gradcam: notes: border band %g outside (0, 0.5)", o.BorderBand)
	}
	if !(o.BorderThreshold > 0 && o.BorderThreshold <= 1) {
		return o, fmt.Errorf("gradcam: notes: border threshold %g outside (0, 1]", o.BorderThreshold)
	}
	return o, nil
}

// inBand reports whether (x, y) lies within bx of the left or right edge or
// by of the top or bottom edge of a w×h map.
func inBand(x, y, bx, by float64, w, h int) bool {
	return x < bx || x > float64(w)-bx || y < by || y > float64(h)-by
}
