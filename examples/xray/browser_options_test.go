package main

import (
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xrayllm/xray/prompt"
)

// TestBrowserImageFactsAndOptions drops a LATERAL DICOM file on the page
// with the occlusion check, TTA and the fused layers chosen: the result panel
// shows the server's warning, styled as a warning, the view line, the
// fused-layers line, the occlusion lines, the TTA line and the decision
// threshold set in the form.
func TestBrowserImageFactsAndOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browserContext(t)
	srv := httptest.NewServer(newServer(serveAnalyzer(t, nil), serverConfig{Lang: "en"}))
	defer srv.Close()
	drop := fmt.Sprintf(`(() => {
  const bytes = Uint8Array.from(atob(%q), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], "lateral.dcm", { type: "application/dicom" }));
  document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  document.getElementById("occlusion").checked = true;
  document.getElementById("tta").checked = true;
  document.getElementById("layer").value = "layer2+layer3+layer4";
  document.getElementById("report").checked = false;
  document.getElementById("threshold").value = "0.99";
  return document.getElementById("layer").value;
})()`, base64.StdEncoding.EncodeToString(dicomFixture(t, "g8_mono1.dcm")))
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), waitTrue(`document.querySelectorAll("#method option").length > 1`)); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if got := browse(t, ctx, chromedp.Evaluate[string](drop)); got != "layer2+layer3+layer4" {
		t.Fatalf("layers select holds %q", got)
	}
	browse(t, ctx, chromedp.Click(chromedp.ID("analyze")))
	browse(t, ctx, waitTrue(`document.getElementById("status").textContent === "Done"`))
	got := browse(t, ctx, chromedp.Evaluate[[]any](`[
  [...document.querySelectorAll("#imageWarnings .warning")].map((e) => e.textContent).join("\n"),
  document.getElementById("imageLines").textContent,
  document.getElementById("notes").textContent,
  document.getElementById("imageFacts").hidden,
  document.getElementById("ttaResult").hidden ? "" : document.getElementById("ttaLines").textContent,
  document.getElementById("decision").hidden ? "" : document.getElementById("decision").textContent]`))
	warn, lines, notes := got[0].(string), got[1].(string), got[2].(string)
	if !strings.Contains(warn, "LATERAL") || !strings.Contains(warn, trainedOn) || got[3] != false {
		t.Errorf("warning %q, facts hidden %v", warn, got[3])
	}
	if !strings.Contains(lines, "View position (from the DICOM file): LATERAL") || strings.Contains(lines, trainedOn) {
		t.Errorf("image lines %q", lines)
	}
	fused := prompt.DescribeFusedLayers([]string{"layer2", "layer3", "layer4"}, prompt.English)
	if !strings.Contains(notes, fused) || strings.Count(notes, "Occlusion check") != 3 {
		t.Errorf("notes %q lack the fused layers or the three occlusion checks", notes)
	}
	if tta := got[4].(string); !strings.Contains(tta, "Test-time augmentation over 7 small changes") {
		t.Errorf("the page's TTA line %q", tta)
	}
	if d := got[5].(string); !strings.Contains(d, "Decision threshold: PNEUMONIA is called when its probability is at least 99.00%") {
		t.Errorf("the page does not show the threshold that decided: %q", d)
	}
}
