package main

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/prompt"
)

func TestAnalyzeSuccess(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	png := servePNG(t, 300, 260)
	tests := []struct {
		name                  string
		img                   []byte
		fields                map[string]string
		method, layer, target string
		rawSize               int
		lang                  prompt.Lang
		report, faithfulness  bool
	}{
		{name: "defaults", img: png, method: "gradcam", layer: "layer4", rawSize: 7, lang: prompt.Korean, report: true},
		{name: "english hirescam viridis", img: png, fields: map[string]string{"lang": "en", "method": "HiResCAM", "colormap": "viridis"},
			method: "hirescam", layer: "layer4", rawSize: 7, lang: prompt.English, report: true},
		{name: "layer3 target normal faithfulness", img: png, fields: map[string]string{"layer": "layer3", "target": "NORMAL", "faithfulness": "true", "lang": "en"},
			method: "gradcam", layer: "layer3", target: "NORMAL", rawSize: 14, lang: prompt.English, report: true, faithfulness: true},
		{name: "no report eigencam", img: png, fields: map[string]string{"report": "false", "method": "eigencam", "colormap": "inferno"},
			method: "eigencam", layer: "layer4", rawSize: 7, lang: prompt.Korean},
		{name: "jpeg", img: serveJPEG(t, 180, 200), fields: map[string]string{"report": "true", "lang": "ko"},
			method: "gradcam", layer: "layer4", rawSize: 7, lang: prompt.Korean, report: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := servePost(t, h, tc.img, tc.fields)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			a := serveDecode(t, rec.Body.Bytes())
			serveCheckPrediction(t, a)
			serveCheckCAM(t, a, tc.method, tc.layer, tc.target, tc.rawSize, tc.faithfulness)
			for name, url := range map[string]string{"overlay": a.OverlayPNG, "input": a.InputPNG} {
				if b := serveDataPNG(t, url).Bounds(); b.Dx() != 224 || b.Dy() != 224 {
					t.Errorf("%s is %dx%d, want 224x224", name, b.Dx(), b.Dy())
				}
			}
			if a.Lang != string(tc.lang) || a.Disclaimer != prompt.Disclaimer(tc.lang) {
				t.Errorf("lang %q disclaimer %q", a.Lang, a.Disclaimer)
			}
			serveCheckReport(t, a.Report, tc.report, tc.lang)
		})
	}
}

// serveCheckPrediction checks the prediction object's shape.
func serveCheckPrediction(t *testing.T, a serveAnswer) {
	t.Helper()
	p := a.Prediction
	if len(p.Classes) != 2 || p.Classes[0] != "NORMAL" || p.Classes[1] != "PNEUMONIA" {
		t.Fatalf("classes %v", p.Classes)
	}
	if p.Index < 0 || p.Index > 1 || p.Label != p.Classes[p.Index] {
		t.Errorf("label %q index %d", p.Label, p.Index)
	}
	if len(p.Logits) != 2 || len(p.Probs) != 2 {
		t.Fatalf("logits %v probs %v", p.Logits, p.Probs)
	}
	if s := p.Probs["NORMAL"] + p.Probs["PNEUMONIA"]; math.Abs(s-1) > 1e-6 {
		t.Errorf("probabilities sum to %v", s)
	}
	if p.Probs[p.Label] < 0.5 {
		t.Errorf("predicted %s has probability %v < 0.5", p.Label, p.Probs[p.Label])
	}
}

// serveCheckCAM checks the cam object.
func serveCheckCAM(t *testing.T, a serveAnswer, method, layer, target string, size int, faithfulness bool) {
	t.Helper()
	c := a.CAM
	if c == nil {
		t.Fatal("no cam")
	}
	if target == "" {
		target = a.Prediction.Label
	}
	if c.Method != method || c.Layer != layer || c.Target != target {
		t.Errorf("cam %s/%s/%s, want %s/%s/%s", c.Method, c.Layer, c.Target, method, layer, target)
	}
	if len(c.Raw) != size || len(c.Raw[0]) != size {
		t.Errorf("raw is %dx?, want %dx%d", len(c.Raw), size, size)
	}
	if _, ok := c.Notes["border_attention"]; !ok {
		t.Errorf("notes lack border_attention: %v", c.Notes)
	}
	if (c.Faithfulness != nil) != faithfulness {
		t.Errorf("faithfulness %v, want present=%v", c.Faithfulness, faithfulness)
	}
	if a.CAMText.Summary == "" {
		t.Error("no CAM summary")
	}
}

// serveCheckReport checks the report object.
func serveCheckReport(t *testing.T, r *llm.Report, want bool, lang prompt.Lang) {
	t.Helper()
	if !want {
		if r != nil {
			t.Errorf("report %+v, want none", r)
		}
		return
	}
	if r == nil {
		t.Fatal("no report")
	}
	if r.Backend != "offline" || !strings.Contains(r.Markdown, prompt.Disclaimer(lang)) {
		t.Errorf("report by %q lacks the %s disclaimer:\n%s", r.Backend, lang, r.Markdown)
	}
}

// serveDataPNG decodes a data:image/png;base64 URL.
func serveDataPNG(t testing.TB, url string) image.Image {
	t.Helper()
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(url, prefix) {
		t.Fatalf("not a PNG data URL: %.40q", url)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, prefix))
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	return img
}
