package prompt

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xrayllm/xray/gradcam/notes"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func sampleNotes() *notes.Notes {
	return &notes.Notes{
		Peak:         notes.Point{X: 60, Y: 170},
		PeakZone:     notes.RightLower,
		Centroid:     notes.Point{X: 80, Y: 140},
		CentroidZone: notes.RightMiddle,
		ZoneShare: map[notes.Zone]float64{
			notes.RightUpper: 0.05, notes.RightMiddle: 0.30, notes.RightLower: 0.40,
			notes.LeftUpper: 0.05, notes.LeftMiddle: 0.10, notes.LeftLower: 0.10,
		},
		Spread:      0.123,
		BorderBand:  0.1,
		BorderShare: 0.04,
		Width:       224,
		Height:      224,
	}
}

func sampleInputs(lang Lang) ReportInputs {
	f := 0.1234
	return ReportInputs{
		Classes:      []string{"NORMAL", "PNEUMONIA"},
		Probs:        []float64{0.028765, 0.971235},
		Pred:         1,
		Notes:        sampleNotes(),
		CAMMethod:    "Grad-CAM",
		CAMLayer:     "layer4",
		Faithfulness: &f,
		Lang:         lang,
		Extras:       map[string]string{"view": "PA", "age group": "pediatric"},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./prompt -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden file:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestBuildGolden(t *testing.T) {
	border := sampleInputs(English)
	border.Notes.BorderAttention = true
	border.Notes.PeakInBorder = true
	border.Notes.BorderShare = 0.31
	borderKo := border
	borderKo.Lang = Korean
	cases := []struct {
		name string
		in   ReportInputs
	}{
		{"ko", sampleInputs(Korean)},
		{"en", sampleInputs(English)},
		{"ko_border", borderKo},
		{"en_border", border},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Build(c.in)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".golden", "=== system ===\n"+p.System+"=== user ===\n"+p.User)
		})
	}
}

func TestBuildKoreanFollowsOriginal(t *testing.T) {
	p, err := Build(sampleInputs(Korean))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.System, "당신은 영상의학과 임상보조 설명가입니다.\n") {
		t.Errorf("system does not start with the original role:\n%s", p.System)
	}
	if strings.Contains(p.User, "당신은") {
		t.Error("role leaked into user content")
	}
	order := []string{
		"아래 모델 결과를 토대로 '교육용' 안내문을 작성하세요.",
		"[모델 결과]",
		"- 예측: PNEUMONIA (신뢰도 97.12%)",
		"- 대안 클래스: NORMAL (신뢰도 2.88%)",
		"- Grad-CAM 메모 (Grad-CAM, layer4):",
		"가장 강한 활성 위치(peak): 우측 하부 영역",
		"활성의 무게중심(centroid): 우측 중부 영역",
		"우측 하부 영역 40.0%",
		"활성 범위(spread): 값이 0.5를 넘는 화소가 전체의 12.3%",
		"가장자리 주의 신호 없음",
		"예측 신뢰도 하락 12.34%p",
		"- age group: pediatric",
		"- view: PA",
		"[요청 출력 섹션]",
		"1) 요약 판단(교육용, 비진단 고지 포함)",
		"2) 모델이 주목한 영상 특징(Grad-CAM 기반 해석 주의)",
		"3) 추가 확인/추가 촬영 또는 임상증상 확인 권고",
		"4) 촬영 품질/라벨링 등 주의(필요 시)",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(p.User[at:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order in:\n%s", s, p.User)
		}
		at += i + len(s)
	}
}

