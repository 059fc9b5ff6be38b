package prompt

import (
	"math"
	"strings"
	"testing"
)

func TestDescribeThreshold(t *testing.T) {
	if DescribeThreshold(nil, English) != nil {
		t.Error("nil decision gave lines")
	}
	// p(PNEUMONIA) 0.80 is below the threshold 0.92: the highest
	// probability says PNEUMONIA, the threshold decides NORMAL.
	d := &Decision{Threshold: 0.9162, Positive: "PNEUMONIA", Probability: 0.80, Argmax: "PNEUMONIA", Decided: "NORMAL", Temperature: 1.29}
	en := DescribeThreshold(d, English)
	if len(en) != 4 || en[0] != "Decision threshold: PNEUMONIA is called when its probability is at least 91.62% (here 80.00%), so the answer is NORMAL" ||
		!strings.Contains(en[1], "highest probability is PNEUMONIA, the threshold decided NORMAL") ||
		!strings.Contains(en[2], "sensitivity") || !strings.Contains(en[2], "specificity") || !strings.Contains(en[3], "T = 1.29") {
		t.Errorf("English lines:\n%s", strings.Join(en, "\n"))
	}
	ko := DescribeThreshold(d, Korean)
	if len(ko) != 4 || !strings.Contains(ko[0], "폐렴(PNEUMONIA)의 확률이 91.62% 이상") || !strings.Contains(ko[0], "판정은 정상(NORMAL)") ||
		!strings.Contains(ko[2], "민감도") || !strings.Contains(ko[2], "특이도") || strings.Contains(strings.Join(ko, ""), "%!") {
		t.Errorf("Korean lines:\n%s", strings.Join(ko, "\n"))
	}
	// Same answer: no "changed" line; temperature 1: no temperature line.
	d.Decided, d.Temperature = "PNEUMONIA", 1
	d.Probability = 0.95
	if en := DescribeThreshold(d, English); len(en) != 2 || strings.Contains(strings.Join(en, ""), "changed") {
		t.Errorf("unchanged decision:\n%s", strings.Join(en, "\n"))
	}
	// A temperature alone: one line.
	if en := DescribeThreshold(&Decision{Positive: "PNEUMONIA", Argmax: "NORMAL", Decided: "NORMAL", Temperature: 0.5}, English); len(en) != 1 || !strings.Contains(en[0], "T = 0.50") {
		t.Errorf("temperature only: %q", en)
	}
}

func TestBuildSaysWhichThresholdDecided(t *testing.T) {
	in := ReportInputs{Classes: []string{"NORMAL", "PNEUMONIA"}, Probs: []float64{0.2, 0.8}, Pred: 0, Lang: English,
		Decision: &Decision{Threshold: 0.9, Positive: "PNEUMONIA", Probability: 0.8, Argmax: "PNEUMONIA", Decided: "NORMAL"}}
	p, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.User, "- Prediction: NORMAL") || !strings.Contains(p.User, "- Decision threshold: PNEUMONIA is called when its probability is at least 90.00%") ||
		!strings.Contains(p.User, "say which decision threshold decided") {
		t.Errorf("user prompt:\n%s", p.User)
	}
	ko := in
	ko.Lang = Korean
	if p, err := Build(ko); err != nil || !strings.Contains(p.User, "결정 임계값(threshold)") || !strings.Contains(p.User, "어떤 결정 임계값으로 판정했는지") {
		t.Errorf("Korean user prompt (%v):\n%s", err, p.User)
	}
	in.Decision = nil
	if p, _ := Build(in); strings.Contains(p.User, "threshold") {
		t.Errorf("no decision, but the prompt speaks of a threshold:\n%s", p.User)
	}
	for _, bad := range []Decision{{Threshold: math.NaN()}, {Threshold: 1.5}, {Temperature: -1}, {Temperature: math.Inf(1)}} {
		in.Decision = &bad
		if _, err := Build(in); err == nil {
			t.Errorf("decision %+v: no error", bad)
		}
	}
}
