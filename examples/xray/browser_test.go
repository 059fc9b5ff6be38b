package main

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/prompt"
)

// findChromium returns the path of a Chromium or Chrome binary, or "".
// $CHROMIUM overrides the search.
func findChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserContext starts headless Chromium with a fresh profile and no
// background networking (the test machine is offline), for 90 s.
func browserContext(t *testing.T) context.Context {
	t.Helper()
	return browserContextFor(t, 90*time.Second)
}

// browserContextFor is browserContext for a test that may take timeout.
func browserContextFor(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path := findChromium()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium binary found, and CI=true: install chromium (apt-get install chromium) — .ci/run does")
		}
		t.Skip("install chromium (apt-get install chromium) — .ci/run does")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 1600),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

func TestBrowserUploadAndReport(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browserContext(t)
	a := serveAnalyzer(t, nil)
	srv := httptest.NewServer(newServer(a, serverConfig{Lang: "en"}))
	defer srv.Close()
	dir := t.TempDir()
	imgPath := filepath.Join(dir, "synthetic-chest.png")
	img := servePNG(t, 320, 280)
	if err := os.WriteFile(imgPath, img, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("notice")),
		// /api/info has filled the method list.
		waitTrue(`document.querySelectorAll("#method option").length > 1`),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{imgPath}),
		chromedp.Click(chromedp.ID("analyze")),
		chromedp.WaitVisible(chromedp.CSS("#reportBody h2")),
		waitTrue(`(() => { const i = document.getElementById("overlay"); return i.complete && i.naturalWidth > 0; })()`),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	label := browse(t, ctx, chromedp.Text(chromedp.ID("label")))
	heading := browse(t, ctx, chromedp.Text(chromedp.CSS("#reportBody h2")))
	notice := browse(t, ctx, chromedp.Text(chromedp.ID("notice")))
	width := browse(t, ctx, chromedp.Evaluate[int](`document.getElementById("overlay").naturalWidth`))
	escaped := browse(t, ctx, chromedp.Evaluate[string](`renderMarkdown("<img src=x onerror=alert(1)> **bold**")`))
	notes := browse(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#notes li"), (e) => e.textContent)`))
	reportItems := browse(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#reportBody li"), (e) => e.textContent)`))
	probs := browse(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#probs .pval"), (e) => e.textContent)`))
	langs := browse(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#lang option"), (e) => e.value + " " + e.textContent)`))
	shot := browse(t, ctx, chromedp.FullScreenshot(100))
	t.Logf("upload to rendered report: %v", time.Since(start).Round(time.Millisecond))
	if label != "NORMAL" && label != "PNEUMONIA" {
		t.Errorf("label %q", label)
	}
	if !strings.Contains(heading, "Chest X-ray educational report") {
		t.Errorf("report heading %q", heading)
	}
	if width != 224 {
		t.Errorf("overlay naturalWidth %d, want 224", width)
	}
	if !strings.Contains(notice, "not a medical diagnosis") {
		t.Errorf("notice %q lacks the English disclaimer", notice)
	}
	if strings.Contains(escaped, "<img") || !strings.Contains(escaped, "&lt;img") || !strings.Contains(escaped, "<strong>bold</strong>") {
		t.Errorf("markdown renderer let HTML through or lost bold: %q", escaped)
	}
	if strings.Join(langs, ",") != "ko 한국어,en English" {
		t.Errorf("language picker %q", langs)
	}
	checkPageMatchesReport(t, a, img, notes, reportItems, probs)
	saveScreenshot(t, shot)
}

// checkPageMatchesReport checks that the notes and probabilities the page
// shows for img are, string for string, those of the report the library
// writes for the same image, and that the report the page shows lists the
// same note lines: the page formats no CAM number itself.
func checkPageMatchesReport(t *testing.T, a *xray.Analyzer, img []byte, notes, reportItems, probs []string) {
	t.Helper()
	res, err := a.AnalyzeBytes(context.Background(), img, xray.Request{CAM: &gradcam.Options{}, Report: true, Lang: prompt.English})
	if err != nil {
		t.Fatal(err)
	}
	want := prompt.DescribeNotes(&res.CAM.Notes, prompt.English)
	if !slices.Equal(notes, want) {
		t.Errorf("the page shows the notes\n%s\nthe report's lines are\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
	for _, line := range notes {
		if !slices.Contains(reportItems, line) || !strings.Contains(res.Report.Markdown, "- "+line+"\n") {
			t.Errorf("the report lacks the page's line %q", line)
		}
	}
	if len(probs) != len(res.Prediction.Probs) {
		t.Fatalf("the page shows %d probabilities, want %d", len(probs), len(res.Prediction.Probs))
	}
	for i, p := range res.Prediction.Probs {
		if probs[i] != prompt.FormatPercent(p) || !strings.Contains(res.Report.Markdown, "(confidence "+probs[i]+")") {
			t.Errorf("the page shows %q for class %d, the report %q", probs[i], i, prompt.FormatPercent(p))
		}
	}
	t.Logf("page and report agree: %q", want[1])
}

// waitTrue polls a JavaScript expression until it is true, for up to 30 s.
func waitTrue(expr string) chromedp.Action[chromedp.Void] { return waitTrueFor(expr, 30*time.Second) }

// waitTrueFor polls a JavaScript expression until it is true, for up to
// timeout.
func waitTrueFor(expr string, timeout time.Duration) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout))(ctx, t)
		return chromedp.Void{}, err
	}
}

// browse runs one browser action and fails the test on error.
func browse[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// saveScreenshot writes the page's screenshot to a directory that outlives
// the test and logs its path.
func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	dir, err := os.MkdirTemp("", "xray-browser-")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "page.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
