package prompt

import (
	"strings"
	"testing"

	"github.com/xrayllm/xray/preprocess/tta"
)

// sampleTTA is a TTA result of three variants; agree chooses whether the
// third answers like the others.
func sampleTTA(agree bool) *tta.Result {
	third := tta.Outcome{Variant: tta.Variant{Name: "gain_1.1", Gain: 1.1}, Label: "NORMAL", Index: 0, Probs: []float64{0.55, 0.45}}
	if agree {
		third = tta.Outcome{Variant: third.Variant, Label: "PNEUMONIA", Index: 1, Probs: []float64{0.3, 0.7}}
	}
	r, _ := tta.Summarise([]string{"NORMAL", "PNEUMONIA"}, []tta.Outcome{
		{Variant: tta.Variant{Name: "identity"}, Label: "PNEUMONIA", Index: 1, Probs: []float64{0.1, 0.9}},
		{Variant: tta.Variant{Name: "scale_0.95", Scale: 0.95}, Label: "PNEUMONIA", Index: 1, Probs: []float64{0.2, 0.8}},
		third,
	})
	return r
}

func TestDescribeTTA(t *testing.T) {
	en := DescribeTTA(sampleTTA(true), English)
	want := []string{
		"Test-time augmentation over 3 small changes of the image (zoom, shift, brightness): PNEUMONIA 80.00% on average, from 70.00% to 90.00% across the changes",
		"all 3 changes give the same answer, PNEUMONIA",
	}
	if strings.Join(en, "\n") != strings.Join(want, "\n") {
		t.Errorf("English lines:\n%s\nwant:\n%s", strings.Join(en, "\n"), strings.Join(want, "\n"))
	}
	if c := TTACaution(sampleTTA(true), English); c != "" {
		t.Errorf("agreeing variants give the caution %q", c)
	}
	d := DescribeTTA(sampleTTA(false), English)
	if len(d) != 2 || d[1] != "1 of 3 changes give another answer than PNEUMONIA: the answer changes under small changes of the image: treat it with caution" {
		t.Errorf("disagreeing variants: %q", d)
	}
	ko := DescribeTTA(sampleTTA(false), Korean)
	if len(ko) != 2 || !strings.Contains(ko[0], "폐렴(PNEUMONIA) 71.67%") || !strings.Contains(ko[1], "변형 1가지(전체 3가지 중)") ||
		!strings.HasSuffix(ko[1], TTACaution(sampleTTA(false), Korean)) || strings.Contains(strings.Join(ko, ""), "%!") {
		t.Errorf("Korean lines: %q", ko)
	}
	if DescribeTTA(nil, English) != nil || TTACaution(nil, Korean) != "" {
		t.Error("no TTA gives words")
	}
}

// TestTTAInPrompt: the TTA lines reach the prompt of both languages, and
// the caution asks the writer to explain it only when the variants
// disagree; a broken TTA result is refused.
func TestTTAInPrompt(t *testing.T) {
	for _, lang := range Languages() {
		for _, agree := range []bool{true, false} {
			r := sampleTTA(agree)
			in := ReportInputs{Classes: []string{"NORMAL", "PNEUMONIA"}, Probs: r.Mean, Pred: r.Index, TTA: r, Lang: lang}
			p, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range DescribeTTA(r, lang) {
				if !strings.Contains(p.User, "- "+l+"\n") {
					t.Errorf("%s: the prompt lacks %q", lang, l)
				}
			}
			asks := strings.Contains(p.User, map[Lang]string{English: "be sure to say that the answer changes", Korean: "답이 달라진다는 점"}[lang])
			if asks == agree {
				t.Errorf("%s, variants agree %v: the prompt asks to explain the caution: %v", lang, agree, asks)
			}
			r.Mean = r.Mean[:1]
			if _, err := Build(in); err == nil {
				t.Errorf("%s: a TTA result with one mean for two classes: no error", lang)
			}
		}
	}
}
