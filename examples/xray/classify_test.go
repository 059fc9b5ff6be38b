package main

import (
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
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

func TestClassifyManyKeepsOrderAndFailures(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 5 {
		paths = append(paths, writeTestImage(t, dir, string(rune('a'+i))+".png", 200+30*i, 220))
	}
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("not an image"), 0o644)
	missing := filepath.Join(dir, "missing.png")
	args := append([]string{}, paths[:2]...)
	args = append(args, bad, paths[2], missing)
	args = append(args, paths[3:]...)
	e, out, errOut := testEnv(nil)
	code := run(context.Background(), append([]string{"classify", "-weights", fixtureWeights, "-json"}, args...), e)
	if code != 1 || !strings.Contains(errOut.String(), "2 of 7 images failed") {
		t.Fatalf("exit %d, stderr %q: want 1 and two failures", code, errOut)
	}
	rows := jsonLines(t, out.String())
	if len(rows) != len(args) {
		t.Fatalf("%d lines for %d images", len(rows), len(args))
	}
	for i, r := range rows {
		failed := args[i] == bad || args[i] == missing
		if r["file"] != args[i] || (r["error"] != nil) != failed {
			t.Errorf("line %d: %v, want file %s failed=%v", i, r, args[i], failed)
		}
	}
	// A missing file is reported in readImage's words, as one at a time.
	if msg, _ := rows[4]["error"].(string); !strings.HasPrefix(msg, "stat ") {
		t.Errorf("missing file's error %q", msg)
	}

	// One image at a time (the -cam path) gives the same probabilities, up
	// to float32 rounding: its graph differentiates, so it keeps the
	// direct convolution where the batch's uses Winograd's (resnet).
	e, one, errOut := testEnv(nil)
	if code := run(context.Background(), append([]string{"classify", "-weights", fixtureWeights, "-json", "-cam", t.TempDir()}, paths...), e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	byOne := jsonLines(t, one.String())
	for i, r := range rows {
		if r["error"] != nil {
			continue
		}
		k := slices.Index(paths, args[i])
		for _, c := range []string{"NORMAL", "PNEUMONIA"} {
			a, b := r["probs"].(map[string]any)[c].(float64), byOne[k]["probs"].(map[string]any)[c].(float64)
			if math.Abs(a-b) > 1e-5 {
				t.Errorf("%s: p(%s) %v in a batch, %v alone", args[i], c, a, b)
			}
		}
	}
}
