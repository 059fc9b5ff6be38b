package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xrayllm/xray/prompt"
)

const fixtureWeights = "../../resnet/testdata/resnet34_narrow.pth"

// testEnv returns an env with captured output and a private environment.
func testEnv(vars map[string]string) (env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	if vars == nil {
		vars = map[string]string{}
	}
	return env{
		stdout: &out, stderr: &errOut,
		getenv:    func(k string) string { return vars[k] },
		lookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		setenv:    func(k, v string) error { vars[k] = v; return nil },
	}, &out, &errOut
}

// writeTestImage writes a synthetic grey "radiograph" of the given size.
func writeTestImage(t *testing.T, dir, name string, w, h int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8((x*x + 3*y) % 251)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		rows = append(rows, m)
	}
	return rows
}

func TestClassifyJSONInOrder(t *testing.T) {
	dir := t.TempDir()
	a := writeTestImage(t, dir, "a.png", 300, 240)
	b := writeTestImage(t, dir, "b.png", 224, 224)
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"classify", "-weights", fixtureWeights, "-json", b, a}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := jsonLines(t, out.String())
	if len(rows) != 2 || rows[0]["file"] != b || rows[1]["file"] != a {
		t.Fatalf("rows %v, want b then a", rows)
	}
	for _, r := range rows {
		probs := r["probs"].(map[string]any)
		p := probs["NORMAL"].(float64) + probs["PNEUMONIA"].(float64)
		if d := p - 1; d > 1e-9 || d < -1e-9 {
			t.Errorf("probabilities sum to %v", p)
		}
		if r["label"] != "NORMAL" && r["label"] != "PNEUMONIA" {
			t.Errorf("label %v", r["label"])
		}
		if len(r["logits"].([]any)) != 2 {
			t.Errorf("logits %v", r["logits"])
		}
	}
}

func TestClassifyHumanAndErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeTestImage(t, dir, "good.png", 100, 80)
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("not an image"), 0o644)
	e, out, errOut := testEnv(nil)
	code := run(context.Background(), []string{"classify", "-weights", fixtureWeights, good, bad}, e)
	if code != 1 {
		t.Fatalf("exit %d, want 1 for a failed image", code)
	}
	if !strings.Contains(out.String(), good+": ") || !strings.Contains(out.String(), "%") {
		t.Errorf("no readable line for the good image: %q", out)
	}
	if !strings.Contains(errOut.String(), "bad.png") || !strings.Contains(errOut.String(), "1 of 2 images failed") {
		t.Errorf("stderr %q does not name the bad image", errOut)
	}
}

