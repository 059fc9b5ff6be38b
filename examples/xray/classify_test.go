package main

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
