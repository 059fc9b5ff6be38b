package main

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xrayllm/xray/internal/reftest"
)

// ttaLine is the part of a "tta" JSON object the tests check.
type ttaLine struct {
	Mean     []float64 `json:"mean"`
	Min      []float64 `json:"min"`
	Max      []float64 `json:"max"`
	Label    string    `json:"label"`
	Agree    bool      `json:"agree"`
	Lines    []string  `json:"lines"`
	Variants []struct {
		Variant struct{ Name string } `json:"variant"`
		Probs   []float64             `json:"probs"`
	} `json:"variants"`
}

// checkTTALine checks a "tta" object against the prediction it came with.
func checkTTALine(t *testing.T, tt *ttaLine, label string, probs map[string]float64) {
	t.Helper()
	if tt == nil || len(tt.Variants) != 7 || tt.Variants[0].Variant.Name != "identity" || len(tt.Lines) != 2 {
		t.Fatalf("tta %+v", tt)
	}
	if tt.Label != label || math.Abs(tt.Mean[0]-probs["NORMAL"]) > 1e-12 || math.Abs(tt.Mean[0]+tt.Mean[1]-1) > 1e-9 {
		t.Errorf("tta mean %v label %s, prediction %v %s", tt.Mean, tt.Label, probs, label)
	}
	for c := range tt.Mean {
		if tt.Min[c] > tt.Mean[c] || tt.Mean[c] > tt.Max[c] {
			t.Errorf("class %d: min %v mean %v max %v", c, tt.Min[c], tt.Mean[c], tt.Max[c])
		}
	}
}

func TestClassifyTTA(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "a.png", 300, 240)
	for _, extra := range [][]string{nil, {"-cam", dir}} {
		e, out, errOut := testEnv(nil)
		args := append(append([]string{"classify", "-weights", fixtureWeights, "-json", "-tta"}, extra...), img)
		if code := run(context.Background(), args, e); code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, errOut)
		}
		var line struct {
			Label string             `json:"label"`
			Probs map[string]float64 `json:"probs"`
			TTA   *ttaLine           `json:"tta"`
		}
		if err := json.Unmarshal(out.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		checkTTALine(t, line.TTA, line.Label, line.Probs)
	}
	e, out, _ := testEnv(nil)
	if code := run(context.Background(), []string{"classify", "-weights", fixtureWeights, "-tta", img}, e); code != 0 || !strings.Contains(out.String(), "Test-time augmentation over 7 small changes") {
		t.Errorf("exit %d, readable line %q lacks the TTA", code, out)
	}
	e, out, _ = testEnv(nil)
	if run(context.Background(), []string{"classify", "-weights", fixtureWeights, "-json", img}, e); strings.Contains(out.String(), `"tta"`) {
		t.Errorf("classify without -tta printed a TTA: %s", out)
	}
}

func TestAnalyzeTTA(t *testing.T) {
	img := writeTestImage(t, t.TempDir(), "a.png", 300, 240)
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"analyze", "-weights", fixtureWeights, "-llm", "offline", "-lang", "en", "-json", "-tta", img}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var line struct {
		Label  string             `json:"label"`
		Probs  map[string]float64 `json:"probs"`
		TTA    *ttaLine           `json:"tta"`
		Report struct{ Markdown string }
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	checkTTALine(t, line.TTA, line.Label, line.Probs)
	for _, l := range line.TTA.Lines {
		if !strings.Contains(line.Report.Markdown, l) {
			t.Errorf("the report lacks %q", l)
		}
	}
	e, out, _ = testEnv(nil)
	if run(context.Background(), []string{"analyze", "-weights", fixtureWeights, "-llm", "offline", "-lang", "en", "-tta", img}, e); !strings.Contains(out.String(), "- "+line.TTA.Lines[0]+"\n") {
		t.Errorf("the text output lacks the TTA line:\n%s", out)
	}
}

