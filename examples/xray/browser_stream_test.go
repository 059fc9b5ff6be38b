package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/prompt"
)

// dropImage draws a 320x280 picture in the page and drops it on the drop
// zone, as a dragged file would be.
const dropImage = `(async () => {
  const c = document.createElement("canvas");
  c.width = 320; c.height = 280;
  const g = c.getContext("2d");
  g.fillStyle = "#222"; g.fillRect(0, 0, 320, 280);
  g.fillStyle = "#bbb"; g.beginPath(); g.ellipse(100, 140, 50, 90, 0, 0, 7); g.ellipse(220, 140, 50, 90, 0, 0, 7); g.fill();
  const blob = await new Promise((ok) => c.toBlob(ok, "image/png"));
  const dt = new DataTransfer();
  dt.items.add(new File([blob], "dropped.png", { type: "image/png" }));
  document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  return document.getElementById("fileName").textContent;
})()`

// pasteImage pastes a small picture, as Ctrl+V with an image would.
const pasteImage = `(async () => {
  const c = document.createElement("canvas");
  c.width = 64; c.height = 64;
  const blob = await new Promise((ok) => c.toBlob(ok, "image/png"));
  const dt = new DataTransfer();
  dt.items.add(new File([blob], "pasted.png", { type: "image/png" }));
  document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
  return document.getElementById("fileName").textContent;
})()`

// TestBrowserStreamingReport runs the page against a slow LLM: the label
// and the overlay are shown while the report is still being written, the
// report grows as it streams, and the download link then holds the whole
// report. It also works the page's other controls: paste, drop, the
// opacity slider from the keyboard, the full-size overlay and its close.
func TestBrowserStreamingReport(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browserContext(t)
	deltas := []string{"## Streamed report\n\n"}
	for i := range 16 {
		deltas = append(deltas, fmt.Sprintf("Sentence %d of the slow report. ", i))
	}
	fake := newSlowLLM(t, 150*time.Millisecond, deltas...)
	srv := httptest.NewServer(newServer(serveAnalyzer(t, &xray.Options{LLM: fake.client(t)}), serverConfig{Lang: "en"}))
	defer srv.Close()
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		waitTrue(`document.querySelectorAll("#method option").length > 1`),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if got := browse(t, ctx, chromedp.Evaluate[string](pasteImage, chromedp.EvalAwaitPromise)); got != "pasted.png" {
		t.Errorf("after a paste the page shows the file %q", got)
	}
	if got := browse(t, ctx, chromedp.Evaluate[string](dropImage, chromedp.EvalAwaitPromise)); got != "dropped.png" {
		t.Fatalf("after a drop the page shows the file %q", got)
	}
	browse(t, ctx, chromedp.Click(chromedp.ID("analyze")))
	browse(t, ctx, waitTrue(`document.getElementById("label").textContent !== "" && document.getElementById("overlay").naturalWidth > 0`))
	early := browse(t, ctx, chromedp.Evaluate[[]any](`[document.getElementById("label").textContent, document.getElementById("actions").hidden, document.getElementById("reportBody").textContent.length]`))
	if early[1] != true {
		t.Errorf("the report was finished when the label appeared: %v", early)
	}
	browse(t, ctx, waitTrue(`document.getElementById("reportBody").textContent.includes("Sentence 1 ")`))
	first := browse(t, ctx, chromedp.Evaluate[int](`document.getElementById("reportBody").textContent.length`))
	browse(t, ctx, waitTrue(fmt.Sprintf(`document.getElementById("reportBody").textContent.length > %d && document.getElementById("actions").hidden`, first)))
	browse(t, ctx, chromedp.WaitVisible(chromedp.ID("download")))
	md, name := downloadReport(t, ctx)
	if want := prompt.EnsureDisclaimer(strings.Join(deltas, ""), prompt.English); md != want || name != "xray-report-en.md" {
		t.Errorf("download %q holds\n%q\nwant\n%q", name, md, want)
	}
	if h := browse(t, ctx, chromedp.Evaluate[string](`document.querySelector("#reportBody h3").textContent`)); h != "Streamed report" {
		t.Errorf("report heading %q", h)
	}
	checkControls(t, ctx)
	t.Logf("label %v shown with %v report characters; report grew past %d", early[0], early[2], first)
}

// checkControls works the slider from the keyboard and opens and closes the
// full-size overlay.
func checkControls(t *testing.T, ctx context.Context) {
	t.Helper()
	browse(t, ctx, chromedp.Focus(chromedp.ID("opacity")))
	browse(t, ctx, chromedp.KeyEvent(kb.ArrowLeft+kb.ArrowLeft))
	op := browse(t, ctx, chromedp.Evaluate[[]string](`[document.getElementById("overlay").style.opacity, document.getElementById("opacityValue").textContent]`))
	if strings.Join(op, " ") != "0.9 90%" {
		t.Errorf("after two ArrowLeft the overlay opacity is %q", op)
	}
	browse(t, ctx, chromedp.Focus(chromedp.ID("zoom")))
	browse(t, ctx, chromedp.KeyEvent(kb.Enter))
	browse(t, ctx, waitTrue(`document.getElementById("full").open && document.getElementById("fullImg").naturalWidth > 0`))
	full := browse(t, ctx, chromedp.Evaluate[[]int](`[document.getElementById("fullImg").naturalWidth, document.getElementById("fullImg").naturalHeight]`))
	if full[0] != 320 || full[1] != 280 {
		t.Errorf("the full-size overlay is %dx%d, want the dropped image's 320x280", full[0], full[1])
	}
	browse(t, ctx, chromedp.KeyEvent(kb.Escape))
	browse(t, ctx, waitTrue(`!document.getElementById("full").open`))
}

// downloadReport clicks the download link and returns the file the
// browser saved and its name.
func downloadReport(t *testing.T, ctx context.Context) (text, name string) {
	t.Helper()
	dir := t.TempDir()
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
			})
			return err
		}),
		chromedp.Click(chromedp.ID("download")),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
		if len(files) == 1 {
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			return string(b), filepath.Base(files[0])
		}
	}
	t.Fatal("clicking the download link saved no .md file")
	return "", ""
}
