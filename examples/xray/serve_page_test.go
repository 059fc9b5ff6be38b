package main

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/xrayllm/xray/prompt"
)

// serveExternalRef finds src/href/url()/fetch references to other hosts.
var serveExternalRef = regexp.MustCompile(`(?i)((src|href|action)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//|@import|fetch\(\s*["'](https?:)?//|https?://)`)

func TestPage(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	page := serveGet(t, h, "/", http.StatusOK, "text/html")
	for _, lang := range []prompt.Lang{prompt.Korean, prompt.English} {
		if d := template.HTMLEscapeString(prompt.Disclaimer(lang)); !strings.Contains(page, d) {
			t.Errorf("page lacks the %s disclaimer %q", lang, d)
		}
	}
	assets := map[string]string{"/assets/app.js": "javascript", "/assets/style.css": "text/css"}
	for _, want := range []string{`src="/assets/app.js"`, `href="/assets/style.css"`, `id="file"`, `id="analyze"`, `id="notice"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	texts := map[string]string{"/": page}
	for path, ct := range assets {
		texts[path] = serveGet(t, h, path, http.StatusOK, ct)
	}
	for path, text := range texts {
		if m := serveExternalRef.FindString(text); m != "" {
			t.Errorf("%s refers to another host: %q", path, m)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	serveGet(t, h, "/nope", http.StatusNotFound, "")
}

// TestPageIDsUnique checks that no two elements of the page share an id:
// the script finds every control and panel by id, so a duplicate would
// make it act on the wrong one (a result block once hid the TTA checkbox).
func TestPageIDsUnique(t *testing.T) {
	page, err := webFS.ReadFile("web/index.html")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllSubmatch(page, -1) {
		id := string(m[1])
		if seen[id] {
			t.Errorf("id %q is used twice in index.html", id)
		}
		seen[id] = true
	}
	if len(seen) < 20 {
		t.Fatalf("found only %d ids: the pattern no longer matches the page", len(seen))
	}
}