func TestClassifyCAMFiles(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "chest.png", 320, 256)
	outDir := filepath.Join(dir, "out")
	dot := filepath.Join(dir, "graph.dot")
	e, out, errOut := testEnv(nil)
	args := []string{"classify", "-weights", fixtureWeights, "-json", "-cam", outDir, "-cam-method", "gradcamplusplus",
		"-cam-layer", "layer3", "-colormap", "viridis", "-graph", dot, img}
	if code := run(context.Background(), args, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	row := jsonLines(t, out.String())[0]
	cam := row["cam"].(map[string]any)
	if cam["method"] != "gradcamplusplus" || cam["layer"] != "layer3" || cam["target"] != row["label"] {
		t.Errorf("cam %v", cam)
	}
	if raw := cam["raw"].([]any); len(raw) != 14 || len(raw[0].([]any)) != 14 {
		t.Errorf("raw map is %dx?, want 14x14 at layer3", len(raw))
	}
	if _, ok := cam["notes"].(map[string]any)["peak_zone"]; !ok {
		t.Errorf("notes without a peak zone: %v", cam["notes"])
	}
	f32, err := os.ReadFile(filepath.Join(outDir, "chest.cam.f32"))
	if err != nil || len(f32) != 4*224*224 {
		t.Fatalf("cam.f32: %d bytes, %v", len(f32), err)
	}
	for name, size := range map[string]image.Point{"chest.overlay.png": {224, 224}, "chest.overlay-full.png": {320, 256}} {
		f, err := os.Open(filepath.Join(outDir, name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != size.X || cfg.Height != size.Y {
			t.Errorf("%s: %dx%d (%v), want %v", name, cfg.Width, cfg.Height, err, size)
		}
	}
	g, err := os.ReadFile(dot)
	if err != nil || !strings.Contains(string(g), "digraph") || !strings.Contains(string(g), "layer3") {
		t.Errorf("graph.dot: %v, %.80q", err, g)
	}
}

func TestAnalyzeOfflineBothLanguages(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "x.png", 256, 256)
	for _, lang := range []prompt.Lang{prompt.Korean, prompt.English} {
		t.Run(string(lang), func(t *testing.T) {
			// GEMINI_API_KEY is unset: the offline writer is the default.
			e, out, errOut := testEnv(nil)
			args := []string{"analyze", "-weights", fixtureWeights, "-lang", string(lang), "-env-file", filepath.Join(dir, "none.env"), img}
			if code := run(context.Background(), args, e); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			s := out.String()
			for _, section := range []string{"## 1)", "## 2)", "## 3)", "## 4)", prompt.Disclaimer(lang), "report: offline"} {
				if !strings.Contains(s, section) {
					t.Errorf("report lacks %q:\n%s", section, s)
				}
			}
		})
	}
}

func TestAnalyzeJSONAndDotEnv(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "x.png", 224, 224)
	envFile := filepath.Join(dir, ".env")
	// The .env names a backend that needs a model; an already-set variable wins.
	os.WriteFile(envFile, []byte("XRAY_TEST_MARKER=from-file\nOPENAI_MODEL=from-file\n"), 0o600)
	vars := map[string]string{"OPENAI_MODEL": "already-set"}
	e, out, errOut := testEnv(vars)
	args := []string{"analyze", "-weights", fixtureWeights, "-json", "-llm", "offline", "-env-file", envFile, "-cam-method", "eigencam", img}
	if code := run(context.Background(), args, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if vars["XRAY_TEST_MARKER"] != "from-file" || vars["OPENAI_MODEL"] != "already-set" {
		t.Errorf(".env handling: %v", vars)
	}
	row := jsonLines(t, out.String())[0]
	rep := row["report"].(map[string]any)
	if rep["backend"] != "offline" || rep["fell_back"] != false || rep["truncated"] != false {
		t.Errorf("report %v", rep)
	}
	if !strings.Contains(rep["markdown"].(string), prompt.Disclaimer(prompt.Korean)) {
		t.Error("report without the notice")
	}
	if row["cam"].(map[string]any)["method"] != "eigencam" {
		t.Errorf("cam %v", row["cam"])
	}
}

func TestEval(t *testing.T) {
	root := t.TempDir()
	for i, class := range []string{"NORMAL", "PNEUMONIA"} {
		os.MkdirAll(filepath.Join(root, class), 0o755)
		for k := 0; k < 2; k++ {
			writeTestImage(t, filepath.Join(root, class), string(rune('a'+k))+".png", 200+40*i+k, 200)
		}
	}
	tsv := filepath.Join(root, "out.tsv")
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-tsv", tsv, root}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		N         int `json:"n"`
		Confusion struct{ TP, TN, FP, FN int }
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	c := r.Confusion
	if r.N != 4 || c.TP+c.TN+c.FP+c.FN != 4 || c.TP+c.FN != 2 {
		t.Errorf("report %+v", r)
	}
	data, _ := os.ReadFile(tsv)
	if lines := strings.Count(string(data), "\n"); lines != 5 {
		t.Errorf("TSV has %d lines, want a header and 4 rows", lines)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"classify", "-nope"}, 2, "flag provided but not defined"},
		{[]string{"classify"}, 2, "usage: xray classify"},
		{[]string{"classify", "x.png"}, 1, "-weights is required"},
		{[]string{"classify", "-weights", fixtureWeights, "-cam", "o", "-cam-method", "magic", "x.png"}, 1, "gradcam"},
		{[]string{"analyze", "-weights", fixtureWeights, "-lang", "fr", "x.png"}, 1, "fr"},
		{[]string{"analyze", "-weights", fixtureWeights, "-llm", "gemini", "x.png"}, 1, "GEMINI_API_KEY"},
		{[]string{"classify", "-h"}, 0, "-cam-layer"},
	}
	for _, tt := range tests {
		e, _, errOut := testEnv(nil)
		if code := run(context.Background(), tt.args, e); code != tt.code || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
}
