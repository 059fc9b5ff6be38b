package main

import (
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xrayllm/xray"
)

// flipThreshold classifies image and returns its label, p(PNEUMONIA) and
// a threshold that decides the other class: halfway between p and 1 when
// the network says PNEUMONIA, p/2 when it says NORMAL.
func flipThreshold(t *testing.T, image string) (label string, threshold float64) {
	t.Helper()
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"classify", "-weights", fixtureWeights, "-json", image}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	row := jsonLines(t, out.String())[0]
	if _, ok := row["threshold"]; ok {
		t.Errorf("no -threshold, but the line has one: %v", row)
	}
	p := row["probs"].(map[string]any)["PNEUMONIA"].(float64)
	label = row["label"].(string)
	if label == "PNEUMONIA" {
		return label, p + (1-p)/2
	}
	return label, p / 2
}

func other(label string) string {
	if label == "PNEUMONIA" {
		return "NORMAL"
	}
	return "PNEUMONIA"
}

func TestClassifyThreshold(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "a.png", 200, 180)
	label, th := flipThreshold(t, img)
	arg := strconv.FormatFloat(th, 'g', -1, 64)
	for _, cam := range []bool{false, true} { // the batched path and the CAM path
		args := []string{"classify", "-weights", fixtureWeights, "-json", "-threshold", arg}
		if cam {
			args = append(args, "-cam", filepath.Join(dir, "cams"))
		}
		e, out, errOut := testEnv(nil)
		if code := run(context.Background(), append(args, img), e); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		row := jsonLines(t, out.String())[0]
		cal, _ := row["calibration"].(map[string]any)
		if row["label"] != other(label) || row["threshold"] != th || cal == nil || cal["changed"] != true || cal["argmax"] != label {
			t.Errorf("cam %v, threshold %v: line %v; want %s decided by the threshold", cam, th, row, other(label))
		}
		if c, ok := row["cam"].(map[string]any); cam && (!ok || c["target"] != other(label)) {
			t.Errorf("CAM explains %v, want the decided class %s", row["cam"], other(label))
		}
	}
	e, out, _ := testEnv(nil)
	run(context.Background(), []string{"classify", "-weights", fixtureWeights, "-threshold", arg, img}, e)
	if s := out.String(); !strings.Contains(s, img+": "+other(label)) || !strings.Contains(s, "Decision threshold: PNEUMONIA is called when") {
		t.Errorf("text line %q", s)
	}
}

func TestAnalyzeThresholdReachesTheReport(t *testing.T) {
	img := writeTestImage(t, t.TempDir(), "a.png", 200, 180)
	label, th := flipThreshold(t, img)
	e, out, errOut := testEnv(nil)
	args := []string{"analyze", "-weights", fixtureWeights, "-llm", "offline", "-lang", "en", "-env-file", "", "-json", "-threshold", strconv.FormatFloat(th, 'g', -1, 64), img}
	if code := run(context.Background(), args, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var row struct {
		Label       string   `json:"label"`
		Threshold   *float64 `json:"threshold"`
		Calibration struct {
			Lines []string `json:"lines"`
		} `json:"calibration"`
		CAM    struct{ Target string }
		Report struct{ Markdown string }
	}
	if err := json.Unmarshal(out.Bytes(), &row); err != nil {
		t.Fatal(err)
	}
	if row.Label != other(label) || row.Threshold == nil || *row.Threshold != th || row.CAM.Target != other(label) {
		t.Errorf("analyze: %+v", row)
	}
	if len(row.Calibration.Lines) < 2 || !strings.Contains(row.Report.Markdown, "Decision threshold") || !strings.Contains(row.Report.Markdown, "sensitivity") {
		t.Errorf("lines %q, report:\n%s", row.Calibration.Lines, row.Report.Markdown)
	}
	e, out, _ = testEnv(nil)
	run(context.Background(), slices.DeleteFunc(args, func(a string) bool { return a == "-json" }), e)
	if !strings.Contains(out.String(), "(offline-template) · Decision threshold: PNEUMONIA is called when") {
		t.Errorf("text output without the threshold in its footer:\n%s", out)
	}
}

func TestCalibrationFlagRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "a.png", 100, 80)
	for name, content := range map[string]string{"garbage": "\x00\xff not json", "hostile": `{"temperature": -1e308, "threshold": 0.5}`, "unknown": `{"threshold": 0.5, "exec": "x"}`} {
		path := filepath.Join(dir, name+".json")
		os.WriteFile(path, []byte(content), 0o644)
		e, out, errOut := testEnv(nil)
		code := run(context.Background(), []string{"classify", "-weights", fixtureWeights, "-calibration", path, img}, e)
		if code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), "calibration file "+path) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 1 and an error naming the file", name, code, out, errOut)
		}
	}
	e, _, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"classify", "-weights", fixtureWeights, "-threshold", "1.5", img}, e); code != 2 || !strings.Contains(errOut.String(), "between 0 and 1") {
		t.Errorf("-threshold 1.5: exit %d, %q", code, errOut)
	}
}