func TestBuildNotesVariants(t *testing.T) {
	cases := []struct {
		name    string
		lang    Lang
		notes   *notes.Notes
		want    []string
		notWant []string
	}{
		{"nil ko", Korean, nil, []string{"Grad-CAM 메모 없음"}, []string{"peak", "경고"}},
		{"nil en", English, nil, []string{"No Grad-CAM notes"}, []string{"peak", "WARNING"}},
		{"empty map ko", Korean, &notes.Notes{Empty: true}, []string{"Grad-CAM 지도가 비어 있음"}, []string{"peak"}},
		{"empty map en", English, &notes.Notes{Empty: true, BorderAttention: true}, []string{"map is empty"}, []string{"WARNING", "border-attention warning"}},
		{"no zone shares", English, &notes.Notes{PeakZone: notes.LeftUpper, ZoneShare: map[notes.Zone]float64{}},
			[]string{"peak): left upper zone"}, []string{"Share of the map's mass by zone"}},
		{"border ko", Korean, &notes.Notes{PeakZone: notes.LeftUpper, BorderAttention: true, PeakInBorder: true, BorderShare: 0.5, BorderBand: 0.1},
			[]string{"경고 - 가장자리 주의", "'R'", "늑골 경계", "가장 강한 활성도 이 띠 안에 있음", "가장자리 주의 경고를 반드시 설명", "좌측 상부 영역"}, nil},
		{"border en", English, &notes.Notes{BorderAttention: true, BorderShare: 0.5, BorderBand: 0.1},
			[]string{"WARNING - border attention: 50.0%", "'R'", "rib edges", "explain the border-attention warning"}, []string{"peak lies inside"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := sampleInputs(c.lang)
			in.Notes = c.notes
			p, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(p.User, w) {
					t.Errorf("missing %q in:\n%s", w, p.User)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(p.User, w) {
					t.Errorf("unexpected %q in:\n%s", w, p.User)
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	bad := func(f func(*ReportInputs)) ReportInputs {
		in := sampleInputs(Korean)
		f(&in)
		return in
	}
	cases := []struct {
		name string
		in   ReportInputs
		opts []Option
		want string
	}{
		{"bad lang", bad(func(in *ReportInputs) { in.Lang = "fr" }), nil, "unknown language"},
		{"no classes", bad(func(in *ReportInputs) { in.Classes, in.Probs = nil, nil }), nil, "no classes"},
		{"prob count", bad(func(in *ReportInputs) { in.Probs = in.Probs[:1] }), nil, "1 probabilities for 2 classes"},
		{"pred range", bad(func(in *ReportInputs) { in.Pred = 2 }), nil, "out of range"},
		{"negative pred", bad(func(in *ReportInputs) { in.Pred = -1 }), nil, "out of range"},
		{"nan prob", bad(func(in *ReportInputs) { in.Probs[0] = nan() }), nil, "not in [0, 1]"},
		{"parse", sampleInputs(Korean), []Option{WithTemplate("{{.Label", "")}, "parse system template"},
		{"missing field", sampleInputs(Korean), []Option{WithTemplate("", "{{.NoSuchField}}")}, "execute user template"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Build(c.in, c.opts...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if p.System != "" || p.User != "" {
				t.Error("partial prompt returned with an error")
			}
		})
	}
}

func nan() float64 { var z float64; return z / z }

func TestWithTemplate(t *testing.T) {
	p, err := Build(sampleInputs(English), WithTemplate("", "{{.Label}} {{.Confidence}}{{range .NoteLines}}|{{.}}{{end}}"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.User, "PNEUMONIA 97.12%|Orientation") {
		t.Errorf("user = %q", p.User)
	}
	if !strings.HasPrefix(p.System, "You are a clinical assistant") {
		t.Errorf("empty system source should keep the built-in: %q", p.System)
	}
}

func TestPromptInputs(t *testing.T) {
	in := sampleInputs(English)
	p, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Classes[1] = "CHANGED"
	in.Notes.ZoneShare[notes.RightLower] = 0
	got, ok := p.Inputs()
	if !ok || got.Classes[1] != "PNEUMONIA" || got.Notes.ZoneShare[notes.RightLower] != 0.40 {
		t.Errorf("Inputs not an independent copy: %+v", got)
	}
	if _, ok := (Prompt{System: "s", User: "u"}).Inputs(); ok {
		t.Error("hand-made prompt claims inputs")
	}
}

func TestParseLang(t *testing.T) {
	cases := []struct {
		in      string
		want    Lang
		wantErr bool
	}{
		{"ko", Korean, false}, {"KO", Korean, false}, {" korean ", Korean, false}, {"", Korean, false},
		{"en", English, false}, {"English", English, false}, {"fr", "", true}, {"k", "", true},
	}
	for _, c := range cases {
		got, err := ParseLang(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseLang(%q) = %q, %v", c.in, got, err)
		}
	}
}

func TestEnsureDisclaimer(t *testing.T) {
	for _, lang := range []Lang{Korean, English} {
		d := Disclaimer(lang)
		got := EnsureDisclaimer("## 1) Summary\ntext\n", lang)
		if !strings.HasSuffix(got, d+"\n") || !strings.HasPrefix(got, "## 1) Summary\ntext") {
			t.Errorf("%s: %q", lang, got)
		}
		if again := EnsureDisclaimer(got, lang); again != got {
			t.Errorf("%s: not idempotent:\n%q\n%q", lang, got, again)
		}
		if got := EnsureDisclaimer("", lang); got != d+"\n" {
			t.Errorf("%s: empty report gives %q", lang, got)
		}
	}
	if Disclaimer(Korean) == Disclaimer(English) {
		t.Error("same disclaimer in both languages")
	}
}

func TestZoneNameKorean(t *testing.T) {
	if got := ZoneName(notes.RightLower, Korean); got != "우측 하부 영역" {
		t.Errorf("got %q", got)
	}
	if got := ZoneName(notes.LeftUpper, English); got != "left upper zone" {
		t.Errorf("got %q", got)
	}
}

func FuzzParseLang(f *testing.F) {
	for _, s := range []string{"ko", "en", "", "fr", "한국어"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLang(s)
		if err == nil && !l.Valid() {
			t.Errorf("ParseLang(%q) = invalid %q without error", s, l)
		}
	})
}
