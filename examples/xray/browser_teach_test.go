package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/internal/reftest"
	"github.com/xrayllm/xray/prompt"
	"github.com/xrayllm/xray/resnet"
)

// teachImage is the reference X-ray the teaching view's browser test opens.
const teachImage = "medrax__pneumonia2.jpg"

// nonBlank is a JavaScript function: whether a loaded image has at least
// two different pixels.
const nonBlank = `((im) => {
  if (!im.complete || !im.naturalWidth) return false;
  const c = document.createElement("canvas");
  c.width = im.naturalWidth; c.height = im.naturalHeight;
  const g = c.getContext("2d");
  g.drawImage(im, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
  return false;
})`

// waitLong polls a JavaScript expression until it is true, for up to a
// minute: the teaching view's answers take seconds each on the reference
// network, more on a loaded machine.
func waitLong(expr string) chromedp.Action[chromedp.Void] { return waitTrueFor(expr, time.Minute) }

// teachInputs returns the model and the X-ray of the teaching view's
// browser test: the reference ResNet34 and a reference X-ray when
// XRAY_REFERENCE_DIR is set (real is then true), else the narrow fixture
// and a synthetic picture.
func teachInputs(t *testing.T) (a *xray.Analyzer, image string, real bool) {
	dir := reftest.DirIfSet()
	if dir == "" {
		t.Logf("%s is not set: the teaching view runs on the narrow fixture network and a synthetic picture", reftest.EnvVar)
		path := filepath.Join(t.TempDir(), "synthetic-chest.png")
		if err := os.WriteFile(path, servePNG(t, 320, 280), 0o600); err != nil {
			t.Fatal(err)
		}
		return serveAnalyzer(t, nil), path, false
	}
	a, err := xray.Open(filepath.Join(dir, "resnet34_cxr.pth"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a, filepath.Join(dir, "images", teachImage), true
}

// TestBrowserTeachingView opens the "Inside the network" view on an X-ray
// from the keyboard, in English and then in Korean, and checks that every
// panel shows real content: the network's blocks with the model's
// shapes, a block's channels (as many as asked, non-blank, with α), the
// seven steps of Grad-CAM with prompt's sentences, and every CAM method's
// overlay with its time and faithfulness. It also checks that a phone's
// width does not overflow and that print hides the controls. It saves
// screenshots of the view, into screenshots/ when
// XRAY_UPDATE_SCREENSHOTS=1.
func TestBrowserTeachingView(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	a, image, real := teachInputs(t)
	srv := httptest.NewServer(newServer(a, serverConfig{Lang: "en", MaxConcurrent: 3}))
	// Closed after the browser, which cancels the request still running
	// (ScoreCAM on the reference network).
	t.Cleanup(srv.Close)
	ctx := browserContextFor(t, 3*time.Minute)
	start := time.Now()
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		waitLong(`document.querySelectorAll("#stepsMethod option").length > 1 && document.querySelectorAll("#teachLayer option").length > 10`),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{image}),
		chromedp.Focus(chromedp.ID("tabAnalysis")),
		chromedp.KeyEvent(kb.ArrowRight),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	m := a.Model()
	checkTeachNetwork(t, ctx, m)
	// A block opens in the layer view from the keyboard.
	browse(t, ctx, chromedp.Focus(chromedp.CSS(`#net button[data-layer="layer2.1"]`)))
	browse(t, ctx, chromedp.KeyEvent(kb.Enter))
	browse(t, ctx, chromedp.Click(chromedp.ID("stepsRun")))
	browse(t, ctx, chromedp.Click(chromedp.ID("compareRun")))
	for _, lang := range []prompt.Lang{prompt.English, prompt.Korean} {
		if lang != prompt.English {
			browse(t, ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.getElementById("lang"); s.value = %q; s.dispatchEvent(new Event("change")); return true; })()`, lang)))
		}
		p := prompt.TeachPhrases(lang)
		browse(t, ctx, waitLong(fmt.Sprintf(`document.getElementById("tabTeach").textContent === %q && document.getElementById("netCaption").textContent === %q`, p.Tab, p.NetworkCaption)))
		checkTeachLayer(t, ctx, m, "layer2.1", p)
		checkTeachSteps(t, ctx, m, p)
		checkTeachCompare(t, ctx, p, !real)
		saveTeachScreenshot(t, ctx, lang)
		t.Logf("%s: every panel shown after %v", lang, time.Since(start).Round(time.Millisecond))
	}
	checkTeachLayout(t, ctx)
}

// checkTeachNetwork checks the drawing of the network: the stem, every
// block and the head, each with the shape the model gives it.
func checkTeachNetwork(t *testing.T, ctx context.Context, m *resnet.Model) {
	t.Helper()
	browse(t, ctx, waitLong(`!document.getElementById("teachView").hidden && document.querySelectorAll("#net .net-node").length > 0`))
	var want []string
	for _, l := range m.Layers() {
		if l.Name == "maxpool" || l.Kind == "block" || l.Kind == "avgpool" || l.Kind == "fc" {
			want = append(want, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(l.Shape)), "×"), "[]"))
		}
	}
	got := browse(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#net .net-node .net-shape"), (e) => e.textContent)`))
	if !slices.Equal(got, want) {
		t.Errorf("the network shows the shapes\n%v\nthe model's are\n%v", got, want)
	}
	blocks := browse(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#net button.net-node[data-layer^='layer']").length`))
	if arch := m.Arch(); blocks != arch.Blocks[0]+arch.Blocks[1]+arch.Blocks[2]+arch.Blocks[3] {
		t.Errorf("%d blocks to click, the %s has %v", blocks, arch.Name, arch.Blocks)
	}
}

// checkTeachLayer checks the layer view of layer: 16 channels (or all of
// a narrower layer), each a non-blank picture of the layer's size with
// its α, and the sentence for a middle layer.
func checkTeachLayer(t *testing.T, ctx context.Context, m *resnet.Model, layer string, p prompt.Teach) {
	t.Helper()
	shape := layerShape(t, m, layer)
	n := min(defaultTeachTop, shape[0])
	browse(t, ctx, waitLong(fmt.Sprintf(`document.getElementById("layerCaption").textContent.endsWith(%q) && document.querySelectorAll("#channels .tile").length === %d &&
  Array.from(document.querySelectorAll("#channels img")).every((im) => im.complete && im.naturalWidth > 0)`, p.LayerMiddle, n)))
	got := browse(t, ctx, chromedp.Evaluate[[]any](fmt.Sprintf(`[document.getElementById("teachLayer").value,
  Array.from(document.querySelectorAll("#channels img")).filter(%s).length,
  Array.from(document.querySelectorAll("#channels img"), (im) => im.naturalWidth),
  Array.from(document.querySelectorAll("#channels .alpha"), (e) => e.textContent)]`, nonBlank)))
	if got[0] != layer || int(got[1].(float64)) != n {
		t.Errorf("layer %v: %v of %d channel pictures are not blank", got[0], got[1], n)
	}
	for _, w := range got[2].([]any) {
		if int(w.(float64)) != shape[2] {
			t.Errorf("a channel picture is %v wide, the layer %d", w, shape[2])
		}
	}
	alphas := got[3].([]any)
	if len(alphas) != n || !strings.HasPrefix(alphas[0].(string), "α ") {
		t.Errorf("α shown: %v", alphas)
	}
}

// checkTeachSteps checks Grad-CAM step by step at layer4: A and dScore/dA
// of eight channels, the α chart, the maps, non-blank, and prompt's
// sentence under each of the seven panels.
func checkTeachSteps(t *testing.T, ctx context.Context, m *resnet.Model, p prompt.Teach) {
	t.Helper()
	browse(t, ctx, waitLong(fmt.Sprintf(`document.querySelectorAll("#steps .step").length === 7 && document.querySelector("#steps .step-text").textContent === %q &&
  Array.from(document.querySelectorAll("#steps img")).every((im) => im.complete && im.naturalWidth > 0)`, p.StepActivationsText)))
	got := browse(t, ctx, chromedp.Evaluate[[]any](fmt.Sprintf(`[Array.from(document.querySelectorAll("#steps .step-text"), (e) => e.textContent),
  Array.from(document.querySelectorAll("#steps .step"), (s) => s.querySelectorAll(".tile").length),
  document.querySelectorAll("#steps .alpha-row").length,
  Array.from(document.querySelectorAll("#steps .step"), (s) => Array.from(s.querySelectorAll("img")).filter(%s).length)]`, nonBlank)))
	want := []string{p.StepActivationsText, p.StepGradientsText, p.StepAlphaText, p.StepWeightedText, p.StepRectifiedText, p.StepUpsampledText, p.StepOverlayText}
	if texts := fmt.Sprint(got[0]); texts != fmt.Sprint(want) {
		t.Errorf("the steps say\n%s\nprompt's sentences are\n%s", texts, fmt.Sprint(want))
	}
	n := float64(min(stepChannels, layerShape(t, m, "layer4")[0]))
	if tiles := got[1].([]any); tiles[0] != n || tiles[1] != n {
		t.Errorf("tiles per step %v, want %v of A and of dScore/dA", tiles, n)
	}
	if got[2].(float64) < 1 {
		t.Error("the α chart has no bar")
	}
	// dScore/dA at layer4 is the same at every place of a channel (the
	// average pool spreads fc's weight evenly), so only the other panels
	// must vary.
	for i, v := range got[3].([]any) {
		if i != 1 && i != 2 && v.(float64) < 1 {
			t.Errorf("step %d (%s) shows only blank pictures", i, want[i])
		}
	}
}

// checkTeachCompare checks the comparison: every map but the slow ones
// (and those too when all is set), each a non-blank overlay with its time
// and faithfulness, under prompt's caption.
func checkTeachCompare(t *testing.T, ctx context.Context, p prompt.Teach, all bool) {
	t.Helper()
	// The page asks for ScoreCAM, the slow one, in a second request and
	// shows it last.
	want := compareNames("layer4", false)
	sel := "#compare .method:not(.pending)"
	if all {
		want = append(want, "scorecam")
	}
	n := len(want)
	browse(t, ctx, waitLong(fmt.Sprintf(`document.getElementById("compareCaption").textContent.endsWith(%q) && document.querySelectorAll(%q).length === %d &&
  Array.from(document.querySelectorAll("#compare img")).every((im) => im.complete && im.naturalWidth > 0)`, p.CompareCaption, sel, n)))
	got := browse(t, ctx, chromedp.Evaluate[[]any](fmt.Sprintf(`[Array.from(document.querySelectorAll(%q), (f) => f.dataset.method),
  Array.from(document.querySelectorAll(%[1]q + " img")).filter(%s).length,
  Array.from(document.querySelectorAll(%[1]q + " figcaption"), (c) => c.textContent)]`, sel, nonBlank)))
	if names := fmt.Sprint(got[0]); names != fmt.Sprint(want) {
		t.Errorf("maps %s, want %v", names, want)
	}
	if int(got[1].(float64)) != n {
		t.Errorf("%v of %d overlays are not blank", got[1], n)
	}
	for _, c := range got[2].([]any) {
		if s := c.(string); !strings.Contains(s, p.Time) || !strings.Contains(s, " ms") || !strings.Contains(s, p.Faithfulness) || !strings.Contains(s, "→") {
			t.Errorf("a map's caption %q lacks its time or faithfulness", s)
		}
	}
}

// checkTeachLayout checks that the view fits a phone's width and that
// print hides the tabs and buttons but keeps the panels.
func checkTeachLayout(t *testing.T, ctx context.Context) {
	t.Helper()
	browse(t, ctx, chromedp.EmulateViewport(390, 844))
	browse(t, ctx, waitLong(`window.innerWidth === 390`))
	if w := browse(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("on a 390 px phone the page is %d px wide", w)
	}
	browse(t, ctx, chromedp.EmulateViewport(1200, 1600))
	browse(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	got := browse(t, ctx, chromedp.Evaluate[[]string](`["viewtabs", "compareRun", "steps", "channels"].map((id) => getComputedStyle(document.getElementById(id)).display)`))
	if got[0] != "none" || got[1] != "none" || got[2] == "none" || got[3] == "none" {
		t.Errorf("in print the tabs, a button, the steps and the channels display as %v", got)
	}
}

// saveTeachScreenshot saves the page with the teaching view in lang.
func saveTeachScreenshot(t *testing.T, ctx context.Context, lang prompt.Lang) {
	t.Helper()
	// A window as tall as the page: a full-page capture of a shorter one
	// leaves the sticky notice in the middle.
	h := browse(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	browse(t, ctx, chromedp.EmulateViewport(1200, int64(h)))
	browse(t, ctx, waitLong(fmt.Sprintf(`window.innerHeight === %d`, h)))
	shot := browse(t, ctx, chromedp.FullScreenshot(100))
	browse(t, ctx, chromedp.EmulateViewport(1200, 1600))
	dir := t.TempDir()
	if os.Getenv("XRAY_UPDATE_SCREENSHOTS") == "1" {
		dir = "screenshots"
	}
	path := filepath.Join(dir, "teach-"+string(lang)+".png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