func TestEvalCalibrate(t *testing.T) {
	root := evalFolder(t)
	dir := t.TempDir()
	calPath := filepath.Join(dir, "calibration.json")
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-json", "-out", filepath.Join(dir, "out"), "-calibrate", calPath, "-target-sensitivity", "0.5", root}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Sensitivity     float64
		OperatingPoints struct {
			Youden            struct{ Threshold, Sensitivity, Specificity float64 }
			TargetSensitivity struct{ Target, Threshold, Sensitivity float64 } `json:"target_sensitivity"`
		} `json:"operating_points"`
		Calibration struct {
			ECE    *float64
			Bins   []struct{ Count int }
			Fitted struct{ Temperature, Threshold float64 }
		}
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	op, c := r.OperatingPoints, r.Calibration
	if op.Youden.Threshold <= 0 || op.TargetSensitivity.Target != 0.5 || op.TargetSensitivity.Sensitivity < 0.5 || c.ECE == nil || len(c.Bins) != 10 || c.Fitted.Temperature <= 0 {
		t.Errorf("eval -json: %+v", r)
	}
	n := 0
	for _, b := range c.Bins {
		n += b.Count
	}
	if n != 4 {
		t.Errorf("bins hold %d images, want 4", n)
	}
	cal, err := xray.ReadCalibration(calPath)
	if err != nil || cal.Fit == nil || cal.Fit.N != 4 || cal.Temperature != c.Fitted.Temperature || cal.Threshold != c.Fitted.Threshold || cal.Positive != "PNEUMONIA" {
		t.Fatalf("calibration file: %+v, %v", cal, err)
	}
	if !(cal.Fit.NLLAfter <= cal.Fit.NLLBefore) {
		t.Errorf("fitted temperature raised the NLL on its own folder: %v → %v", cal.Fit.NLLBefore, cal.Fit.NLLAfter)
	}
	f, err := os.Open(filepath.Join(dir, "out", "reliability.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cfg, err := png.DecodeConfig(f); err != nil || cfg.Width < 400 {
		t.Errorf("reliability.png: %+v, %v", cfg, err)
	}
	// The other commands take the file.
	e, out, errOut = testEnv(nil)
	if code := run(context.Background(), []string{"classify", "-weights", fixtureWeights, "-json", "-calibration", calPath, filepath.Join(root, "NORMAL", "a.png")}, e); code != 0 {
		t.Fatalf("classify -calibration: exit %d: %s", code, errOut)
	}
	row := jsonLines(t, out.String())[0]
	if got, _ := row["calibration"].(map[string]any); got == nil || got["temperature"] != cal.Temperature || row["threshold"] != cal.Threshold {
		t.Errorf("classify -calibration: %v", row)
	}
	// eval decides with it: the confusion at the file's threshold, and the
	// file itself refused next to -calibrate.
	e, out, errOut = testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-json", "-calibration", calPath, root}, e); code != 0 {
		t.Fatalf("eval -calibration: exit %d: %s", code, errOut)
	}
	var applied struct {
		Confusion struct{ TP, FP int }
		Applied   *xray.Calibration `json:"applied_calibration"`
	}
	if err := json.Unmarshal(out.Bytes(), &applied); err != nil || applied.Applied == nil || applied.Applied.Threshold != cal.Threshold {
		t.Errorf("eval -calibration: %+v, %v", applied, err)
	}
	// Youden's threshold on the scaled probabilities of the same folder
	// finds exactly its own sensitivity: TP = sensitivity × 2 positives.
	if want := int(cal.Fit.Sensitivity*2 + 0.5); applied.Confusion.TP != want {
		t.Errorf("eval -calibration: TP %d, the fit's sensitivity %v of 2 gives %d", applied.Confusion.TP, cal.Fit.Sensitivity, want)
	}
	e, _, errOut = testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-calibration", calPath, "-calibrate", calPath, root}, e); code != 1 || !strings.Contains(errOut.String(), "leave out -calibration") {
		t.Errorf("-calibrate with -calibration: exit %d, %q", code, errOut)
	}
	// The table shows the operating points.
	e, out, _ = testEnv(nil)
	run(context.Background(), []string{"eval", "-weights", fixtureWeights, root}, e)
	for _, want := range []string{"Youden's J", "sensitivity ≥ 0.95", "expected calibration error (10 bins)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table without %q:\n%s", want, out)
		}
	}
}

