package main

import (
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
)

// readPNG decodes the PNG at path and fails unless it has real content:
// several colours, none covering almost the whole picture.
func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	colours := map[[4]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}]++
		}
	}
	most := 0
	for _, n := range colours {
		most = max(most, n)
	}
	if len(colours) < 3 || most > b.Dx()*b.Dy()*98/100 {
		t.Errorf("%s: %d colours, the commonest on %d of %d pixels: a blank picture", path, len(colours), most, b.Dx()*b.Dy())
	}
	return img
}

func TestExploreWritesGrid(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "chest.png", 256, 256)
	for _, rank := range []string{"mean", "alpha"} {
		out := filepath.Join(dir, rank+".png")
		e, stdout, errOut := testEnv(nil)
		args := []string{"explore", "-weights", fixtureWeights, "-layer", "layer2.1", "-top", "6", "-rank", rank, "-tile", "56", "-o", out, img}
		if code := run(context.Background(), args, e); code != 0 {
			t.Fatalf("%s: exit %d: %s", rank, code, errOut)
		}
		if !strings.Contains(stdout.String(), "12x28x28") || !strings.Contains(stdout.String(), "top 6 of 12 by "+rank) {
			t.Errorf("%s: stdout %q", rank, stdout)
		}
		// Six 56-pixel tiles in three columns: the grid is wider than
		// three tiles and taller than two.
		if b := readPNG(t, out).Bounds(); b.Dx() < 3*56 || b.Dy() < 2*56 {
			t.Errorf("%s: grid %v too small for six tiles", rank, b)
		}
	}
	for _, bad := range [][]string{{"-rank", "median"}, {"-layer", "fc"}, {"-target", "NORMAL"}, {"-top", "0"}} {
		e, _, errOut := testEnv(nil)
		args := append(append([]string{"explore", "-weights", fixtureWeights}, bad...), img)
		if code := run(context.Background(), args, e); code != 1 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errOut)
		}
	}
}

func TestExplainStepsFiles(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "chest.png", 256, 240)
	out := filepath.Join(dir, "steps")
	e, _, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"explain-steps", "-weights", fixtureWeights, "-layer", "layer3", "-o", out, img}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	raw, err := os.ReadFile(filepath.Join(out, "steps.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc stepsJSON
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"activations.png", "gradients.png", "alpha.png", "weighted.png", "rectified.png", "upsampled.png", "overlay.png"}
	if doc.Method != "gradcam" || doc.Layer != "layer3" || !slices.Equal(doc.Shape, []int{16, 14, 14}) || !slices.Equal(doc.Files, wantFiles) {
		t.Errorf("steps.json: %s %s %v %v", doc.Method, doc.Layer, doc.Shape, doc.Files)
	}
	for _, f := range doc.Files {
		readPNG(t, filepath.Join(out, f))
	}
	// The α written is the library's, for the same image and options.
	a, err := xray.Open(fixtureWeights, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	res, err := teachInput(context.Background(), a, img, xray.Request{CAM: &gradcam.Options{Layer: "layer3", Steps: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(doc.Alpha, res.CAM.Steps.Alpha) || doc.Target != res.CAM.Target {
		t.Errorf("steps.json α for %s differs from Explain's for %s", doc.Target, res.CAM.Target)
	}
	// 16 channels: the 10 largest weights and the 6 others.
	if len(doc.Channels) != 8 || len(doc.AlphaTop) != 10 || len(doc.AlphaLow) != 6 {
		t.Errorf("%d channels, %d top and %d bottom weights; want 8, 10 and 6", len(doc.Channels), len(doc.AlphaTop), len(doc.AlphaLow))
	}
}

func TestCompareGrid(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "chest.png", 224, 224)
	out := filepath.Join(dir, "compare.png")
	e, stdout, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"compare", "-weights", fixtureWeights, "-o", out, img}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout.String(), "9 maps") || !strings.Contains(stdout.String(), "from 4 runs") {
		t.Errorf("stdout %q", stdout)
	}
	// Nine 224-pixel overlays in three columns and three rows.
	if b := readPNG(t, out).Bounds(); b.Dx() < 3*224 || b.Dy() < 3*224 || b.Dx() > 4*224 {
		t.Errorf("grid %v is not 3×3 overlays", b)
	}
	e, stdout, errOut = testEnv(nil)
	if code := run(context.Background(), []string{"compare", "-weights", fixtureWeights, "-scorecam=false", "-o", out, img}, e); code != 0 {
		t.Fatalf("-scorecam=false: exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout.String(), "8 maps") || !strings.Contains(stdout.String(), "from 3 runs") {
		t.Errorf("-scorecam=false: stdout %q", stdout)
	}
}
