package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/prompt"
)

// TestCAMFlagsOptions checks that the shared CAM flags reach the gradcam
// options: smoothing, occlusion, a comma-separated list of layers into
// Layers, a single name into Layer.
func TestCAMFlagsOptions(t *testing.T) {
	parse := func(args ...string) *camFlags {
		var c camFlags
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	o, err := parse("-cam-aug-smooth", "-cam-eigen-smooth", "-occlusion", "-cam-layer", "layer2, layer3,layer4").options()
	if err != nil {
		t.Fatal(err)
	}
	if !o.AugSmooth || !o.EigenSmooth || !o.Occlusion || o.Layer != "" || !slices.Equal(o.Layers, []string{"layer2", "layer3", "layer4"}) {
		t.Errorf("options %+v", o)
	}
	o, err = parse("-cam-layer", "layer3").options()
	if err != nil {
		t.Fatal(err)
	}
	if o.AugSmooth || o.EigenSmooth || o.Occlusion || o.Layer != "layer3" || o.Layers != nil {
		t.Errorf("defaults %+v", o)
	}
}

// TestClassifyCAMOptionsJSON runs classify -json with every new CAM flag
// on the fixture network: the JSON line's cam says which layers were
// fused, how the map was smoothed, its six variants and the occlusion
// checks.
func TestClassifyCAMOptionsJSON(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "chest.png", 256, 256)
	e, out, errOut := testEnv(nil)
	args := []string{"classify", "-weights", fixtureWeights, "-json", "-cam", filepath.Join(dir, "out"), "-cam-aug-smooth", "-cam-eigen-smooth",
		"-cam-layer", "layer3,layer4", "-occlusion", img}
	if code := run(context.Background(), args, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var line struct {
		CAM camJSON `json:"cam"`
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	c := line.CAM
	if !slices.Equal(c.Layers, []string{"layer3", "layer4"}) || c.Layer != "layer3+layer4" || !c.AugSmooth || !c.EigenSmooth || len(c.Variants) != 6 {
		t.Errorf("cam layers %v (%s), aug %v, eigen %v, %d variants", c.Layers, c.Layer, c.AugSmooth, c.EigenSmooth, len(c.Variants))
	}
	if c.Occlusion == nil || len(c.Occlusion.Checks) != 3 {
		t.Errorf("occlusion %+v", c.Occlusion)
	}
	e, out, errOut = testEnv(nil)
	if code := run(context.Background(), []string{"classify", "-weights", fixtureWeights, "-json", "-cam", filepath.Join(dir, "out"), img}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, field := range []string{`"layers"`, `"aug_smooth"`, `"eigen_smooth"`, `"variants"`, `"occlusion"`} {
		if strings.Contains(out.String(), field) {
			t.Errorf("default classify line has %s: %.300s", field, out)
		}
	}
}

// TestAnalyzeOcclusion runs analyze -json -occlusion: the cam carries the
// checks and the offline report words them as package prompt does.
func TestAnalyzeOcclusion(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "x.png", 224, 224)
	e, out, errOut := testEnv(nil)
	args := []string{"analyze", "-weights", fixtureWeights, "-json", "-llm", "offline", "-lang", "en", "-env-file", filepath.Join(dir, "none.env"), "-occlusion", img}
	if code := run(context.Background(), args, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var line struct {
		CAM    camJSON `json:"cam"`
		Report struct {
			Markdown string `json:"markdown"`
		} `json:"report"`
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	lines := prompt.DescribeOcclusion(line.CAM.Occlusion, prompt.English)
	if len(lines) != 3 {
		t.Fatalf("occlusion lines %q", lines)
	}
	for _, l := range lines {
		if !strings.Contains(line.Report.Markdown, l) {
			t.Errorf("report lacks %q", l)
		}
	}
}

// TestUploadCAMOptions sends the page's new fields: they reach the
// library (fused layers, smoothing, occlusion in the answer's cam) and
// the answer's cam_text words the fused layers and the occlusion checks.
// Bad values are refused.
func TestUploadCAMOptions(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{Lang: "en"})
	rec := servePost(t, h, servePNG(t, 96, 96), map[string]string{"lang": "en", "report": "false",
		"layer": "layer2+layer3+layer4", "aug_smooth": "true", "eigen_smooth": "true", "occlusion": "true"})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var ans struct {
		CAM     camJSON `json:"cam"`
		CAMText camText `json:"cam_text"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
		t.Fatal(err)
	}
	layers := []string{"layer2", "layer3", "layer4"}
	if c := ans.CAM; !slices.Equal(c.Layers, layers) || !c.AugSmooth || !c.EigenSmooth || len(c.Variants) != 6 || c.Occlusion == nil {
		t.Errorf("cam layers %v, aug %v, eigen %v, %d variants, occlusion %v", c.Layers, c.AugSmooth, c.EigenSmooth, len(c.Variants), c.Occlusion)
	}
	if want := prompt.DescribeFusedLayers(layers, prompt.English); ans.CAMText.FusedLayers != want || want == "" {
		t.Errorf("fused layers %q, want %q", ans.CAMText.FusedLayers, want)
	}
	if want := prompt.DescribeOcclusion(ans.CAM.Occlusion, prompt.English); len(want) != 3 || !slices.Equal(ans.CAMText.Occlusion, want) {
		t.Errorf("occlusion lines %q, want %q", ans.CAMText.Occlusion, want)
	}
	for _, bad := range []map[string]string{{"layer": "layer2+fc"}, {"layer": "+"}, {"occlusion": "maybe"}, {"aug_smooth": "x"}, {"eigen_smooth": "2"}} {
		if rec := servePost(t, h, servePNG(t, 64, 64), bad); rec.Code != http.StatusBadRequest {
			t.Errorf("%v: status %d", bad, rec.Code)
		}
	}
	rec = servePost(t, h, servePNG(t, 64, 64), map[string]string{"report": "false"})
	if s := rec.Body.String(); strings.Contains(s, `"occlusion"`) || strings.Contains(s, `"fused_layers"`) || strings.Contains(s, `"variants"`) {
		t.Errorf("default answer has the new options: %.300s", s)
	}
}

// TestInfoCAMDefaults checks that /api/info tells the page the server's
// CAM defaults, fused layers joined with "+" as the form sends them.
func TestInfoCAMDefaults(t *testing.T) {
	s := newServer(serveAnalyzer(t, nil), serverConfig{CAM: gradcam.Options{Layers: []string{"layer2", "layer3", "layer4"}, Occlusion: true}})
	d := s.info().Defaults
	if d["layer"] != "layer2+layer3+layer4" || d["occlusion"] != "true" || d["aug_smooth"] != "false" || d["eigen_smooth"] != "false" {
		t.Errorf("defaults %v", d)
	}
}
