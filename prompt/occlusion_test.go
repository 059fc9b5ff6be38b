package prompt

import (
	"strings"
	"testing"

	"github.com/xrayllm/xray/gradcam/occlusion"
)

func sampleOcclusion() *occlusion.Result {
	return &occlusion.Result{
		Target: "PNEUMONIA", Predicted: "PNEUMONIA", Before: 0.926, BorderPixels: 22,
		Checks: []occlusion.Check{
			{Region: occlusion.Border, After: 0.918, PredictedAfter: "PNEUMONIA"},
			{Region: occlusion.CAMTop, After: 0.40, PredictedAfter: "NORMAL"},
			{Region: occlusion.OutsideLungs, After: 0.95, PredictedAfter: "PNEUMONIA"},
		},
	}
}

func TestDescribeOcclusion(t *testing.T) {
	o := sampleOcclusion()
	en := DescribeOcclusion(o, English)
	want := []string{
		"Occlusion check, hiding the border (the outer 22 px, where markers, labels and collimation edges sit): PNEUMONIA 92.60% → 91.80% — the decision does not rest on the marker or labels",
		"Occlusion check, hiding the map's top 20%: PNEUMONIA 92.60% → 40.00% (the answer becomes NORMAL) — the region the map highlights carries the decision",
		"Occlusion check, hiding everything outside the central lung region: PNEUMONIA 92.60% → 95.00% — the central lung region alone carries the decision",
	}
	if strings.Join(en, "\n") != strings.Join(want, "\n") {
		t.Errorf("English lines:\n%s\nwant:\n%s", strings.Join(en, "\n"), strings.Join(want, "\n"))
	}
	// A drop of the threshold or more says the decision rests on the border.
	o.Checks[0].After = o.Before - OcclusionDropThreshold
	if l := DescribeOcclusion(o, English)[0]; !strings.HasSuffix(l, "the decision rests on the image border (markers, labels or edges), not only on the lungs") {
		t.Errorf("border drop of %.2f: %q", OcclusionDropThreshold, l)
	}
	ko := DescribeOcclusion(o, Korean)
	if len(ko) != 3 || !strings.Contains(ko[0], "폐렴(PNEUMONIA) 92.60% → 82.60%") || !strings.Contains(ko[0], "22 화소") ||
		!strings.Contains(ko[1], "정상(NORMAL)") || !strings.Contains(ko[1], "상위 20%") || strings.Contains(strings.Join(ko, ""), "%!") {
		t.Errorf("Korean lines: %q", ko)
	}
	if DescribeOcclusion(nil, English) != nil {
		t.Error("nil occlusion gives lines")
	}
}

func TestDescribeFusedLayers(t *testing.T) {
	if got := DescribeFusedLayers([]string{"layer4"}, English); got != "" {
		t.Errorf("one layer: %q", got)
	}
	got := DescribeFusedLayers([]string{"layer2", "layer3", "layer4"}, Korean)
	if !strings.Contains(got, "3개 층(layer2, layer3, layer4)") {
		t.Errorf("Korean fused layers: %q", got)
	}
}

// TestBuildCarriesExplainFacts: the fused layers and the occlusion lines
// reach the user prompt with the request to explain them, in both
// languages; invalid occlusion probabilities are refused.
func TestBuildCarriesExplainFacts(t *testing.T) {
	for _, lang := range Languages() {
		in := sampleInputs(lang)
		in.CAMLayers = []string{"layer2", "layer3", "layer4"}
		in.CAMLayer = "layer2+layer3+layer4"
		in.Occlusion = sampleOcclusion()
		p, err := Build(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range append(DescribeOcclusion(in.Occlusion, lang), DescribeFusedLayers(in.CAMLayers, lang)) {
			if !strings.Contains(p.User, "- "+line+"\n") {
				t.Errorf("%s: user prompt lacks %q", lang, line)
			}
		}
		if !strings.Contains(p.User, "occlusion") {
			t.Errorf("%s: user prompt does not ask to explain the occlusion check", lang)
		}
		in.Occlusion.Checks[0].PredictedAfter = "CHANGED"
		if got, _ := p.Inputs(); got.Occlusion.Checks[0].PredictedAfter != "PNEUMONIA" {
			t.Errorf("%s: Inputs share the occlusion checks with the caller", lang)
		}
		in.Occlusion.Checks[1].After = 1.5
		if _, err := Build(in); err == nil {
			t.Errorf("%s: occlusion probability 1.5 accepted", lang)
		}
	}
}
