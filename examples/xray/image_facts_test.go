package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dicomFixture reads a file of the dicom package's testdata: g8_mono1.dcm
// is a LATERAL chest, s16.dcm an ABDOMEN, patient.dcm a PA chest with
// made-up patient identifiers.
func dicomFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "preprocess", "dicom", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// patientIdentifiers are the made-up identifiers in patient.dcm.
var patientIdentifiers = []string{"Testpatient", "Zelda", "PID-7731-XQ", "19230517", "ACC99881234", "Nirgendwo", "Quirin"}

// trainedOn is the English warning's reason.
const trainedOn = "the model was trained on frontal chest radiographs"

// TestAnalyzeImageFacts uploads a LATERAL and a non-chest DICOM file: the
// answer's "image" names the view and body part and warns, in its lines
// and its warnings, and the offline report warns too. The patient-data
// file's answer has its view and no warning.
func TestAnalyzeImageFacts(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{Lang: "en"})
	for _, c := range []struct {
		file, view, part string
		warnings         int
	}{{"g8_mono1.dcm", "LATERAL", "CHEST", 1}, {"s16.dcm", "AP", "ABDOMEN", 1}, {"patient.dcm", "PA", "CHEST", 0}} {
		rec := servePost(t, h, dicomFixture(t, c.file), map[string]string{"lang": "en"})
		var ans struct {
			Image *imageJSON `json:"image"`
			serveAnswer
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || rec.Code != 200 || ans.Image == nil {
			t.Fatalf("%s: status %d, %v: %.300s", c.file, rec.Code, err, rec.Body)
		}
		img := ans.Image
		if img.ViewPosition != c.view || img.BodyPart != c.part || img.Modality != "DX" || len(img.Warnings) != c.warnings {
			t.Errorf("%s: image %+v", c.file, img)
		}
		all := strings.Join(img.Lines, "\n")
		for _, s := range append([]string{c.view, c.part}, img.Warnings...) {
			if !strings.Contains(all, s) {
				t.Errorf("%s: lines %q lack %q", c.file, img.Lines, s)
			}
		}
		warns := c.warnings > 0
		if strings.Contains(strings.Join(img.Warnings, ""), trainedOn) != warns || strings.Contains(ans.Report.Markdown, trainedOn) != warns {
			t.Errorf("%s: warnings %q, report warns %v, want %v", c.file, img.Warnings, strings.Contains(ans.Report.Markdown, trainedOn), warns)
		}
	}
	if rec := servePost(t, h, servePNG(t, 64, 64), nil); strings.Contains(rec.Body.String(), `"image"`) {
		t.Errorf("a PNG has image facts: %.300s", rec.Body)
	}
}

// TestStreamImageFacts checks that the stream's cam and done events carry
// the facts of a LATERAL file.
func TestStreamImageFacts(t *testing.T) {
	srv := httptest.NewServer(newServer(serveAnalyzer(t, nil), serverConfig{Lang: "en"}))
	defer srv.Close()
	resp := postStream(t, context.Background(), srv.URL, dicomFixture(t, "g8_mono1.dcm"), map[string]string{"lang": "en"})
	defer resp.Body.Close()
	seen := map[string]bool{}
	for _, ev := range readAllEvents(t, resp.Body) {
		var d struct {
			Image *imageJSON `json:"image"`
		}
		if json.Unmarshal([]byte(ev.data), &d) == nil && d.Image != nil && d.Image.ViewPosition == "LATERAL" && len(d.Image.Warnings) == 1 {
			seen[ev.name] = true
		}
	}
	if !seen[eventCAM] || !seen[eventDone] {
		t.Errorf("events with the image facts: %v", seen)
	}
}

// TestNoPatientDataInOutput analyses patient.dcm with the API, analyze's
// text output and analyze -json: none of its identifiers appears, while
// its view does.
func TestNoPatientDataInOutput(t *testing.T) {
	data := dicomFixture(t, "patient.dcm")
	if !strings.Contains(string(data), "Testpatient^Zelda") {
		t.Fatal("fixture lost its patient name")
	}
	outputs := map[string]string{}
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	outputs["api"] = servePost(t, h, data, nil).Body.String()
	dir := t.TempDir()
	path := filepath.Join(dir, "study.dcm")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-lang", "en"}, {"-json"}} {
		e, out, errOut := testEnv(nil)
		argv := append(append([]string{"analyze", "-weights", fixtureWeights, "-llm", "offline", "-env-file", filepath.Join(dir, "none.env")}, args...), path)
		if code := run(context.Background(), argv, e); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		outputs["analyze "+strings.Join(args, " ")] = out.String() + errOut.String()
	}
	for what, out := range outputs {
		for _, s := range patientIdentifiers {
			if strings.Contains(strings.ToLower(out), strings.ToLower(s)) {
				t.Errorf("%s mentions %q", what, s)
			}
		}
		want := `"view_position":"PA"`
		if what == "analyze -lang en" {
			want = "- View position (from the DICOM file): PA\n"
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s does not show the view (%s):\n%.500s", what, want, out)
		}
	}
}
