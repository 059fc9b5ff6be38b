package prompt

import (
	"math"
	"strings"
	"testing"

	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/internal/fixtures"
)

// containsAll fails for each of want that got, described by what, lacks.
func containsAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q: %s", what, w, got)
		}
	}
}

// mustCompute computes the notes of a w×h map.
func mustCompute(t *testing.T, cam []float32, w, h int) *notes.Notes {
	t.Helper()
	n, err := notes.Compute(cam, w, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestNotesTextCornerSpike(t *testing.T) {
	// A faint background and a spike at the top-left corner: an 'R' marker.
	n := mustCompute(t, fixtures.CornerSpike(224, 224), 224, 224)
	containsAll(t, "en text", NotesText(n, English),
		"WARNING - border attention", "side marker such as 'R'", "and the peak lies inside it", "peak): right upper zone")
	containsAll(t, "ko text", NotesText(n, Korean),
		"경고 - 가장자리 주의", "'R' 같은 좌우 표식", "가장 강한 활성도 이 띠 안에 있음", "(peak): 우측 상부 영역")
	containsAll(t, "en explanation", BorderExplanation(*n, English), "side marker", "("+formatShare(n.BorderShare)+")")
	containsAll(t, "ko explanation", BorderExplanation(*n, Korean), "좌우 표지", "("+formatShare(n.BorderShare)+")")
}

func TestNotesTextEmpty(t *testing.T) {
	for name, m := range map[string][]float32{
		"zeros":    make([]float32, 12),
		"negative": {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
		"nan":      {float32(math.NaN()), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		n := mustCompute(t, m, 4, 3)
		en, ko := DescribeNotes(n, English), DescribeNotes(n, Korean)
		if len(en) != 1 || !strings.Contains(en[0], "map is empty") || len(ko) != 1 || !strings.Contains(ko[0], "지도가 비어 있음") {
			t.Errorf("%s: lines %q / %q", name, en, ko)
		}
		if txt := NotesText(n, English); !strings.Contains(txt, "map is empty") || strings.Contains(txt, "peak") {
			t.Errorf("%s: en text %q", name, txt)
		}
		if txt := NotesText(n, Korean); !strings.Contains(txt, "지도가 비어 있음") || strings.Contains(txt, "peak") {
			t.Errorf("%s: ko text %q", name, txt)
		}
		n.BorderAttention = true
		if s := BorderExplanation(*n, English); s != "" {
			t.Errorf("%s: border explanation of an empty map: %q", name, s)
		}
	}
}

func TestNotesText(t *testing.T) {
	n := mustCompute(t, fixtures.Gaussian(224, 224, 60, 180, 12), 224, 224)
	en, ko := NotesText(n, English), NotesText(n, Korean)
	containsAll(t, "en text", en, "not a finding", "the image's left is the patient's right",
		"(peak): right lower zone (x=60, y=180 on a 224x224 map)", "(centroid): right lower zone",
		"right lower zone 99.5%", "right upper zone 0.0%", "no border-attention signal")
	containsAll(t, "ko text", ko, "소견이 아님", "영상의 왼쪽이 환자의 오른쪽",
		"(peak): 우측 하부 영역 (x=60, y=180, 지도 크기 224×224)", "(centroid): 우측 하부 영역",
		"우측 하부 영역 99.5%", "우측 상부 영역 0.0%", "가장자리 주의 신호 없음")
	if strings.Contains(en, "WARNING") || strings.Contains(ko, "경고") {
		t.Error("warning without border attention")
	}
	if s := BorderExplanation(*n, English); s != "" {
		t.Errorf("border explanation without border attention: %q", s)
	}
	// One paragraph: the lines joined, no line breaks.
	if strings.Contains(en, "\n") || !strings.Contains(en, strings.Join(DescribeNotes(n, English), "; ")) || !strings.HasSuffix(en, ".") {
		t.Errorf("en text is not the joined lines: %s", en)
	}
	// An empty or unknown language is the default language, Korean.
	for _, lang := range []Lang{"", "fr", "EN"} {
		if got := NotesText(n, lang); got != ko {
			t.Errorf("NotesText(%q) is not Korean: %s", lang, got)
		}
	}
	for name, want := range map[string]string{"EN": en, "english": en, "ko-KR": ko, "KO": ko, " korean ": ko} {
		lang, err := ParseLang(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := NotesText(n, lang); got != want {
			t.Errorf("NotesText(ParseLang(%q)) = %s, want %s", name, got, want)
		}
	}
	t.Log(en)
	t.Log(ko)
}

func TestDescribeNotesLines(t *testing.T) {
	n := &notes.Notes{
		Peak: notes.Point{X: 60, Y: 170}, PeakZone: notes.RightLower, CentroidZone: notes.RightMiddle,
		ZoneShare:  map[notes.Zone]float64{notes.RightLower: 0.4, notes.LeftUpper: 0.35, "zone b": 0.05, "zone a": 0.2},
		Spread:     0.123,
		BorderBand: 0.1, BorderShare: 0.3141, BorderAttention: true,
		Width: 224, Height: 224,
	}
	en := DescribeNotes(n, English)
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
	ko := DescribeNotes(n, Korean)
	if len(ko) != len(want) || !strings.Contains(ko[3], "우측 하부 영역 40.0%, 좌측 상부 영역 35.0%, zone a 20.0%") ||
		!strings.Contains(ko[5], "활성의 31.4%가 영상 가장자리 띠(폭 10.0%)에 있음. ") || strings.Contains(ko[5], "이 띠 안에") {
		t.Errorf("ko lines: %q", ko)
	}
	// The plain-words explanation shows the border share as the lines do.
	if got := BorderExplanation(*n, English); !strings.HasPrefix(got, "Much of the map (31.4%) sits at the edge") {
		t.Errorf("en border explanation %q", got)
	}
	// Unset zones are named unknown, no shares give no share line, and
	// fractions that are not finite are "n/a".
	bare := &notes.Notes{Spread: math.NaN(), ZoneShare: map[notes.Zone]float64{}}
	en, ko = DescribeNotes(bare, English), DescribeNotes(bare, Korean)
	if len(en) != 5 || !strings.HasSuffix(en[1], "peak): unknown zone (x=0, y=0 on a 0x0 map)") ||
		en[3] != "Spread: n/a of pixels are above 0.5" || strings.Contains(strings.Join(en, "|"), "by zone") {
		t.Errorf("bare en lines: %q", en)
	}
	if len(ko) != 5 || !strings.Contains(ko[2], "알 수 없는 영역") {
		t.Errorf("bare ko lines: %q", ko)
	}
}

func TestDescribeNotesRoundsPeakLikeGo(t *testing.T) {
	// Pixel centres sit at .5: the lines round half to even, the one
	// rounding every reader sees (the page shows these lines verbatim).
	n := &notes.Notes{Peak: notes.Point{X: 48.5, Y: 80.5}, PeakZone: notes.RightMiddle, Width: 224, Height: 224}
	if got := DescribeNotes(n, English)[1]; !strings.Contains(got, "(x=48, y=80 on a 224x224 map)") {
		t.Errorf("peak line %q", got)
	}
}

func TestClassName(t *testing.T) {
	for _, tc := range []struct {
		label string
		lang  Lang
		want  string
	}{
		{"PNEUMONIA", Korean, "폐렴(PNEUMONIA)"}, {"normal", Korean, "정상(normal)"}, {"COVID", Korean, "COVID"},
		{"PNEUMONIA", English, "PNEUMONIA"}, {"NORMAL", English, "NORMAL"},
	} {
		if got := ClassName(tc.label, tc.lang); got != tc.want {
			t.Errorf("ClassName(%q, %s) = %q, want %q", tc.label, tc.lang, got, tc.want)
		}
	}
}
