package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"

	"github.com/xrayllm/xray/prompt"
)

// webFS holds the page and its script and style sheet.
//
//go:embed web
var webFS embed.FS

// pageData fills the page template.
type pageData struct {
	DisclaimerKo, DisclaimerEn string
	// Teach are the teaching view's words in every language, by code, as
	// JSON for teach.js.
	Teach map[prompt.Lang]prompt.Teach
}

// renderPage executes the page template once.
func renderPage() ([]byte, error) {
	t, err := template.ParseFS(webFS, "web/index.html")
	if err != nil {
		return nil, fmt.Errorf("serve: page: %w", err)
	}
	var b bytes.Buffer
	d := pageData{DisclaimerKo: prompt.Disclaimer(prompt.Korean), DisclaimerEn: prompt.Disclaimer(prompt.English), Teach: teachWords()}
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("serve: page: %w", err)
	}
	return b.Bytes(), nil
}

// loadPage renders the page, or, should its embedded template be broken,
// a page that says so and carries the notice.
func loadPage() []byte {
	page, err := renderPage()
	if err != nil {
		// The page is embedded and its template fixed: only a broken build gets here.
		page = []byte("<!doctype html><p>page template: " + template.HTMLEscapeString(err.Error()) + "</p><p>" + template.HTMLEscapeString(prompt.Disclaimer(prompt.Korean)) + "</p>")
	}
	return page
}

// handlePage serves the single page.
func (s *server) handlePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(s.page)
}

// teachWords are the teaching view's words in every language.
func teachWords() map[prompt.Lang]prompt.Teach {
	out := map[prompt.Lang]prompt.Teach{}
	for _, l := range prompt.Languages() {
		out[l] = prompt.TeachPhrases(l)
	}
	return out
}
