package gradcam

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// gaussian returns a w×h map with a Gaussian blob of width s at (cx, cy).
func gaussian(w, h int, cx, cy, s float64) []float32 {
	m := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			m[y*w+x] = float32(math.Exp(-(dx*dx + dy*dy) / (2 * s * s)))
		}
	}
	return m
}

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
	n, err := ComputeNotes(gaussian(w, h, 60, 180, 12), w, h, nil)
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
		n, err := ComputeNotes(m, 60, 60, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n.PeakZone != tc.want || n.CentroidZone != tc.want || n.ZoneShare[tc.want] != 1 {
			t.Errorf("pixel (%d,%d): %s / %s / share %g, want %s", tc.x, tc.y, n.PeakZone, n.CentroidZone, n.ZoneShare[tc.want], tc.want)
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
	n, err := ComputeNotes(m, w, h, nil)
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
	n, err = ComputeNotes(m, w, h, &NotesOptions{BorderThreshold: 0.5})
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
	n, _ = ComputeNotes(m, 224, 224, nil)
	if want := 1 - (180.0*180)/(224*224); math.Abs(n.BorderShare-want) > 1e-9 {
		t.Errorf("224x224 border share %g, want %g", n.BorderShare, want)
	}
}

func TestNotesCornerSpike(t *testing.T) {
	// A faint background and a spike at the top-left corner: an 'R' marker.
	const w, h = 224, 224
	m := make([]float32, w*h)
	for i := range m {
		m[i] = 0.01
	}
	m[5*w+5] = 1
	n, err := ComputeNotes(m, w, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !n.PeakInBorder || !n.BorderAttention || n.PeakZone != RightUpper {
		t.Errorf("corner spike: %+v", n)
	}
	if n.Peak != (Point{5.5, 5.5}) {
		t.Errorf("peak %+v", n.Peak)
	}
	for _, lang := range []string{"en", "ko"} {
		txt := n.Text(lang)
		if lang == "en" && (!strings.Contains(txt, "Caution") || !strings.Contains(txt, "right upper zone")) {
			t.Errorf("en text lacks the warning or zone: %s", txt)
		}
		if lang == "ko" && (!strings.Contains(txt, "주의") || !strings.Contains(txt, "우측 상부 영역")) {
			t.Errorf("ko text lacks the warning or zone: %s", txt)
		}
	}
}

func TestNotesEmpty(t *testing.T) {
	for name, m := range map[string][]float32{
		"zeros":    make([]float32, 12),
		"negative": {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
		"nan":      {float32(math.NaN()), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		n, err := ComputeNotes(m, 4, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !n.Empty || n.BorderAttention || n.ZoneShare != nil || n.Spread != 0 || n.Width != 4 || n.Height != 3 {
			t.Errorf("%s: %+v", name, n)
		}
		if b, err := json.Marshal(n); err != nil || strings.Contains(string(b), "NaN") {
			t.Errorf("%s: json %s, %v", name, b, err)
		}
		if !strings.Contains(n.Text("en"), "empty") || !strings.Contains(n.Text("ko"), "비어") {
			t.Errorf("%s: texts %q / %q", name, n.Text("en"), n.Text("ko"))
		}
	}
}

func TestNotesErrors(t *testing.T) {
	m := make([]float32, 16)
	for name, tc := range map[string]struct {
		cam  []float32
		w, h int
		o    *NotesOptions
	}{
		"short":         {m[:15], 4, 4, nil},
		"zero width":    {nil, 0, 4, nil},
		"band too wide": {m, 4, 4, &NotesOptions{BorderBand: 0.5}},
		"negative band": {m, 4, 4, &NotesOptions{BorderBand: -0.1}},
		"threshold":     {m, 4, 4, &NotesOptions{BorderThreshold: 1.2}},
		"nan threshold": {m, 4, 4, &NotesOptions{BorderThreshold: math.NaN()}},
	} {
		if _, err := ComputeNotes(tc.cam, tc.w, tc.h, tc.o); err == nil || !strings.HasPrefix(err.Error(), "gradcam: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func TestNotesText(t *testing.T) {
	n, err := ComputeNotes(gaussian(224, 224, 60, 180, 12), 224, 224, nil)
	if err != nil {
		t.Fatal(err)
	}
	en, ko := n.Text("en"), n.Text("ko")
	for _, want := range []string{"not a finding", "peak in the right lower zone", "centre of mass in the right lower zone", "right lower 100%"} {
		if !strings.Contains(en, want) {
			t.Errorf("en text lacks %q: %s", want, en)
		}
	}
	for _, want := range []string{"소견이 아님", "최고점은 우측 하부 영역", "무게중심은 우측 하부 영역", "우측 하부 100%"} {
		if !strings.Contains(ko, want) {
			t.Errorf("ko text lacks %q: %s", want, ko)
		}
	}
	if strings.Contains(en, "Caution") || strings.Contains(ko, "주의") {
		t.Error("warning without border attention")
	}
	if n.Text("fr") != en || n.Text("ko-KR") != ko {
		t.Error("language fallback")
	}
	t.Log(en)
	t.Log(ko)
}

// TestNotesReference checks that the notes of every reference map are sane.
func TestNotesReference(t *testing.T) {
	dir := pureRefDir(t)
	exp := loadExpected(t, dir)
	flagged := 0
	for _, im := range exp.Images {
		for key, c := range im.Cams {
			cam := readF32(t, filepath.Join(dir, "cams", c.File), 224*224)
			n, err := ComputeNotes(cam, 224, 224, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n.Empty {
				t.Logf("%s %s: empty", im.File, key)
				continue
			}
			if s := sumShares(n); math.Abs(s-1) > 1e-6 {
				t.Errorf("%s %s: shares sum to %g", im.File, key, s)
			}
			in := func(p Point) bool { return p.X >= 0 && p.X <= 224 && p.Y >= 0 && p.Y <= 224 }
			if !in(n.Peak) || !in(n.Centroid) || n.Spread < 0 || n.Spread > 1 || n.BorderShare < 0 || n.BorderShare > 1 {
				t.Errorf("%s %s: out of range: %+v", im.File, key, n)
			}
			if zoneAt(n.Peak.X, n.Peak.Y, 224, 224) != n.PeakZone || n.ZoneShare[n.PeakZone] == 0 {
				t.Errorf("%s %s: peak zone %s inconsistent", im.File, key, n.PeakZone)
			}
			if n.BorderAttention {
				flagged++
			}
			if key == "gradcam@layer4" {
				t.Logf("%s: %s", im.File, n.Text("en"))
			}
		}
	}
	t.Logf("%d of %d maps flagged for border attention", flagged, 13*8)
}
