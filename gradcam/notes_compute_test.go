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
	containsAll(t, "en text", n.Text("en"),
		"WARNING - border attention", "side marker such as 'R'", "and the peak lies inside it", "peak): right upper zone")
	containsAll(t, "ko text", n.Text("ko"),
		"경고 - 가장자리 주의", "'R' 같은 좌우 표식", "가장 강한 활성도 이 띠 안에 있음", "(peak): 우측 상부 영역")
}

// containsAll fails for each of want that got, described by what, lacks.
func containsAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q: %s", what, w, got)
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
		en, ko := n.Lines("en"), n.Lines("ko")
		if len(en) != 1 || !strings.Contains(en[0], "map is empty") || len(ko) != 1 || !strings.Contains(ko[0], "지도가 비어 있음") {
			t.Errorf("%s: lines %q / %q", name, en, ko)
		}
		if txt := n.Text("en"); !strings.Contains(txt, "map is empty") || strings.Contains(txt, "peak") {
			t.Errorf("%s: en text %q", name, txt)
		}
		if txt := n.Text("ko"); !strings.Contains(txt, "지도가 비어 있음") || strings.Contains(txt, "peak") {
			t.Errorf("%s: ko text %q", name, txt)
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
	containsAll(t, "en text", en, "not a finding", "the image's left is the patient's right",
		"(peak): right lower zone (x=60, y=180 on a 224x224 map)", "(centroid): right lower zone",
		"right lower zone 99.5%", "right upper zone 0.0%", "no border-attention signal")
	containsAll(t, "ko text", ko, "소견이 아님", "영상의 왼쪽이 환자의 오른쪽",
		"(peak): 우측 하부 영역 (x=60, y=180, 지도 크기 224×224)", "(centroid): 우측 하부 영역",
		"우측 하부 영역 99.5%", "우측 상부 영역 0.0%", "가장자리 주의 신호 없음")
	if strings.Contains(en, "WARNING") || strings.Contains(ko, "경고") {
		t.Error("warning without border attention")
	}
	// One paragraph: the lines joined, no line breaks.
	if strings.Contains(en, "\n") || !strings.Contains(en, strings.Join(n.Lines("en"), "; ")) || !strings.HasSuffix(en, ".") {
		t.Errorf("en text is not the joined lines: %s", en)
	}
	for _, lang := range []string{"fr", "", "EN", "kor"} {
		if got := n.Text(lang); got != en {
			t.Errorf("Text(%q) is not English: %s", lang, got)
		}
	}
	for _, lang := range []string{"ko-KR", "KO", " ko_kr "} {
		if got := n.Text(lang); got != ko {
			t.Errorf("Text(%q) is not Korean: %s", lang, got)
		}
	}
	t.Log(en)
	t.Log(ko)
}

func TestNotesLines(t *testing.T) {
	n := Notes{
		Peak: Point{X: 60, Y: 170}, PeakZone: RightLower, CentroidZone: RightMiddle,
		ZoneShare:  map[Zone]float64{RightLower: 0.4, LeftUpper: 0.35, "zone b": 0.05, "zone a": 0.2},
		Spread:     0.123,
		BorderBand: 0.1, BorderShare: 0.3141, BorderAttention: true,
		Width: 224, Height: 224,
	}
	en := n.Lines("en")
	want := []string{
		"Orientation: the image's left is the patient's right; zones split the image into 2 columns x 3 rows",
		"Strongest activation (peak): right lower zone (x=60, y=170 on a 224x224 map)",
		"Centre of mass (centroid): right middle zone",
		"Share of the map's mass by zone: right lower zone 40.0%, left upper zone 35.0%, zone a 20.0%, zone b 5.0%",
		"Spread: 12.3% of pixels are above 0.5",
		"WARNING - border attention: 31.4% of the map's mass lies in the outer band (10.0% of width and height). " +
			"The network may be looking at a side marker such as 'R', a text label, the image edge or rib edges rather than the lungs (a known failure mode)",
	}
	if strings.Join(en, "\n") != strings.Join(want, "\n") {
		t.Errorf("en lines:\n%s\nwant:\n%s", strings.Join(en, "\n"), strings.Join(want, "\n"))
	}
	ko := n.Lines("ko")
	if len(ko) != len(want) || !strings.Contains(ko[3], "우측 하부 영역 40.0%, 좌측 상부 영역 35.0%, zone a 20.0%") ||
		!strings.Contains(ko[5], "활성의 31.4%가 영상 가장자리 띠(폭 10.0%)에 있음. ") || strings.Contains(ko[5], "이 띠 안에") {
		t.Errorf("ko lines: %q", ko)
	}
	// Unset zones are named unknown, no shares give no share line, and
	// fractions that are not finite are "n/a".
	bare := Notes{Spread: math.NaN(), ZoneShare: map[Zone]float64{}}
	en, ko = bare.Lines("en"), bare.Lines("ko")
	if len(en) != 5 || !strings.HasSuffix(en[1], "peak): unknown zone (x=0, y=0 on a 0x0 map)") ||
		en[3] != "Spread: n/a of pixels are above 0.5" || strings.Contains(strings.Join(en, "|"), "by zone") {
		t.Errorf("bare en lines: %q", en)
	}
	if len(ko) != 5 || !strings.Contains(ko[2], "알 수 없는 영역") {
		t.Errorf("bare ko lines: %q", ko)
	}
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
