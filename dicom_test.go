package xray_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/prompt"
)

// TestClassifyCompressedDICOM classifies compressed DICOM fixtures and
// the uncompressed files they were made from with the fixture network:
// the labels must agree and the probabilities differ by at most 5e-3.
// The lossless twins give identical network inputs (see
// preprocess.TestLoadCompressedDICOM).
func TestClassifyCompressedDICOM(t *testing.T) {
	a, err := xray.Open("resnet/testdata/resnet34_narrow.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	pairs := [][2]string{
		{"g12_jpll70.dcm", "g12.dcm"},
		{"g12_jpll_sv5.dcm", "g12.dcm"},
		{"g12_rle.dcm", "g12.dcm"},
		{"g12_deflate.dcm", "g12.dcm"},
		{"rgb_rle.dcm", "rgb.dcm"},
		// JPEG baseline is lossy: its twin is dcmtk's (libjpeg's)
		// decompression, which it matches within 1 grey level (2 in RGB).
		// Against the original the narrow fixture network moves by up to
		// 0.04 on these noisy patterns.
		{"g8_mono1_baseline.dcm", "g8_mono1_baseline.dec.dcm"},
		{"rgb_baseline.dcm", "rgb_baseline.dec.dcm"},
	}
	ctx := context.Background()
	classify := func(name string) *xray.Result {
		data, err := os.ReadFile(filepath.Join("preprocess", "dicom", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.AnalyzeBytes(ctx, data, xray.Request{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	for _, p := range pairs {
		got, want := classify(p[0]), classify(p[1])
		if got.Input.DICOM == nil || got.Input.DICOM.TransferSyntax == want.Input.DICOM.TransferSyntax {
			t.Fatalf("%s: DICOM info %+v", p[0], got.Input.DICOM)
		}
		if got.Prediction.Label != want.Prediction.Label {
			t.Errorf("%s: label %s, %s gives %s", p[0], got.Prediction.Label, p[1], want.Prediction.Label)
		}
		for i, pr := range got.Prediction.Probs {
			if d := math.Abs(pr - want.Prediction.Probs[i]); d > 5e-3 {
				t.Errorf("%s: probability %d is %.5f, %s gives %.5f", p[0], i, pr, p[1], want.Prediction.Probs[i])
			}
		}
		t.Logf("%s: %s %.5f, %s: %.5f", p[0], got.Prediction.Label, got.Prediction.Probs, p[1], want.Prediction.Probs)
	}
}

// TestReportHasNoPatientData analyses a DICOM file that carries a
// patient's name, ID, birth date, accession number and institution, with
// a report, and checks that none of them reaches the result.
func TestReportHasNoPatientData(t *testing.T) {
	a, err := xray.Open("resnet/testdata/resnet34_narrow.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	data, err := os.ReadFile(filepath.Join("preprocess", "dicom", "testdata", "patient.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("Testpatient^Zelda")) {
		t.Fatal("fixture lost its patient name")
	}
	res, err := a.AnalyzeBytes(context.Background(), data, xray.Request{Report: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(struct {
		P    any
		R    any
		Info any
	}{res.Prediction, res.Report, res.Input.DICOM})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Testpatient", "Zelda", "PID-7731-XQ", "19230517", "ACC99881234", "Nirgendwo", "Quirin"} {
		if bytes.Contains(bytes.ToLower(out), bytes.ToLower([]byte(s))) {
			t.Errorf("result mentions %q", s)
		}
	}
	if res.Input.DICOM == nil || res.Input.DICOM.ViewPosition != "PA" || res.Report == nil || res.Report.Markdown == "" {
		t.Errorf("DICOM info %+v, report %v", res.Input.DICOM, res.Report)
	}
}

// TestImageFactsWarn analyses a LATERAL chest fixture and an ABDOMEN one:
// the report prompt built from each result and the offline report both
// carry the view and body part and the warning that the model was trained
// on frontal chest radiographs; a PA chest file warns of nothing.
func TestImageFactsWarn(t *testing.T) {
	a, err := xray.Open("resnet/testdata/resnet34_narrow.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	const warning = "the model was trained on frontal chest radiographs"
	for _, c := range []struct {
		file, fact string
		warn       bool
	}{{"g8_mono1.dcm", "LATERAL", true}, {"s16.dcm", "ABDOMEN", true}, {"g12.dcm", "PA", false}} {
		data, err := os.ReadFile(filepath.Join("preprocess", "dicom", "testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.AnalyzeBytes(context.Background(), data, xray.Request{Report: true, Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := prompt.Build(xray.ReportInputs(a.Model().Classes(), res, "en"))
		if err != nil {
			t.Fatal(err)
		}
		for what, text := range map[string]string{"prompt": p.User, "report": res.Report.Markdown} {
			if !strings.Contains(text, c.fact) || strings.Contains(text, warning) != c.warn {
				t.Errorf("%s: %s mentions %s: %v, warns: %v, want %v:\n%s", c.file, what, c.fact,
					strings.Contains(text, c.fact), strings.Contains(text, warning), c.warn, text)
			}
		}
	}
	if xray.ImageFacts(nil) != nil {
		t.Error("facts without a DICOM file")
	}
}
