package gradcam

import (
	"fmt"
	"strings"
)

// A Colormap maps an 8-bit intensity to an RGB colour.
type Colormap interface {
	// Color returns the RGB colour for v.
	Color(v uint8) [3]uint8
}

// Table is a 256-entry RGB colormap, indexed by the 8-bit intensity. It is
// a value: copying it copies the colours.
type Table [256][3]uint8

// Color returns the RGB colour for v.
func (t Table) Color(v uint8) [3]uint8 { return t[v] }

// Jet returns OpenCV's COLORMAP_JET (blue → cyan → yellow → red), the
// colormap pytorch-grad-cam's show_cam_on_image uses by default, entry for
// entry as cv2.applyColorMap produces it, in RGB order.
func Jet() Table { return jetTable() }

// Viridis returns OpenCV's COLORMAP_VIRIDIS (dark blue → green → yellow), a
// perceptually uniform colormap whose brightness rises monotonically, so it
// stays readable in grayscale and for red–green colour-blind readers.
func Viridis() Table { return viridisTable() }

// Inferno returns OpenCV's COLORMAP_INFERNO (black → purple → orange →
// light yellow), perceptually uniform and grayscale-safe like Viridis.
func Inferno() Table { return infernoTable() }

// ColormapNames returns the names ColormapByName accepts.
func ColormapNames() []string { return []string{"jet", "viridis", "inferno"} }

// ColormapByName returns the colormap called name ("jet", "viridis" or
// "inferno", case-insensitive).
func ColormapByName(name string) (Table, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "jet":
		return Jet(), nil
	case "viridis":
		return Viridis(), nil
	case "inferno":
		return Inferno(), nil
	}
	return Table{}, fmt.Errorf("gradcam: unknown colormap %q (valid: %s)", name, strings.Join(ColormapNames(), ", "))
}

// tableOf returns cm as a Table, calling Color once per intensity when cm
// is not already a Table. A nil cm gives Jet.
func tableOf(cm Colormap) Table {
	switch t := cm.(type) {
	case nil:
		return Jet()
	case Table:
		return t
	case *Table:
		if t == nil {
			return Jet()
		}
		return *t
	}
	var t Table
	for i := range t {
		t[i] = cm.Color(uint8(i))
	}
	return t
}