// TestServeTTAField: the tta form field (1, true) asks for TTA, whose
// words come in the answer in the request's language; its absence and a
// bad value do what the other fields do.
func TestServeTTAField(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	img := servePNG(t, 64, 64)
	for _, v := range []string{"1", "true"} {
		rec := servePost(t, h, img, map[string]string{"tta": v, "report": "false", "lang": "en"})
		var ans struct {
			Prediction struct {
				Label string             `json:"label"`
				Probs map[string]float64 `json:"probs"`
			} `json:"prediction"`
			TTA *ttaLine `json:"tta"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("tta=%s: %d %v %s", v, rec.Code, err, rec.Body)
		}
		checkTTALine(t, ans.TTA, ans.Prediction.Label, ans.Prediction.Probs)
		if !strings.HasPrefix(ans.TTA.Lines[0], "Test-time augmentation") {
			t.Errorf("line %q is not English", ans.TTA.Lines[0])
		}
	}
	if rec := servePost(t, h, img, map[string]string{"report": "false"}); strings.Contains(rec.Body.String(), `"tta"`) {
		t.Error("an answer without the tta field has a TTA")
	}
	if rec := servePost(t, h, img, map[string]string{"tta": "maybe"}); rec.Code != http.StatusBadRequest {
		t.Errorf("tta=maybe: status %d", rec.Code)
	}
	if d := newServer(serveAnalyzer(t, nil), serverConfig{TTA: true}).info().Defaults["tta"]; d != "true" {
		t.Errorf("serve -tta: the page's default is %q", d)
	}
}

func TestEvalTTA(t *testing.T) {
	root := evalFolder(t)
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-json", "-tta", root}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		evalReport
		TTA *struct {
			Variants []string   `json:"variants"`
			Metrics  evalReport `json:"metrics"`
			Seconds  float64    `json:"tta_seconds"`
		} `json:"tta"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.N != 4 || r.TTA == nil || r.TTA.Metrics.N != 4 || len(r.TTA.Variants) != 7 || r.TTA.Seconds <= 0 {
		t.Errorf("eval -tta -json: %+v %+v", r, r.TTA)
	}
	e, out, _ = testEnv(nil)
	dir := t.TempDir()
	if run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-tta", "-out", dir, root}, e); !regexp.MustCompile(`(?m)^\s+plain\s+TTA\s+change$`).MatchString(out.String()) || !strings.Contains(out.String(), "time per image") {
		t.Errorf("eval -tta's table lacks the side-by-side columns:\n%s", out)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "predictions_tta.tsv")); err != nil || strings.Count(string(data), "\n") != 5 {
		t.Errorf("predictions_tta.tsv: %v\n%s", err, data)
	}
}

// TestReferenceEvalTTA runs eval with and without -tta on a few images of
// the reference's test split: the plain metrics of eval -tta are those of
// the plain eval, and TTA's are whole.
func TestReferenceEvalTTA(t *testing.T) {
	dir := reftest.Dir(t)
	root := t.TempDir()
	for _, class := range []string{"NORMAL", "PNEUMONIA"} {
		entries, err := os.ReadDir(filepath.Join(dir, "test624", class))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(root, class), 0o755)
		for _, en := range entries[:2] {
			data, err := os.ReadFile(filepath.Join(dir, "test624", class, en.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, class, en.Name()), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	weights := reftest.Checkpoint(dir)
	evalJSON := func(args ...string) (map[string]json.RawMessage, string) {
		e, out, errOut := testEnv(nil)
		if code := run(context.Background(), append(append([]string{"eval", "-weights", weights, "-json"}, args...), root), e); code != 0 {
			t.Fatalf("eval %v: exit %d: %s", args, code, errOut)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m, out.String()
	}
	plain, _ := evalJSON()
	withTTA, out := evalJSON("-tta")
	for k, v := range plain {
		if string(withTTA[k]) != string(v) {
			t.Errorf("%s: eval -tta's plain %s, plain eval's %s", k, withTTA[k], v)
		}
	}
	var tt struct {
		Metrics struct {
			N        int     `json:"n"`
			Accuracy float64 `json:"accuracy"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(withTTA["tta"], &tt); err != nil || tt.Metrics.N != 4 || tt.Metrics.Accuracy < 0 || tt.Metrics.Accuracy > 1 {
		t.Errorf("tta: %+v, %v", tt, err)
	}
	t.Logf("%s", out)
}
