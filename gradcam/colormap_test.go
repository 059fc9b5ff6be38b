package gradcam

import (
	"strings"
	"testing"
)

// Spot values of OpenCV 4.6's cv2.applyColorMap, converted to RGB.
func TestColormapTables(t *testing.T) {
	for _, tc := range []struct {
		name string
		cm   Table
		v    uint8
		want [3]uint8
	}{
		{"jet", Jet(), 0, [3]uint8{0, 0, 128}},
		{"jet", Jet(), 255, [3]uint8{128, 0, 0}},
		{"jet", Jet(), 128, Jet()[128]},
		{"viridis", Viridis(), 0, [3]uint8{68, 1, 84}},
		{"viridis", Viridis(), 255, [3]uint8{253, 231, 37}},
		{"inferno", Inferno(), 0, [3]uint8{0, 0, 4}},
		{"inferno", Inferno(), 255, [3]uint8{252, 255, 164}},
	} {
		if got := tc.cm.Color(tc.v); got != tc.want {
			t.Errorf("%s(%d) = %v, want %v", tc.name, tc.v, got, tc.want)
		}
	}
}

// Viridis and Inferno are grayscale-safe: their luma rises with the value.
func TestColormapLumaMonotonic(t *testing.T) {
	for name, cm := range map[string]Table{"viridis": Viridis(), "inferno": Inferno()} {
		prev := -1.0
		for v := 0; v < 256; v += 8 {
			c := cm[v]
			l := 0.299*float64(c[0]) + 0.587*float64(c[1]) + 0.114*float64(c[2])
			if l <= prev {
				t.Errorf("%s: luma %g at %d not above %g", name, l, v, prev)
			}
			prev = l
		}
	}
}

func TestColormapValueSemantics(t *testing.T) {
	a := Jet()
	a[0] = [3]uint8{1, 2, 3}
	if Jet()[0] == a[0] {
		t.Error("changing a copy changed Jet")
	}
}

func TestColormapByName(t *testing.T) {
	for _, n := range ColormapNames() {
		if _, err := ColormapByName(strings.ToUpper(n)); err != nil {
			t.Error(err)
		}
	}
	if _, err := ColormapByName("rainbow"); err == nil || !strings.Contains(err.Error(), "viridis") {
		t.Errorf("unknown colormap error %v", err)
	}
}

// funcMap is a Colormap that is not a Table.
type funcMap struct{}

func (funcMap) Color(v uint8) [3]uint8 { return [3]uint8{v, v, v} }

func TestTableOf(t *testing.T) {
	if tableOf(nil) != Jet() {
		t.Error("nil colormap is not Jet")
	}
	var nilTable *Table
	if tableOf(nilTable) != Jet() {
		t.Error("nil *Table is not Jet")
	}
	g := tableOf(funcMap{})
	if g[77] != [3]uint8{77, 77, 77} {
		t.Errorf("custom colormap: %v", g[77])
	}
}
