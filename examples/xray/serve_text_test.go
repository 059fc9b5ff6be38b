package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/prompt"
)

// serveTextAnswer is what TestAnalyzeTextMatchesReport reads of an answer:
// the notes and faithfulness as numbers, and everything the page shows.
type serveTextAnswer struct {
	Prediction struct {
		Label     string             `json:"label"`
		Probs     map[string]float64 `json:"probs"`
		ProbsText map[string]string  `json:"probs_text"`
	} `json:"prediction"`
	CAM     gradcam.Result `json:"cam"`
	CAMText camText        `json:"cam_text"`
	Report  struct {
		Markdown string `json:"markdown"`
	} `json:"report"`
}

// TestAnalyzeTextMatchesReport checks that what the page shows of an
// analysis (cam_text, probs_text; app.js shows them verbatim) is worded and
// formatted as the report for the same image is: the same note lines, the
// same percentages, the same faithfulness drop.
func TestAnalyzeTextMatchesReport(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	img := servePNG(t, 300, 260)
	share := regexp.MustCompile(`\d+\.\d%`)
	for _, lang := range prompt.Languages() {
		t.Run(string(lang), func(t *testing.T) {
			rec := servePost(t, h, img, map[string]string{"lang": string(lang), "faithfulness": "true"})
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var a serveTextAnswer
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			ct, n, md := a.CAMText, a.CAM.Notes, a.Report.Markdown
			if want := prompt.DescribeNotes(&n, lang); len(ct.Lines) < 2 || !slices.Equal(ct.Lines, want) {
				t.Errorf("lines %q, want the notes' lines %q", ct.Lines, want)
			}
			for _, line := range ct.Lines {
				if !strings.Contains(md, "- "+line+"\n") {
					t.Errorf("the report lacks the page's line %q:\n%s", line, md)
				}
			}
			if ct.Summary != prompt.NotesText(&n, lang) {
				t.Errorf("summary %q", ct.Summary)
			}
			for c, p := range a.Prediction.Probs {
				if got := a.Prediction.ProbsText[c]; got != prompt.FormatPercent(p) {
					t.Errorf("probs_text[%s] = %q, want %q", c, got, prompt.FormatPercent(p))
				}
			}
			if shown := a.Prediction.ProbsText[a.Prediction.Label]; !strings.Contains(md, shown+")") {
				t.Errorf("the report lacks the page's confidence %q:\n%s", shown, md)
			}
			f := a.CAM.Faithfulness
			if f == nil || !strings.Contains(ct.Faithfulness, prompt.FormatPoints(f.Drop, lang)) || !strings.Contains(md, prompt.FormatPoints(f.Drop, lang)) {
				t.Errorf("faithfulness %+v: page %q, report lacks or differs", f, ct.Faithfulness)
			}
			if n.BorderAttention {
				warn := ct.Lines[len(ct.Lines)-1]
				if got, want := share.FindString(ct.BorderWarning), share.FindString(warn); got == "" || got != want {
					t.Errorf("border warning says %q, the notes %q", ct.BorderWarning, warn)
				}
			} else if ct.BorderWarning != "" {
				t.Errorf("border warning without border attention: %q", ct.BorderWarning)
			}
			if ct.PeakZone != prompt.ZoneName(n.PeakZone, lang) || !strings.Contains(ct.Lines[1], ct.PeakZone) {
				t.Errorf("peak zone %q, line %q", ct.PeakZone, ct.Lines[1])
			}
		})
	}
}

// TestInfoLanguages checks that /api/info offers prompt's languages, the
// default first, each named in itself for the page's picker.
func TestInfoLanguages(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	var info infoJSON
	if err := json.Unmarshal([]byte(serveGet(t, h, "/api/info", http.StatusOK, "application/json")), &info); err != nil {
		t.Fatal(err)
	}
	if strings.Join(info.Languages, ",") != "ko,en" || info.LanguageNames["ko"] != "한국어" || info.LanguageNames["en"] != "English" {
		t.Errorf("languages %v, names %v", info.Languages, info.LanguageNames)
	}
	if info.Disclaimer["ko"] != prompt.Disclaimer(prompt.Korean) || info.Disclaimer["en"] != prompt.Disclaimer(prompt.English) {
		t.Errorf("disclaimers %v", info.Disclaimer)
	}
}
