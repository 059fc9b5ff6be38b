package main

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/prompt"
	"github.com/xrayllm/xray/resnet"
)

// teachPostTo uploads img with fields to path on h.
func teachPostTo(t testing.TB, h http.Handler, path string, img []byte, fields map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := serveForm(t, "chest.png", img, fields)
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", ct)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// teachAnswer decodes a 200 answer of path into v.
func teachAnswer(t *testing.T, h http.Handler, path string, img []byte, fields map[string]string, v any) {
	t.Helper()
	rec := teachPostTo(t, h, path, img, fields)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST %s %v: status %d: %s", path, fields, rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("POST %s: Cache-Control %q", path, cc)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
}

// layerShape is the output shape the model gives a layer.
func layerShape(t *testing.T, m *resnet.Model, name string) []int {
	t.Helper()
	for _, l := range m.Layers() {
		if l.Name == name {
			return l.Shape
		}
	}
	t.Fatalf("the model has no layer %q", name)
	return nil
}

// TestTeachNetwork checks the network view: every layer of the model with
// its shape, stage shares that add up to at most the whole pass, the
// prediction the model makes, and the caption in the asked language.
func TestTeachNetwork(t *testing.T) {
	a := serveAnalyzer(t, nil)
	h := newServer(a, serverConfig{})
	img := servePNG(t, 200, 180)
	var got teachNetworkJSON
	teachAnswer(t, h, "/api/teach/network", img, map[string]string{"lang": "en"}, &got)
	layers := a.Model().Layers()
	if len(got.Layers) != len(layers) {
		t.Fatalf("%d layers, the model has %d", len(got.Layers), len(layers))
	}
	var stages float64
	for i, l := range got.Layers {
		if l.Name != layers[i].Name || l.Kind != layers[i].Kind || !slices.Equal(l.Shape, layers[i].Shape) || l.Parent != layers[i].Parent {
			t.Errorf("layer %d is %+v, the model's %+v", i, l, layers[i])
		}
		if l.Share < 0 || l.Share > 1 || l.MS < 0 {
			t.Errorf("%s: share %v, %v ms", l.Name, l.Share, l.MS)
		}
		if l.Kind == "stage" {
			stages += l.Share
		}
	}
	if stages <= 0 || stages > 1+1e-9 || got.TotalMS <= 0 {
		t.Errorf("the stages take %v of the %v ms pass", stages, got.TotalMS)
	}
	res, err := a.AnalyzeBytes(context.Background(), img, xray.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Prediction.Label != res.Prediction.Label || !slices.Equal(got.Prediction.Logits, res.Prediction.Logits) {
		t.Errorf("prediction %+v, Analyze says %+v", got.Prediction, res.Prediction)
	}
	if got.Caption != prompt.TeachPhrases(prompt.English).NetworkCaption {
		t.Errorf("caption %q", got.Caption)
	}
	if b := serveDataPNG(t, got.InputPNG).Bounds(); b.Dx() != 224 || b.Dy() != 224 {
		t.Errorf("input is %v", b)
	}
}

// TestTeachLayer checks a layer view: as many channels as asked, of the
// layer's shape, each a picture of the channel's size, ordered by the
// rank asked for, with α, and the sentence for the layer's depth.
func TestTeachLayer(t *testing.T) {
	a := serveAnalyzer(t, nil)
	h := newServer(a, serverConfig{})
	img := servePNG(t, 200, 180)
	shape := layerShape(t, a.Model(), "layer2.1")
	for _, rank := range []string{"mean", "alpha"} {
		var got teachChannelsJSON
		teachAnswer(t, h, "/api/teach/layer", img, map[string]string{"layer": "layer2.1", "top": "5", "rank": rank, "lang": "ko"}, &got)
		withAlpha := 0
		if got.Layer != "layer2.1" || got.Rank != rank || !slices.Equal(got.Shape, shape) || len(got.Channels) != 5 {
			t.Fatalf("rank %s: layer %q rank %q shape %v, %d channels; want layer2.1, shape %v, 5", rank, got.Layer, got.Rank, got.Shape, len(got.Channels), shape)
		}
		for i, c := range got.Channels {
			if b := serveDataPNG(t, c.PNG).Bounds(); b.Dx() != shape[2] || b.Dy() != shape[1] {
				t.Errorf("channel %d is drawn %v, want %dx%d", c.Index, b, shape[2], shape[1])
			}
			if c.Min > c.Mean || c.Mean > c.Max {
				t.Errorf("channel %+v", c.Channel)
			}
			if c.Alpha != 0 {
				withAlpha++
			}
			if i > 0 && rankKey(got.Channels[i-1], rank) < rankKey(c, rank) {
				t.Errorf("rank %s: channel %d before %d is out of order", rank, got.Channels[i-1].Index, c.Index)
			}
		}
		if withAlpha == 0 {
			t.Errorf("rank %s: no channel has its α", rank)
		}
		if got.Caption != prompt.TeachPhrases(prompt.Korean).LayerMiddle {
			t.Errorf("caption %q", got.Caption)
		}
	}
	var early teachChannelsJSON
	teachAnswer(t, h, "/api/teach/layer", img, map[string]string{"layer": "conv1", "lang": "en"}, &early)
	if len(early.Channels) != min(defaultTeachTop, layerShape(t, a.Model(), "conv1")[0]) || early.Caption != prompt.TeachPhrases(prompt.English).LayerEarly {
		t.Errorf("conv1: %d channels, caption %q", len(early.Channels), early.Caption)
	}
}

// rankKey is what a layer view orders channels by.
func rankKey(c teachChannelJSON, rank string) float32 {
	if rank == "alpha" {
		return c.Alpha
	}
	return c.Mean
}

// TestTeachSteps checks the steps against the library's own: the same
// weighted map's range, the channels with the largest |α|, gradients of
// the same channels, α's largest of each sign, every picture, and the
// sentences for a method with and without gradients and weights.
func TestTeachSteps(t *testing.T) {
	a := serveAnalyzer(t, nil)
	h := newServer(a, serverConfig{})
	img := servePNG(t, 200, 180)
	var got teachStepsJSON
	teachAnswer(t, h, "/api/teach/steps", img, map[string]string{"method": "gradcam", "layer": "layer4", "lang": "en"}, &got)
	in, err := a.Preprocess(img)
	if err != nil {
		t.Fatal(err)
	}
	want, err := a.Explainer().Explain(context.Background(), in.Tensor, &gradcam.Options{Layer: "layer4", Steps: true})
	if err != nil {
		t.Fatal(err)
	}
	st := want.Steps
	if !slices.Equal(got.Shape, []int{st.Channels, st.Height, st.Width}) || got.Target != want.Target || got.Method != "gradcam" {
		t.Fatalf("shape %v target %q method %q; want %d×%d×%d, %q", got.Shape, got.Target, got.Method, st.Channels, st.Height, st.Width, want.Target)
	}
	lo, hi := slices.Min(st.Weighted), slices.Max(st.Weighted)
	if got.Weighted.Min == nil || *got.Weighted.Min != lo || *got.Weighted.Max != hi {
		t.Errorf("weighted range %v..%v, the library's %v..%v", got.Weighted.Min, got.Weighted.Max, lo, hi)
	}
	if n := min(stepChannels, st.Channels); len(got.Activations) != n || len(got.Gradients) != n {
		t.Fatalf("%d activations, %d gradients; want %d", len(got.Activations), len(got.Gradients), n)
	}
	largest := float32(0)
	for _, v := range st.Alpha {
		largest = max(largest, float32(math.Abs(float64(v))))
	}
	if first := got.Activations[0]; math.Abs(float64(first.Alpha)) != float64(largest) || first.Alpha != st.Alpha[first.Index] {
		t.Errorf("first channel %d has α %v; the largest |α| is %v", first.Index, first.Alpha, largest)
	}
	for i, c := range got.Gradients {
		if c.Index != got.Activations[i].Index {
			t.Errorf("gradient %d is of channel %d, activation %d of %d", i, c.Index, i, got.Activations[i].Index)
		}
	}
	checkAlphaBars(t, got.Alpha, st.Alpha)
	for name, m := range map[string]teachMapJSON{"weighted": got.Weighted, "rectified": got.Rectified, "upsampled": got.Upsampled, "overlay": got.Overlay} {
		size := st.Width
		if name == "upsampled" || name == "overlay" {
			size = 224
		}
		if b := serveDataPNG(t, m.PNG).Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is drawn %v, want %d×%d", name, b, size, size)
		}
	}
	p := prompt.TeachPhrases(prompt.English)
	if got.Captions["gradients"] != p.StepGradientsText || got.Captions["weighted"] != p.StepWeightedText || len(got.Captions) != 7 {
		t.Errorf("captions %v", got.Captions)
	}
	var eigen teachStepsJSON
	teachAnswer(t, h, "/api/teach/steps", img, map[string]string{"method": "eigencam", "lang": "en"}, &eigen)
	if eigen.Alpha != nil || len(eigen.Gradients) != 0 || eigen.Captions["gradients"] != p.StepNoGradients || eigen.Captions["alpha"] != p.StepNoAlpha {
		t.Errorf("eigencam: alpha %v, %d gradients, captions %v", eigen.Alpha, len(eigen.Gradients), eigen.Captions)
	}
}

// checkAlphaBars checks the α chart: positive weights largest first,
// negative ones most negative first, none larger than what alpha holds.
func checkAlphaBars(t *testing.T, got *teachAlphaJSON, alpha []float32) {
	t.Helper()
	if got == nil || len(got.Top)+len(got.Bottom) == 0 || len(got.Top) > alphaBarCount || len(got.Bottom) > alphaBarCount {
		t.Fatalf("alpha chart %+v", got)
	}
	if len(got.Top) > 0 && got.Top[0].Value != slices.Max(alpha) {
		t.Errorf("largest α %v, want %v", got.Top[0].Value, slices.Max(alpha))
	}
	if len(got.Bottom) > 0 && got.Bottom[0].Value != slices.Min(alpha) {
		t.Errorf("most negative α %v, want %v", got.Bottom[0].Value, slices.Min(alpha))
	}
	for i, w := range got.Top {
		if w.Value <= 0 || alpha[w.Index] != w.Value || i > 0 && w.Value > got.Top[i-1].Value {
			t.Errorf("top α %d: %+v", i, w)
		}
	}
	for i, w := range got.Bottom {
		if w.Value >= 0 || alpha[w.Index] != w.Value || i > 0 && w.Value < got.Bottom[i-1].Value {
			t.Errorf("bottom α %d: %+v", i, w)
		}
	}
}

// compareNames are the names of the maps compareRuns makes.
func compareNames(layer string, scoreCAM bool) []string {
	var names []string
	for _, run := range compareRuns(layer, "", scoreCAM) {
		for _, m := range run.methods {
			names = append(names, m.Name()+run.label)
		}
	}
	return names
}

// TestTeachCompare checks the comparison: every map of compareRuns in
// order, all explaining one class, with their run's time, faithfulness
// and overlay; then the maps without ScoreCAM and ScoreCAM's alone.
func TestTeachCompare(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	img := servePNG(t, 200, 180)
	var got teachCompareJSON
	teachAnswer(t, h, "/api/teach/compare", img, map[string]string{"lang": "ko"}, &got)
	var names []string
	for _, m := range got.Methods {
		names = append(names, m.Name)
		if m.MS <= 0 || m.Shared < 1 || m.Faithfulness == nil || m.FaithfulnessText == "" || m.Label == "" {
			t.Errorf("%s: %v ms shared by %d, faithfulness %v %q, label %q", m.Name, m.MS, m.Shared, m.Faithfulness, m.FaithfulnessText, m.Label)
		}
		if b := serveDataPNG(t, m.Overlay).Bounds(); b.Dx() != 224 {
			t.Errorf("%s: overlay %v", m.Name, b)
		}
	}
	p := prompt.TeachPhrases(prompt.Korean)
	if want := compareNames("layer4", true); !slices.Equal(names, want) || got.Target == "" || got.Caption != p.CompareCaption {
		t.Errorf("maps %v target %q caption %q; want %v", names, got.Target, got.Caption, want)
	}
	if last := got.Methods[len(got.Methods)-1]; last.Label != p.Fused || got.Methods[0].Shared != len(gradcam.MethodNames())-1 {
		t.Errorf("the fused map is labelled %q; the first run made %d maps", last.Label, got.Methods[0].Shared)
	}
	var fast, slow teachCompareJSON
	teachAnswer(t, h, "/api/teach/compare", img, map[string]string{"scorecam": "false", "layer": "layer3", "target": "NORMAL"}, &fast)
	teachAnswer(t, h, "/api/teach/compare", img, map[string]string{"scorecam": "only", "layer": "layer3", "target": "NORMAL"}, &slow)
	if len(fast.Methods) != len(compareNames("layer3", false)) || fast.Target != "NORMAL" || fast.Layer != "layer3" {
		t.Errorf("without ScoreCAM: %d maps for %q at %q", len(fast.Methods), fast.Target, fast.Layer)
	}
	if len(slow.Methods) != 1 || slow.Methods[0].Name != "scorecam" || slow.Target != "NORMAL" {
		t.Errorf("ScoreCAM alone gives %+v", slow.Methods)
	}
}

// TestTeachRefusesBadInput checks that each endpoint answers a wrong
// field with 400 and a message naming it and the valid choices, before it
// takes a slot, and answers GET with 405.
func TestTeachRefusesBadInput(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	img := servePNG(t, 64, 64)
	for _, c := range []struct {
		path   string
		fields map[string]string
		want   string
	}{
		{"/api/teach/layer", map[string]string{"layer": "layer9.9"}, `unknown CAM layer "layer9.9" (valid: layer1, layer2, layer3, layer4`},
		{"/api/teach/layer", map[string]string{"layer": "fc"}, `unknown CAM layer "fc"`},
		{"/api/teach/steps", map[string]string{"layer": "layer3+layer4"}, `one layer at a time, not "layer3+layer4"`},
		{"/api/teach/layer", map[string]string{"top": "0"}, `field "top": "0" is not a whole number from 1 to 64`},
		{"/api/teach/layer", map[string]string{"top": "65"}, `field "top": "65"`},
		{"/api/teach/layer", map[string]string{"rank": "loudest"}, `field "rank"`},
		{"/api/teach/steps", map[string]string{"method": "magic"}, `unknown method "magic"`},
		{"/api/teach/compare", map[string]string{"scorecam": "sometimes"}, `field "scorecam": "sometimes" is not true, false or only`},
		{"/api/teach/network", map[string]string{"target": "BROKEN"}, `unknown target class "BROKEN"`},
		{"/api/teach/network", map[string]string{"lang": "xx"}, `unknown language "xx"`},
	} {
		rec := teachPostTo(t, h, c.path, img, c.fields)
		var e struct{ Error string }
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != http.StatusBadRequest || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s %v: %d %q, want 400 with %q", c.path, c.fields, rec.Code, e.Error, c.want)
		}
	}
	for _, path := range []string{"/api/teach/network", "/api/teach/layer", "/api/teach/steps", "/api/teach/compare"} {
		if rec := teachPostTo(t, h, path, nil, nil); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `no file in the form field \"image\"`) {
			t.Errorf("%s without an image: %d %s", path, rec.Code, rec.Body)
		}
		if rec := teachPostTo(t, h, path, []byte("not an image"), nil); rec.Code != http.StatusBadRequest {
			t.Errorf("%s with a broken image: %d %s", path, rec.Code, rec.Body)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d", path, rec.Code)
		}
	}
}