func TestServeThresholdField(t *testing.T) {
	a := serveAnalyzer(t, nil)
	h := newServer(a, serverConfig{Lang: "en"})
	img := servePNG(t, 300, 260)
	plain := serveDecode(t, servePost(t, h, img, map[string]string{"report": "false"}).Body.Bytes())
	p := plain.Prediction.Probs["PNEUMONIA"]
	th := p / 2
	if plain.Prediction.Label == "PNEUMONIA" {
		th = p + (1-p)/2
	}
	rec := servePost(t, h, img, map[string]string{"report": "false", "threshold": strconv.FormatFloat(th, 'f', 6, 64)})
	var got struct {
		Prediction  struct{ Label string }
		Threshold   *float64 `json:"threshold"`
		Calibration struct {
			Changed bool
			Lines   []string
		}
		CAM struct{ Target string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("status %d: %v\n%s", rec.Code, err, rec.Body)
	}
	if got.Prediction.Label != other(plain.Prediction.Label) || got.Threshold == nil || !got.Calibration.Changed || len(got.Calibration.Lines) == 0 || got.CAM.Target != got.Prediction.Label {
		t.Errorf("threshold %v: %+v", th, got)
	}
	for _, bad := range []string{"abc", "1.5", "-0.1", "NaN"} {
		rec := servePost(t, h, img, map[string]string{"threshold": bad})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "threshold") {
			t.Errorf("threshold %q: %d %s", bad, rec.Code, rec.Body)
		}
	}
	// A server default shows in /api/info.
	h = newServer(a, serverConfig{Lang: "en", Calibration: &xray.Calibration{Threshold: 0.7}})
	if body := serveGet(t, h, "/api/info", http.StatusOK, "application/json"); !strings.Contains(body, `"threshold":"0.7"`) {
		t.Errorf("/api/info without the default threshold: %s", body)
	}
}

func TestEvalOneClassHasNoOperatingPoints(t *testing.T) {
	root := evalFolder(t)
	for _, name := range []string{"a.png", "b.png"} {
		os.Remove(filepath.Join(root, "NORMAL", name))
	}
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-json", root}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if s := out.String(); strings.Contains(s, "operating_points") || !strings.Contains(s, `"ece"`) {
		t.Errorf("one class: %s", s)
	}
	e, _, errOut = testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-calibrate", filepath.Join(t.TempDir(), "c.json"), root}, e); code != 1 || !strings.Contains(errOut.String(), "both classes") {
		t.Errorf("-calibrate on one class: exit %d, %q", code, errOut)
	}
}
