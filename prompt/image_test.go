package prompt

import (
	"strings"
	"testing"
)

// TestDescribeImage checks that the image facts are worded in both
// languages, warnings last, and that a lateral, non-chest image warns in
// the report prompt while no facts leave it as it was.
func TestDescribeImage(t *testing.T) {
	if DescribeImage(nil, English) != nil || ImageWarnings(&ImageFacts{ViewPosition: "PA"}, English) != nil {
		t.Fatal("lines without facts or warnings")
	}
	f := &ImageFacts{Modality: "DX", ViewPosition: "LATERAL", BodyPart: "ABDOMEN", Frames: 2, NotFrontal: true, NotChest: true}
	for _, lang := range Languages() {
		lines := DescribeImage(f, lang)
		warn := ImageWarnings(f, lang)
		if len(lines) != 6 || len(warn) != 2 || lines[4] != warn[0] || lines[5] != warn[1] {
			t.Fatalf("%s: lines %q, warnings %q", lang, lines, warn)
		}
		for _, s := range []string{"LATERAL", "ABDOMEN", "DX", "2"} {
			if !strings.Contains(strings.Join(lines, "\n"), s) {
				t.Errorf("%s: lines %q lack %q", lang, lines, s)
			}
		}
		in := ReportInputs{Classes: []string{"NORMAL", "PNEUMONIA"}, Probs: []float64{0.2, 0.8}, Pred: 1, Lang: lang}
		plain, err := Build(in)
		if err != nil {
			t.Fatal(err)
		}
		in.Image = f
		p, err := Build(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if !strings.Contains(p.User, "- "+l+"\n") || strings.Contains(plain.User, l) {
				t.Errorf("%s: prompt with facts lacks, or without has, %q", lang, l)
			}
		}
		if got, _ := p.Inputs(); got.Image == nil || got.Image == f || *got.Image != *f {
			t.Errorf("%s: inputs keep image %+v", lang, got.Image)
		}
	}
	en := strings.Join(ImageWarnings(f, English), "\n")
	if !strings.Contains(en, "the model was trained on frontal chest radiographs") {
		t.Errorf("English warning %q", en)
	}
}