// TestTeachSharesAdmission checks that the teaching endpoints are bounded
// as /api/analyze is: the upload limit (413), the analysis slots and the
// queue wait (503 with Retry-After while /api/analyze holds the only
// slot), and that the metrics count them by route.
func TestTeachSharesAdmission(t *testing.T) {
	b := &serveBlockingLLM{started: make(chan struct{}, 4), release: make(chan struct{})}
	h := newServer(serveAnalyzer(t, &xray.Options{LLM: b}), serverConfig{MaxConcurrent: 1, QueueWait: 50 * time.Millisecond, MaxUpload: 64 << 10})
	img := servePNG(t, 64, 64)
	if rec := teachPostTo(t, h, "/api/teach/layer", make([]byte, 100<<10), nil); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 100 KiB upload over a 64 KiB limit: %d %s", rec.Code, rec.Body)
	}
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- servePost(t, h, img, nil) }()
	<-b.started // the analysis holds the only slot
	for _, path := range []string{"/api/teach/network", "/api/teach/layer", "/api/teach/steps", "/api/teach/compare"} {
		rec := teachPostTo(t, h, path, img, nil)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s while busy: %d, Retry-After %q", path, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	close(b.release)
	if rec := <-first; rec.Code != http.StatusOK {
		t.Fatalf("the analysis: %d %s", rec.Code, rec.Body)
	}
	if rec := teachPostTo(t, h, "/api/teach/layer", img, map[string]string{"top": "2"}); rec.Code != http.StatusOK {
		t.Errorf("after release: %d %s", rec.Code, rec.Body)
	}
	text := serveMetricsText(t, h)
	serveWantMetric(t, text, `xray_http_requests_total{code="200",route="/api/teach/layer"}`, 1)
	serveWantMetric(t, text, `xray_http_requests_total{code="503",route="/api/teach/steps"}`, 1)
	serveWantMetric(t, text, `xray_http_requests_total{code="413",route="/api/teach/layer"}`, 1)
	serveWantMetric(t, text, `xray_analyses_rejected_total{reason="busy"}`, 4)
}
