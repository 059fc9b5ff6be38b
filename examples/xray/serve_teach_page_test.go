package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/xrayllm/xray/prompt"
)

// TestTeachPageWords checks that the page links the teaching view's
// script and style sheet, both served, and carries the view's words in
// every language as JSON, exactly as package prompt has them.
func TestTeachPageWords(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	page := serveGet(t, h, "/", http.StatusOK, "text/html")
	for path, ct := range map[string]string{"/assets/teach.js": "javascript", "/assets/teach.css": "text/css"} {
		if !regexp.MustCompile(`(src|href)="` + regexp.QuoteMeta(path) + `"`).MatchString(page) {
			t.Errorf("page does not link %s", path)
		}
		if m := serveExternalRef.FindString(serveGet(t, h, path, http.StatusOK, ct)); m != "" {
			t.Errorf("%s refers to another host: %q", path, m)
		}
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="teachStrings">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("page lacks the teaching view's words")
	}
	var words map[prompt.Lang]prompt.Teach
	if err := json.Unmarshal([]byte(m[1]), &words); err != nil {
		t.Fatalf("teachStrings is not JSON: %v\n%.200s", err, m[1])
	}
	for _, l := range prompt.Languages() {
		if words[l] != prompt.TeachPhrases(l) {
			t.Errorf("%s: the page's words differ from prompt's", l)
		}
	}
	if len(words) != len(prompt.Languages()) {
		t.Errorf("the page has words for %d languages, prompt %d", len(words), len(prompt.Languages()))
	}
}
