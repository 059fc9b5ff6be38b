package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xrayllm/xray/prompt"
)

func TestHealthAndInfo(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{Lang: prompt.English, Colormap: "viridis"})
	if body := serveGet(t, h, "/healthz", http.StatusOK, "text/plain"); body != "ok" {
		t.Errorf("healthz %q", body)
	}
	var info infoJSON
	if err := json.Unmarshal([]byte(serveGet(t, h, "/api/info", http.StatusOK, "application/json")), &info); err != nil {
		t.Fatal(err)
	}
	if strings.Join(info.Classes, ",") != "NORMAL,PNEUMONIA" || info.Architecture != "resnet34" || info.LLMBackend != "offline" {
		t.Errorf("info %+v", info)
	}
	if strings.Join(info.CAMMethods, ",") != "gradcam,hirescam,gradcamplusplus,xgradcam,layercam,eigencam,scorecam" {
		t.Errorf("methods %v", info.CAMMethods)
	}
	if !serveContains(info.LayerNames, "layer4") || !serveContains(info.LayerNames, "fc") || serveContains(info.CAMLayers, "fc") || !serveContains(info.CAMLayers, "layer3.5") {
		t.Errorf("layers %v / %v", info.LayerNames, info.CAMLayers)
	}
	if info.Defaults["lang"] != "en" || info.Defaults["colormap"] != "viridis" || info.Defaults["layer"] != "layer4" || info.Defaults["method"] != "gradcam" {
		t.Errorf("defaults %v", info.Defaults)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/info", nil))
	if rec.Code != http.StatusMethodNotAllowed || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Errorf("POST /api/info: %d %s", rec.Code, rec.Body)
	}
}
