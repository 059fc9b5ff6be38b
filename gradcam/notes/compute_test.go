package notes

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/xrayllm/xray/internal/fixtures"
)

func sumShares(n Notes) float64 {
	s := 0.0
	for _, v := range n.ZoneShare {
		s += v
	}
	return s
}

func TestNotesBlobRightLower(t *testing.T) {
	// Image left half, lower third: the patient's right lower zone.
	const w, h = 224, 224
	n, err := Compute(fixtures.Gaussian(w, h, 60, 180, 12), w, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.Empty || n.PeakZone != RightLower || n.CentroidZone != RightLower {
		t.Fatalf("notes %+v, want a right lower peak and centroid", n)
	}
	if math.Abs(n.Peak.X-60.5) > 1 || math.Abs(n.Peak.Y-180.5) > 1 {
		t.Errorf("peak %+v, want near (60, 180)", n.Peak)
	}
	if math.Abs(n.Centroid.X-60) > 0.5 || math.Abs(n.Centroid.Y-180) > 0.5 {
		t.Errorf("centroid %+v, want (60, 180)", n.Centroid)
	}
	if n.ZoneShare[RightLower] < 0.95 {
		t.Errorf("right lower share %g, want > 0.95", n.ZoneShare[RightLower])
	}
	if math.Abs(sumShares(n)-1) > 1e-9 {
		t.Errorf("shares sum to %g", sumShares(n))
	}
	// 0.5 is reached within s*sqrt(2 ln 2) of the centre.
	r := 12 * math.Sqrt(2*math.Ln2)
	if want := math.Pi * r * r / (w * h); math.Abs(n.Spread-want) > 0.1*want {
		t.Errorf("spread %g, want about %g", n.Spread, want)
	}
	if n.PeakInBorder || n.BorderAttention || n.BorderShare > 0.05 {
		t.Errorf("border: share %g, peak %v, attention %v", n.BorderShare, n.PeakInBorder, n.BorderAttention)
	}
	if n.Width != w || n.Height != h || n.BorderBand != 0.1 {
		t.Errorf("size/band %d %d %g", n.Width, n.Height, n.BorderBand)
	}
}

func TestNotesZones(t *testing.T) {
	// One bright pixel per case: its zone in radiological terms.
	for _, tc := range []struct {
		x, y int
		want Zone
	}{
		{10, 10, RightUpper}, {10, 30, RightMiddle}, {10, 50, RightLower},
		{50, 10, LeftUpper}, {50, 30, LeftMiddle}, {50, 50, LeftLower},
	} {
		m := make([]float32, 60*60)
		m[tc.y*60+tc.x] = 1
		n, err := Compute(m, 60, 60, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n.PeakZone != tc.want || n.CentroidZone != tc.want || n.ZoneShare[tc.want] != 1 {
			t.Errorf("pixel (%d,%d): %s / %s / share %g, want %s", tc.x, tc.y, n.PeakZone, n.CentroidZone, n.ZoneShare[tc.want], tc.want)
		}
		if got := ZoneAt(float64(tc.x)+0.5, float64(tc.y)+0.5, 60, 60); got != tc.want {
			t.Errorf("ZoneAt(%d, %d) = %s, want %s", tc.x, tc.y, got, tc.want)
		}
	}
}

func TestNotesUniform(t *testing.T) {
	// With a band of exactly 10 pixels the inner 80%x80% holds 64%.
	const w, h = 100, 100
	m := make([]float32, w*h)
	for i := range m {
		m[i] = 0.7
	}
	n, err := Compute(m, w, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(n.BorderShare-0.36) > 1e-9 {
		t.Errorf("border share %g, want 1-0.8*0.8 = 0.36", n.BorderShare)
	}
	// 0.36 > 0.35, and the peak (first pixel) is in the corner.
	if !n.BorderAttention || !n.PeakInBorder || n.Spread != 1 {
		t.Errorf("attention %v, peak in border %v, spread %g", n.BorderAttention, n.PeakInBorder, n.Spread)
	}
	for _, z := range Zones() {
		if want := 1.0 / 6; math.Abs(n.ZoneShare[z]-want) > 0.01 {
			t.Errorf("%s share %g, want about 1/6", z, n.ZoneShare[z])
		}
	}
	if math.Abs(n.Centroid.X-50) > 1e-9 || math.Abs(n.Centroid.Y-50) > 1e-9 {
		t.Errorf("centroid %+v", n.Centroid)
	}
	// A higher threshold and a centred peak: no attention flag.
	m[50*w+50] = 1
	n, err = Compute(m, w, h, &Options{BorderThreshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if n.BorderAttention || n.PeakInBorder {
		t.Errorf("threshold 0.5, centred peak: attention %v, peak in border %v", n.BorderAttention, n.PeakInBorder)
	}
	// On 224 pixels the 10% band is 22 pixels (centres below 22.4).
	m = make([]float32, 224*224)
	for i := range m {
		m[i] = 1
	}
	n, _ = Compute(m, 224, 224, nil)
	if want := 1 - (180.0*180)/(224*224); math.Abs(n.BorderShare-want) > 1e-9 {
		t.Errorf("224x224 border share %g, want %g", n.BorderShare, want)
	}
}

func TestNotesCornerSpike(t *testing.T) {
	// A faint background and a spike at the top-left corner: an 'R' marker.
	// prompt's TestNoteLinesCornerSpike checks how these notes read.
	const w, h = 224, 224
	n, err := Compute(fixtures.CornerSpike(w, h), w, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !n.PeakInBorder || !n.BorderAttention || n.PeakZone != RightUpper {
		t.Errorf("corner spike: %+v", n)
	}
	if n.Peak != (Point{5.5, 5.5}) {
		t.Errorf("peak %+v", n.Peak)
	}
}

func TestNotesEmpty(t *testing.T) {
	for name, m := range map[string][]float32{
		"zeros":    make([]float32, 12),
		"negative": {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
		"nan":      {float32(math.NaN()), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		n, err := Compute(m, 4, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !n.Empty || n.BorderAttention || n.ZoneShare != nil || n.Spread != 0 || n.Width != 4 || n.Height != 3 {
			t.Errorf("%s: %+v", name, n)
		}
		if b, err := json.Marshal(n); err != nil || strings.Contains(string(b), "NaN") {
			t.Errorf("%s: json %s, %v", name, b, err)
		}
	}
}

func TestNotesErrors(t *testing.T) {
	m := make([]float32, 16)
	for name, tc := range map[string]struct {
		cam  []float32
		w, h int
		o    *Options
	}{
		"short":         {m[:15], 4, 4, nil},
		"zero width":    {nil, 0, 4, nil},
		"too large":     {nil, 1 << 15, 1 << 14, nil},
		"band too wide": {m, 4, 4, &Options{BorderBand: 0.5}},
		"negative band": {m, 4, 4, &Options{BorderBand: -0.1}},
		"threshold":     {m, 4, 4, &Options{BorderThreshold: 1.2}},
		"nan threshold": {m, 4, 4, &Options{BorderThreshold: math.NaN()}},
	} {
		if _, err := Compute(tc.cam, tc.w, tc.h, tc.o); err == nil || !strings.HasPrefix(err.Error(), "gradcam: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}
